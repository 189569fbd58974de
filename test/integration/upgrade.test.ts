/**
 * Graceful upgrades (generation switches): zero failed requests under load, rollback when the new version cannot
 * start, configuration reloads, the recycle signal, WebSocket drain, the memory limit. Triggered here by calling
 * App.recycle(), which is what a file change does.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { App } from '../../core/app/app.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually, isAlive } from '../helpers/wait.js';
import { PATIENCE } from '../helpers/wine.js';

describe('graceful upgrades', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    // These tests call recycle() themselves; a watcher reacting to the same file writes would race them.
    t = await startEngine({ EXIT_MARKER_DIR: '' }, { watchFiles: false });
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  async function versioned(name: string, config = ''): Promise<{ app: App; folder: string }> {
    const folder = await copyFixture('versioned', dir, name);
    if (config) await writeFile(path.join(folder, 'berth.yml'), config);
    return { app: await addRunningApp(t, folder), folder };
  }
  const get = (host: string, urlPath = '/', extra: Parameters<typeof request>[1] = {}) =>
    request(t.port, { host: `${host}.localhost`, path: urlPath, ...extra });

  /** Recycles and waits for its outcome event. */
  async function recycle(app: App, reason = 'test'): Promise<'succeeded' | 'failed'> {
    const seen = t.events.length;
    await app.recycle(reason);
    const outcome = t.events
      .slice(seen)
      .find((e) => (e.type === 'recycle-succeeded' || e.type === 'recycle-failed') && e.app === app.name);
    assert.ok(outcome, 'a recycle reports its outcome');
    return outcome.type === 'recycle-succeeded' ? 'succeeded' : 'failed';
  }

  test('zero failed requests: 5 upgrades under steady keep-alive load; nothing old after each switch', { timeout: 90_000 * PATIENCE }, async () => {
    // The proxy lane: every request routed after the switch goes to the new generation (the fast lane's guarantee,
    // a connection moves at its next response, is tested in fast-lane.test.ts).
    const { app, folder } = await versioned('underload', 'nodeProcessCountPerApplication: 2\nconnectionHandoff: off\n');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const failures: string[] = [];
    const responses: { sentAt: number; version: number }[] = [];
    let running = true;
    const client = async () => {
      let count = 0;
      while (running && count < 5000) {
        count++;
        const sentAt = Date.now();
        try {
          const res = await get('underload', '/', { agent });
          if (res.status !== 200) failures.push(`status ${res.status}: ${res.body.slice(0, 200)}`);
          else responses.push({ sentAt, version: Number(res.body.slice(1)) });
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const switches: number[] = [];
    // Each switch happens under load: wait until the clients have had a fresh batch of answers (or failed).
    const moreLoad = async () => {
      const from = responses.length;
      await eventually(() => responses.length >= from + 50 || failures.length > 0, 30_000);
    };
    try {
      for (let v = 2; v <= 6; v++) {
        await moreLoad();
        await writeFile(path.join(folder, 'version.txt'), `v${v}\n`);
        assert.equal(await recycle(app, `version.txt changed to v${v}`), 'succeeded');
        switches[v] = Date.now();
      }
      await moreLoad();
    } finally {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    }
    assert.deepEqual(failures, []);
    assert.ok(responses.length > 200, `enough load: ${responses.length} responses`);
    for (let v = 2; v <= 6; v++) {
      const stale = responses.filter((r) => r.sentAt > switches[v]! && r.version < v);
      assert.equal(stale.length, 0, `after the switch to v${v}, ${stale.length} responses came from an older version`);
    }
    assert.deepEqual([...new Set(responses.map((r) => r.version))].sort(), [1, 2, 3, 4, 5, 6]);
    await eventually(() => t.events.filter((e) => e.type === 'generation-drained' && e.app === 'underload').length === 5, 10_000);
  });

  test('in-flight requests finish on the old version; old workers run their exit handlers', async () => {
    const markers = await tempDir('berth-exit-');
    const t2 = await startEngine({ EXIT_MARKER_DIR: markers.dir }, { watchFiles: false });
    try {
      const folder = await copyFixture('versioned', dir, 'inflight');
      const app = await addRunningApp(t2, folder);
      const oldPid = app.workers()[0]!.pid!;
      const slow = request(t2.port, { host: 'inflight.localhost', path: '/slow?ms=1500' });
      await eventually(() => app.workers()[0]?.active === 1, 10_000); // in flight on the old worker
      await writeFile(path.join(folder, 'version.txt'), 'v2\n');
      await app.recycle('test');
      assert.equal((await request(t2.port, { host: 'inflight.localhost' })).body, 'v2');
      const res = await slow;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'v1', 'the request that was in flight finished on the old version');
      await eventually(() => !isAlive(oldPid), 5000);
      assert.equal(await readFile(path.join(markers.dir, `exit-${oldPid}`), 'utf8'), 'v1');
    } finally {
      await t2.stop();
      await markers.cleanup();
    }
  });

  test('rollback: each kind of failed start keeps the old version serving and reports why; the next change retries', async () => {
    const { app, folder } = await versioned('rollback');
    const server = path.join(folder, 'server.js');
    const good = await readFile(server, 'utf8');
    const cases: [string, () => Promise<void>, RegExp, RegExp][] = [
      ['syntax error', () => writeFile(server, `${good}\nthis is not javascript(\n`), /exited while starting/, /SyntaxError/],
      ['crash at start', () => writeFile(server, `throw new Error('boom at start');\n`), /exited while starting \(exit code 1\)/, /boom at start/],
      [
        'never listens',
        async () => {
          await writeFile(server, `setInterval(() => {}, 1000);\n`);
          await writeFile(path.join(folder, 'berth.yml'), 'maxNamedPipeConnectionRetry: 4\nnamedPipeConnectionRetryDelay: 100\n');
        },
        /did not listen on process\.env\.PORT within 0\.4 s/,
        /^$/,
      ],
      ['broken config', () => writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: many\n'), /configuration file berth\.yml is invalid/, /^$/],
    ];
    for (const [kind, breakIt, title, stderr] of cases) {
      await breakIt();
      const seen = t.events.length;
      assert.equal(await recycle(app, kind), 'failed', kind);
      const event = t.events.slice(seen).find((e) => e.type === 'recycle-failed');
      assert.ok(event?.type === 'recycle-failed');
      assert.match(event.title, title, kind);
      assert.match(event.stderr ?? '', stderr, kind);
      assert.equal(event.stillServing, app.generation!.id, kind);
      assert.equal(app.state, 'running', kind);
      assert.match(app.lastUpgradeProblem!.title, title, kind);
      assert.equal((await get('rollback')).body, 'v1', `${kind}: the old version still serves`);
      await writeFile(server, good);
      await rm(path.join(folder, 'berth.yml'), { force: true });
    }
    await writeFile(path.join(folder, 'version.txt'), 'v2\n');
    assert.equal(await recycle(app), 'succeeded');
    assert.equal((await get('rollback')).body, 'v2');
    assert.equal(app.lastUpgradeProblem, undefined);
  });

  test('a configuration change recycles with the new values; a removed key goes back to its default', async () => {
    const { app, folder } = await versioned('reconfig', 'nodeProcessCountPerApplication: 2\n');
    assert.equal(app.workers().length, 2);
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 3\n');
    assert.equal(await recycle(app), 'succeeded');
    assert.equal(app.workers().length, 3);
    await writeFile(path.join(folder, 'berth.yml'), '# nothing set any more\n');
    assert.equal(await recycle(app), 'succeeded');
    assert.equal(app.workers().length, 1, 'back to the default, unlike iisnode which kept the stale value');
    assert.equal(app.config!.sources.nodeProcessCountPerApplication.kind, 'default');
  });

  test('the recycle signal works every time and recycles only its own app', async () => {
    const { app } = await versioned('signalled', 'recycleSignalEnabled: true\n');
    const { app: bystander } = await versioned('bystander', 'recycleSignalEnabled: true\n');
    const bystanderGeneration = bystander.generation!.id;
    for (let i = 1; i <= 3; i++) {
      const before = app.generation!.id;
      const seen = t.events.length;
      assert.match((await get('signalled', '/recycle')).body, /^asked from v1/);
      await eventually(
        () => t.events.slice(seen).some((e) => e.type === 'recycle-succeeded' && e.app === 'signalled'),
        10_000,
      );
      assert.equal(app.generation!.id, before + 1, `signal ${i}`);
      const started = t.events.slice(seen).find((e) => e.type === 'recycle-started' && e.app === 'signalled');
      assert.ok(started?.type === 'recycle-started');
      assert.match(started.reason, /IISNODE_CONTROL_PIPE/);
    }
    assert.equal(bystander.generation!.id, bystanderGeneration);
  });

  test('an open WebSocket keeps working on the old worker after the switch, and the old worker exits once it closes', async () => {
    const folder = await copyFixture('websocket', dir, 'ws-drain');
    await writeFile(path.join(folder, 'berth.yml'), 'gracefulShutdownTimeout: 20000\n');
    const app = await addRunningApp(t, folder);
    const oldWorker = app.workers()[0]!;
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: 'ws-drain.localhost' } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const echo = (text: string) =>
      new Promise<string>((resolve) => {
        socket.once('message', (data) => resolve(data.toString()));
        socket.send(text);
      });
    assert.equal(await recycle(app), 'succeeded');
    assert.notEqual(app.workers()[0], oldWorker);
    assert.equal(await echo('still here'), 'still here');
    assert.equal(oldWorker.state, 'stopping', 'the old worker waits for its WebSocket');
    socket.close();
    await eventually(() => oldWorker.state === 'exited', 10_000);
    assert.equal(oldWorker.exitInfo?.expected, true);
  });

  test('maxMemoryPerProcessInMB: a worker that stays above the limit is replaced gracefully', async () => {
    const { app } = await versioned('memory', 'maxMemoryPerProcessInMB: 150\n');
    const before = app.workers()[0]!;
    assert.match((await get('memory', '/grow?mb=200')).body, /holding 1 blocks/);
    const event = await t.waitFor((e) => e.type === 'worker-memory-limit' && e.app === 'memory', 15_000);
    assert.ok(event.type === 'worker-memory-limit');
    assert.equal(event.pid, before.pid);
    assert.ok(event.rssMb > 150);
    assert.equal(event.limitMb, 150);
    await eventually(() => app.workers()[0]?.state === 'ready' && app.workers()[0] !== before, 10_000);
    assert.equal((await get('memory')).body, 'v1');
  });

  test('an errored app comes back when a change makes it start again', { timeout: 60_000 }, async () => {
    const folder = await copyFixture('crash-loop', dir, 'errored-then-fixed');
    const app = await t.engine.addApp(folder);
    await t.waitFor((e) => e.type === 'app-state' && e.app === app.name && e.state === 'errored', 30_000);
    await rm(path.join(folder, 'crash.flag'));
    assert.equal(await recycle(app, 'crash.flag deleted'), 'succeeded');
    assert.equal(app.state, 'running');
    assert.equal((await get('errored-then-fixed')).body, 'recovered');
  });
});
