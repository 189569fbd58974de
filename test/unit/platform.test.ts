import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  endpointId,
  endpointIsFile,
  MAX_SOCKET_PATH_BYTES,
  splitCommandLine,
  treeKillPlan,
  workerEndpoint,
  workerSpawnOptions,
} from '../../core/platform/platform.js';

describe('endpointId', () => {
  test('16 hex characters, different every time', () => {
    const ids = new Set(Array.from({ length: 50 }, () => endpointId()));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  });
});

describe('workerEndpoint', () => {
  test('win32: a named pipe \\\\.\\pipe\\berth-<id>', () => {
    assert.equal(workerEndpoint('win32', '0123abcd'), '\\\\.\\pipe\\berth-0123abcd');
    assert.equal(workerEndpoint('win32', 'x', 'C:\\Users\\me\\AppData\\Local\\Temp'), '\\\\.\\pipe\\berth-x');
  });

  test('linux: a socket file in the temp folder', () => {
    assert.equal(workerEndpoint('linux', 'abc', '/tmp'), '/tmp/berth-abc.sock');
    assert.equal(workerEndpoint('linux', 'abc', '/var/run/user/1000'), '/var/run/user/1000/berth-abc.sock');
    assert.equal(workerEndpoint('darwin', 'abc', '/private/var/folders/xy/T'), '/private/var/folders/xy/T/berth-abc.sock');
  });

  test('linux: falls back to /tmp when the temp folder makes the path longer than 100 bytes', () => {
    const id = endpointId();
    const longTmp = `/home/someone/${'very-long-folder-name/'.repeat(5)}tmp`;
    const endpoint = workerEndpoint('linux', id, longTmp);
    assert.equal(endpoint, `/tmp/berth-${id}.sock`);
    assert.ok(Buffer.byteLength(endpoint) <= MAX_SOCKET_PATH_BYTES);
  });

  test('linux: the limit counts bytes, not characters', () => {
    const id = '0123456789abcdef';
    const tmp = `/home/${'é'.repeat(35)}`; // 41 characters, 76 bytes
    const direct = `${tmp}/berth-${id}.sock`;
    assert.ok(direct.length <= MAX_SOCKET_PATH_BYTES && Buffer.byteLength(direct) > MAX_SOCKET_PATH_BYTES);
    assert.equal(workerEndpoint('linux', id, tmp), `/tmp/berth-${id}.sock`);
  });

  test('linux: a path of exactly 100 bytes is kept', () => {
    const id = '0123456789abcdef'; // "/berth-<id>.sock" is 28 bytes
    const tmp = `/${'t'.repeat(71)}`; // 72 bytes
    const endpoint = workerEndpoint('linux', id, tmp);
    assert.equal(Buffer.byteLength(endpoint), 100);
    assert.equal(endpoint, `${tmp}/berth-${id}.sock`);
  });

  test('linux: the default temp folder gives a path within the limit', () => {
    const endpoint = workerEndpoint('linux', endpointId());
    assert.ok(Buffer.byteLength(endpoint) <= MAX_SOCKET_PATH_BYTES, endpoint);
    assert.match(endpoint, /\/berth-[0-9a-f]{16}\.sock$/);
  });
});

describe('endpointIsFile', () => {
  test('socket files elsewhere, not pipes on Windows', () => {
    assert.equal(endpointIsFile('win32'), false);
    assert.equal(endpointIsFile('linux'), true);
    assert.equal(endpointIsFile('darwin'), true);
  });
});

describe('treeKillPlan', () => {
  test('win32: taskkill the whole tree, forcefully', () => {
    assert.deepEqual(treeKillPlan('win32', 4242), { command: 'taskkill', args: ['/pid', '4242', '/T', '/F'] });
  });

  test('elsewhere: signal the process group the worker leads', () => {
    assert.deepEqual(treeKillPlan('linux', 4242), { signalGroup: 4242 });
    assert.deepEqual(treeKillPlan('darwin', 77), { signalGroup: 77 });
  });
});

describe('workerSpawnOptions', () => {
  test('always its own process group; no window on Windows', () => {
    assert.deepEqual(workerSpawnOptions('win32'), { detached: true, windowsHide: true });
    assert.deepEqual(workerSpawnOptions('linux'), { detached: true, windowsHide: false });
    assert.deepEqual(workerSpawnOptions('darwin'), { detached: true, windowsHide: false });
  });
});

describe('splitCommandLine (CommandLineToArgvW rules)', () => {
  const cases: Array<[string, string[]]> = [
    ['node', ['node']],
    ['node.exe --max-old-space-size=4096', ['node.exe', '--max-old-space-size=4096']],
    ['  node \t --inspect   --trace-warnings  ', ['node', '--inspect', '--trace-warnings']],
    ['"C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096', ['C:\\Program Files\\nodejs\\node.exe', '--max-old-space-size=4096']],
    ['"C:\\Program Files\\nodejs\\node.exe"', ['C:\\Program Files\\nodejs\\node.exe']],
    ['C:\\nodejs\\node.exe --title "my app"', ['C:\\nodejs\\node.exe', '--title', 'my app']],
    ['a"b c"d e', ['ab cd', 'e']],
    ['"a b" "" c', ['a b', '', 'c']],
    ['a\\"b', ['a"b']], // \" is a literal quote
    ['a\\\\"b c"', ['a\\b c']], // \\" is one backslash and a quote that groups
    ['a\\\\\\"b', ['a\\"b']], // \\\" is one backslash and a literal quote
    ['"C:\\dir\\\\" next', ['C:\\dir\\', 'next']], // trailing backslash in a quoted path, doubled
    ['C:\\dir\\ next', ['C:\\dir\\', 'next']], // backslashes not before a quote are literal
    ['a\\\\b', ['a\\\\b']],
    ['end\\', ['end\\']],
    ['"say ""hi"""', ['say "hi"']], // "" inside quotes is a literal quote
    ['--eval="console.log(1)"', ['--eval=console.log(1)']],
    ['"unterminated arg', ['unterminated arg']],
    ['', []],
    ['   ', []],
  ];
  for (const [line, expected] of cases) {
    test(JSON.stringify(line), () => {
      assert.deepEqual(splitCommandLine(line), expected);
    });
  }
});
