/**
 * startMode onDemand and idleTimeout with a real engine and real workers: no process before the first request, the
 * first request starts the app and is answered, an idle app stops gracefully into `sleeping` (its processes gone),
 * the next request wakes it, requests arriving while it stops for idleness are all served, an open WebSocket keeps it
 * awake. Every wait is on an engine event or state; "several idle periods" are counted in the engine's once-a-second
 * sweeps (each one checks idleness, then emits the metrics batch).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { App } from '../../core/app/app.js';
import type { AppSummary } from '../../core/control/protocol.js';
import type { EngineEvent } from '../../core/events.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { runBerth, type CliRun } from '../helpers/cli.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually, isAlive } from '../helpers/wait.js';

const HOST = 'sleepy.localhost';

describe('startMode onDemand and idleTimeout', () => {
  let t: TestEngine;
  let app: App;
  let cleanup: () => Promise<void>;
  let folder: string;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  /** The next event (after the ones seen so far) that matches. */
  function next(match: (e: EngineEvent) => boolean): Promise<EngineEvent> {
    const from = t.events.length;
    return t.waitFor((e) => t.events.indexOf(e) >= from && match(e));
  }
  const stateIs = (state: string) => (e: EngineEvent) => e.type === 'app-state' && e.app === 'sleepy' && e.state === state;
  const startedPids = (from: number) => t.events.slice(from).flatMap((e) => (e.type === 'worker-started' && e.app === 'sleepy' ? [e.pid] : []));

  /** Waits for `count` more of the engine's once-a-second sweeps (each checks every app's idleness). */
  function sweeps(count: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const onMetrics = () => {
        if (++seen < count) return;
        t.engine.off('metrics', onMetrics);
        resolve();
      };
      t.engine.on('metrics', onMetrics);
    });
  }

  before(async () => {
    process.on('warning', onWarning);
    let dir: string;
    ({ dir, cleanup } = await tempDir('berth-ondemand-'));
    folder = await copyFixture('websocket', dir, 'sleepy');
    await writeFile(path.join(folder, 'berth.yml'), 'entry: server.js\nstartMode: onDemand\nidleTimeout: 1\nnodeProcessCountPerApplication: 2\n');
    // The fixture needs the project's `ws` package: NODE_PATH (startEngine) points there.
    t = await startEngine();
  });
  after(async () => {
    process.off('warning', onWarning);
    await t.stop();
    await cleanup();
  });

  test('an onDemand app has no worker process before its first request, and shows as sleeping', async () => {
    app = await t.engine.addApp(folder);
    assert.equal(app.state, 'sleeping');
    assert.deepEqual(app.workers(), []);
    assert.deepEqual(startedPids(0), []);
    assert.deepEqual(
      t.events.filter((e) => e.type === 'app-state' && e.app === 'sleepy').map((e) => (e as { state: string }).state),
      ['sleeping'],
    );
    assert.equal(t.engine.appRecord('sleepy').enabled, true, 'a sleeping app is still one the user started');
  });

  let woken = 0;
  let pids: number[] = [];
  test('the first request starts the workers and is answered', async () => {
    woken = t.events.length;
    const response = await request(t.port, { host: HOST });
    assert.equal(response.status, 200);
    assert.equal(response.body, 'websocket fixture');
    pids = startedPids(woken);
    assert.equal(pids.length, 2);
  });

  test('after idleTimeout with nothing under way it stops gracefully into sleeping, its processes gone', async () => {
    // (Waited on from the wake on: on a slow machine it may be asleep already.)
    await t.waitFor((e) => t.events.indexOf(e) >= woken && stateIs('sleeping')(e));
    const states = t.events.slice(woken).flatMap((e) => (e.type === 'app-state' && e.app === 'sleepy' ? [e.state] : []));
    assert.deepEqual(states, ['starting', 'running', 'stopping', 'sleeping']);
    assert.deepEqual(app.workers(), []);
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} still runs after the idle stop`);
    const exits = t.events.filter((e) => e.type === 'worker-exit' && e.app === 'sleepy' && pids.includes(e.pid));
    assert.equal(exits.length, 2);
    assert.ok(exits.every((e) => e.type === 'worker-exit' && e.expected), 'an idle stop is a graceful stop, not a crash');
    assert.equal(t.engine.appRecord('sleepy').enabled, true);
  });

  test('the next request wakes it', async () => {
    const from = t.events.length;
    const response = await request(t.port, { host: HOST });
    assert.equal(response.status, 200);
    assert.equal(startedPids(from).length, 2);
  });

  test('a burst of requests fired as the idle stop begins is served in full (by the new start), without a MaxListeners warning', async () => {
    assert.equal((await request(t.port, { host: HOST })).status, 200); // awake (woken again if it slept meanwhile) for at least a second
    const burst: Promise<{ status: number; body: string }>[] = [];
    const fired = new Promise<void>((resolve) => {
      const onEvent = (event: EngineEvent) => {
        if (!stateIs('stopping')(event)) return;
        t.engine.off('event', onEvent);
        for (let i = 0; i < 30; i++) burst.push(request(t.port, { host: HOST, path: `/?n=${i}` }));
        resolve();
      };
      t.engine.on('event', onEvent);
    });
    await fired;
    const from = t.events.length;
    const responses = await Promise.all(burst);
    assert.deepEqual(
      responses.map((r) => r.status),
      responses.map(() => 200),
    );
    assert.ok(responses.every((r) => r.body === 'websocket fixture'));
    // They waited for the stop to end and a new start: it went to sleep, then woke.
    const states = t.events.slice(from).flatMap((e) => (e.type === 'app-state' && e.app === 'sleepy' ? [e.state] : []));
    assert.deepEqual(states.slice(0, 2), ['sleeping', 'starting']);
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
      [],
    );
  });

  test('an open WebSocket keeps it awake through several idle periods; closed, the app sleeps', async () => {
    // Opened whatever the app is doing now (a WebSocket wakes a sleeping app too), then until all its workers run.
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: HOST } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    if (app.state !== 'running') await next(stateIs('running'));
    const from = t.events.length;
    await sweeps(4); // idleTimeout is 1 s: four checks span three idle periods
    assert.equal(app.state, 'running');
    assert.deepEqual(
      t.events.slice(from).filter((e) => e.type === 'app-state' && e.app === 'sleepy'),
      [],
    );
    const echoed = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('still here');
    assert.equal(await echoed, 'still here');
    const asleep = next(stateIs('sleeping'));
    socket.close();
    await asleep;
  });

  test('a WebSocket to a sleeping app wakes it', async () => {
    assert.equal(app.state, 'sleeping');
    const from = t.events.length;
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: HOST } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const echoed = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello');
    assert.equal(await echoed, 'hello');
    assert.equal(startedPids(from).length, 2);
    socket.close();
  });

  test('stop on a sleeping app stops it; start puts it back to sleep without a worker', async () => {
    if (app.state !== 'sleeping') await next(stateIs('sleeping'));
    await t.engine.stopApp('sleepy');
    assert.equal(app.state, 'stopped');
    const stopped = await request(t.port, { host: HOST });
    assert.equal(stopped.status, 503, 'a stopped app does not wake');
    const from = t.events.length;
    await t.engine.startApp('sleepy');
    assert.equal(app.state, 'sleeping');
    assert.deepEqual(startedPids(from), []);
  });
});

describe('berth ls and a restarted engine show a sleeping app', () => {
  const BERTH = path.join(REPO, 'bin', 'berth.js');
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    ({ dir, cleanup } = await tempDir('berth-ondemand-cli-'));
    env = { ...process.env, BERTH_HOME: path.join(dir, 'home'), NODE_PATH: path.join(REPO, 'node_modules') };
  });
  after(() => cleanup());

  const berth = (args: string[]): Promise<CliRun> => runBerth(args, { env, cwd: dir });

  /** `berth serve` (registry mode) on a free port, until its control API is announced. */
  async function serve(): Promise<{ port: number; output: () => string; stop: () => Promise<number | null> }> {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const child = spawn(process.execPath, [BERTH, 'serve', '--port', String(port), '--https-port', 'off'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let text = '';
    child.stdout!.on('data', (c) => (text += c));
    child.stderr!.on('data', (c) => (text += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(() => /Control API on ws:/.test(text) || child.exitCode !== null, 15_000);
    assert.match(text, /Control API on ws:/);
    return {
      port,
      output: () => text,
      stop: () => {
        interrupt(child);
        return exited;
      },
    };
  }

  test('add says it sleeps, ls shows sleeping (no worker), a request wakes it, and after a restart of the engine it sleeps again', async () => {
    const folder = await copyFixture('helloworld', dir, 'nap');
    await writeFile(path.join(folder, 'berth.yml'), 'entry: hello.js\nstartMode: onDemand\n');
    let served = await serve();
    try {
      const added = await berth(['add', 'nap']);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /nap is sleeping \(startMode onDemand\): its workers start at the first request to http:\/\/nap\.localhost:\d+\//);
      const ls = await berth(['ls']);
      assert.match(ls.stdout, /^nap\s+sleeping\s+0\/1\s+http:\/\/nap\.localhost/m);
      const list = JSON.parse((await berth(['ls', '--json'])).stdout) as AppSummary[];
      assert.deepEqual(list.map((a) => [a.name, a.state, a.readyWorkers]), [['nap', 'sleeping', 0]]);
      assert.equal((await request(served.port, { host: 'nap.localhost' })).body, 'Hello, world!');
      assert.match((await berth(['ls'])).stdout, /^nap\s+running\s+1\/1/m);
    } finally {
      assert.equal(await served.stop(), 0);
    }
    served = await serve();
    try {
      await eventually(async () => /^nap\s+sleeping\s+0\/1/m.test((await berth(['ls'])).stdout), 15_000, 200);
      assert.equal((await request(served.port, { host: 'nap.localhost' })).body, 'Hello, world!');
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });
});
