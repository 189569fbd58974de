import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leakHint, LEAK_WINDOW } from '../../core/debug/leak.js';
import { NoFreePortError, parsePortRange, PortAllocator } from '../../core/debug/ports.js';
import { attachInfo } from '../../core/debug/attach.js';

describe('debug ports', () => {
  test('parsePortRange reads a range or a single port', () => {
    assert.deepEqual(parsePortRange('5058-6058'), { start: 5058, end: 6058 });
    assert.deepEqual(parsePortRange(' 9229 '), { start: 9229, end: 9229 });
  });

  test('the allocator skips busy ports, moves on after the last one handed out, and wraps around', async () => {
    const busy = new Set([5001]);
    const allocator = new PortAllocator(async (port) => !busy.has(port));
    const range = { start: 5000, end: 5002 };
    assert.equal(await allocator.allocate(range), 5000);
    assert.equal(await allocator.allocate(range), 5002, '5001 is busy');
    assert.equal(await allocator.allocate(range), 5000, 'wraps around');
    busy.add(5000).add(5002);
    await assert.rejects(allocator.allocate(range), (error: Error) => {
      assert.ok(error instanceof NoFreePortError);
      assert.match(error.message, /No free port in debuggerPortRange 5000-5002/);
      assert.match(error.message, /wider debuggerPortRange/);
      return true;
    });
  });
});

describe('leak hint', () => {
  const MB = 1024 * 1024;
  test('a heap that rises after every one of the last major collections, by 10% or more, is suspected', () => {
    assert.equal(leakHint([10, 11, 12, 13, 14].map((n) => n * MB)).suspected, true);
    assert.equal(leakHint([1, 10, 11, 12, 13, 14].map((n) => n * MB)).heapAfterGc.length, LEAK_WINDOW);
  });
  test('a flat, noisy or too short series is not', () => {
    assert.equal(leakHint([10, 11, 10.5, 12, 13].map((n) => n * MB)).suspected, false, 'not rising every time');
    assert.equal(leakHint([100, 100.1, 100.2, 100.3, 100.4].map((n) => n * MB)).suspected, false, 'under 10%');
    assert.equal(leakHint([10, 20, 30].map((n) => n * MB)).suspected, false, 'too few collections');
    assert.equal(leakHint([]).growth, 0);
  });
});

test('attach information: DevTools URL from the WebSocket URL, and a VS Code attach entry', () => {
  const info = attachInfo('127.0.0.1', 5060, 'ws://127.0.0.1:5060/abc-123', 'shop', 'C:\\sites\\shop');
  assert.equal(info.devtoolsUrl, 'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:5060/abc-123');
  assert.equal(info.inspectPage, 'chrome://inspect');
  assert.deepEqual(info.vscode, {
    type: 'node',
    request: 'attach',
    name: 'Berth: shop',
    address: '127.0.0.1',
    port: 5060,
    localRoot: 'C:\\sites\\shop',
    remoteRoot: 'C:\\sites\\shop',
    skipFiles: ['<node_internals>/**'],
  });
});
