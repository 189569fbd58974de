import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventPrinter } from '../../core/cli/printer.js';
import type { EngineEvent } from '../../core/events.js';

function printer(): { print: (event: EngineEvent) => void; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const p = new EventPrinter({ write: (t: string) => out.push(t) }, { write: (t: string) => err.push(t) });
  return { print: (event) => p.print(event), out, err };
}

type WorkerExit = Extract<EngineEvent, { type: 'worker-exit' }>;

function exit(overrides: Partial<WorkerExit> = {}): WorkerExit {
  return {
    type: 'worker-exit',
    app: 'shop',
    pid: 4242,
    generation: 1,
    slot: 0,
    code: 1,
    signal: null,
    expected: false,
    beforeReady: true,
    uptimeMs: 180,
    stderr: ['Error: Cannot find module \'express\'', '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)'],
    restartInMs: 150,
    ...overrides,
  };
}

describe('EventPrinter: worker crashes', () => {
  test('a crash before listening: exit code, wording, restart delay and stderr, on the error stream', () => {
    const { print, out, err } = printer();
    print(exit());
    assert.deepEqual(out, []);
    assert.equal(err.length, 1);
    assert.equal(
      err[0],
      "[shop] worker pid 4242 exited with code 1 before it listened on process.env.PORT; restarting in 150 ms\n" +
        '  last output lines:\n' +
        "    | Error: Cannot find module 'express'\n" +
        '    |     at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)\n',
    );
  });

  test('a crash after running: the uptime in seconds, the delay in seconds', () => {
    const { print, err } = printer();
    print(exit({ beforeReady: false, uptimeMs: 2500, restartInMs: 15_000, code: 3 }));
    const text = err.join('');
    assert.match(text, /worker pid 4242 exited with code 3 after 2\.5 s; restarting in 15\.0 s\n/);
    assert.ok(!text.includes('before it listened'));
  });

  test('short uptimes in milliseconds', () => {
    const { print, err } = printer();
    print(exit({ beforeReady: false, uptimeMs: 999 }));
    assert.match(err.join(''), /after 999 ms;/);
  });

  test('killed by a signal', () => {
    const { print, err } = printer();
    print(exit({ code: null, signal: 'SIGKILL' }));
    assert.match(err.join(''), /worker pid 4242 was killed by SIGKILL before it listened/);
    assert.ok(!err.join('').includes('exited with code'));
  });

  test('no restart planned: no restart wording', () => {
    const { print, err } = printer();
    const { restartInMs: _unused, ...event } = exit();
    print(event);
    assert.ok(!err.join('').includes('restarting'));
    assert.match(err.join(''), /before it listened on process\.env\.PORT\n/);
  });

  test('nothing on stderr: says so', () => {
    const { print, err } = printer();
    print(exit({ stderr: [] }));
    assert.match(err.join(''), /\(it wrote nothing to stderr or stdout\)\n$/);
    assert.ok(!err.join('').includes('last output lines'));
  });

  test('a crash loop does not print the same stderr again; new output and other apps are printed in full', () => {
    const { print, err } = printer();
    print(exit());
    print(exit({ pid: 4243 }));
    print(exit({ app: 'blog', pid: 5000 }));
    print(exit({ pid: 4244, stderr: ['Error: something else'] }));
    assert.equal(err.length, 4);
    assert.match(err[0]!, /last output lines:\n {4}\| Error: Cannot find module 'express'\n/);
    assert.match(err[1]!, /^\[shop\] worker pid 4243 exited with code 1 before it listened on process\.env\.PORT; restarting in 150 ms\n {2}\(the same output as the previous crash\)\n$/);
    assert.match(err[2]!, /^\[blog\] .*\n {2}last output lines:\n {4}\| Error: Cannot find module 'express'\n/);
    assert.match(err[3]!, /last output lines:\n {4}\| Error: something else\n$/);
  });

  test('a spawn error is printed instead', () => {
    const { print, err } = printer();
    print(exit({ spawnError: 'spawn idontexist.exe ENOENT', code: null }));
    assert.deepEqual(err, ['[shop] worker could not start: spawn idontexist.exe ENOENT\n']);
  });

  test('expected exits print nothing', () => {
    const { print, out, err } = printer();
    print(exit({ expected: true, code: 0 }));
    print(exit({ expected: true, code: null, signal: 'SIGTERM', stderr: [] }));
    assert.deepEqual(out, []);
    assert.deepEqual(err, []);
  });
});

describe('EventPrinter: app errors and other events', () => {
  test('app-error prints the title and indented detail to the error stream', () => {
    const { print, out, err } = printer();
    print({ type: 'app-error', app: 'shop', title: 'Configuration error', detail: 'berth.yml:2:1: bad value.\nSecond line.' });
    assert.deepEqual(out, []);
    assert.deepEqual(err, ['[shop] error: Configuration error\n    berth.yml:2:1: bad value.\n    Second line.\n']);
  });

  test('app-error with stderr shows its last 10 lines', () => {
    const { print, err } = printer();
    const stderr = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\r\n') + '\r\n\r\n';
    print({ type: 'app-error', app: 'shop', title: 'Crash loop', detail: 'Stopped restarting.', stderr });
    const text = err.join('');
    assert.match(text, /^\[shop\] error: Crash loop\n {4}Stopped restarting\.\n {2}last stderr output:\n/);
    assert.ok(!text.includes('| line 5\n'));
    for (let i = 6; i <= 15; i++) assert.ok(text.includes(`    | line ${i}\n`), `line ${i}`);
  });

  test('engine-listening, app-added, running and ready go to the output stream', () => {
    const { print, out, err } = printer();
    print({ type: 'engine-listening', url: 'http://127.0.0.1:8080/', host: '127.0.0.1', port: 8080 });
    print({ type: 'app-added', app: 'shop', folder: '/srv/shop', url: 'http://shop.localhost:8080/' });
    print({ type: 'app-state', app: 'shop', state: 'running' });
    print({ type: 'worker-ready', app: 'shop', pid: 7, generation: 1, slot: 1 });
    print({ type: 'app-removed', app: 'shop' });
    assert.deepEqual(err, []);
    assert.deepEqual(out, [
      'Berth is listening on http://127.0.0.1:8080/\n',
      '[shop] http://shop.localhost:8080/  (/srv/shop)\n',
      '[shop] running\n',
      '[shop] worker 2 ready (pid 7)\n',
      '[shop] removed\n',
    ]);
  });

  test('errored and starting states and worker-started print nothing (app-error says why)', () => {
    const { print, out, err } = printer();
    print({ type: 'app-state', app: 'shop', state: 'errored', problem: 'crash loop' });
    print({ type: 'app-state', app: 'shop', state: 'starting' });
    print({ type: 'worker-started', app: 'shop', pid: 7, generation: 1, slot: 0 });
    assert.deepEqual(out, []);
    assert.deepEqual(err, []);
  });

  test('warnings go to the error stream, one line each', () => {
    const { print, out, err } = printer();
    print({ type: 'config-warnings', app: 'shop', warnings: ['iisnode.yml:1:1: unknown setting "foo" is ignored.', 'second'] });
    print({ type: 'worker-warning', app: 'shop', pid: 9, message: 'slow to stop' });
    assert.deepEqual(out, []);
    assert.deepEqual(err, [
      '[shop] warning: iisnode.yml:1:1: unknown setting "foo" is ignored.\n[shop] warning: second\n',
      '[shop] warning: worker pid 9: slow to stop\n',
    ]);
  });

  test('format returns the text and the stream choice without printing', () => {
    const p = new EventPrinter({ write: () => assert.fail('no write') }, { write: () => assert.fail('no write') });
    assert.deepEqual(p.format({ type: 'app-removed', app: 'x' }), { text: '[x] removed\n' });
    assert.equal(p.format(exit({ expected: true })), undefined);
    assert.equal(p.format(exit())?.error, true);
  });

  test('a lane change: the lane, and why not the fast one', () => {
    const { print, out } = printer();
    print({ type: 'lane-changed', app: 'shop', lane: 'proxy', reasons: ['a debug session runs', 'requestTimeout times every request'] });
    print({ type: 'lane-changed', app: 'shop', lane: 'fast', reasons: [] });
    assert.deepEqual(out, ['[shop] lane: proxy — a debug session runs; requestTimeout times every request\n', '[shop] lane: fast\n']);
  });
});
