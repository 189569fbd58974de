/**
 * startMode onDemand and idleTimeout with a real engine and real workers: no process before the first request, the
 * first request starts the app and is answered, an idle app stops gracefully into `sleeping` (its processes gone),
 * the next request wakes it, requests arriving while it stops for idleness are all served, an open WebSocket keeps it
 * awake. Every wait is on an engine event or state; "several idle periods" are counted in the engine's once-a-second
 * sweeps (each one checks idleness, then emits the metrics batch).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { App } from '../../core/app/app.js';
import type { EngineEvent } from '../../core/events.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { isAlive } from '../helpers/wait.js';

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

  test('the first request starts the workers and is answered', async () => {
    const from = t.events.length;
    const response = await request(t.port, { host: HOST });
    assert.equal(response.status, 200);
    assert.equal(response.body, 'websocket fixture');
    assert.equal(startedPids(from).length, 2);
    assert.ok(app.state === 'running' || app.state === 'starting', app.state);
  });

  test('after idleTimeout with nothing under way it stops gracefully into sleeping, its processes gone', async () => {
    if (app.state !== 'running') await next(stateIs('running'));
    const pids = app.workers().map((w) => w.pid!);
    assert.equal(pids.length, 2);
    await next(stateIs('sleeping'));
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
    if (app.state !== 'running') await next(stateIs('running'));
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
    if (app.state !== 'running') await next(stateIs('running'));
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: HOST } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
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
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: HOST } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const echoed = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello');
    assert.equal(await echoed, 'hello');
    socket.close();
  });

  test('stop on a sleeping app stops it; start puts it back to sleep without a worker', async () => {
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
