/**
 * The engine's event history (core/history): bounded per app, the last crash always kept with the output before it,
 * written to the Berth home and read back by the next engine; `events.history` over the control API, and
 * `berth events` as a user runs it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventHistory } from '../../core/history/event-history.js';
import type { EngineEvent } from '../../core/events.js';
import { startTestService } from '../helpers/control.js';
import { request } from '../helpers/http.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ dir, cleanup } = await tempDir('berth-history-')));
after(() => cleanup());

const ready = (app: string, pid: number): EngineEvent => ({ type: 'worker-ready', app, pid, generation: 1, slot: 0 });
const crash = (app: string, pid: number): EngineEvent => ({
  type: 'worker-exit', app, pid, generation: 1, slot: 0, code: 1, signal: null, expected: false, beforeReady: false, uptimeMs: 5, stderr: ['Error: boom'],
});

describe('EventHistory', () => {
  test('keeps the last 200 events per app and the last crash (with its output) however many come after', () => {
    const history = new EventHistory();
    history.record(crash('shop', 7), () => [{ stream: 'stdout', text: 'serving' }, { stream: 'stderr', text: 'Error: boom' }]);
    for (let i = 0; i < 300; i++) history.record(ready('shop', 100 + i));
    history.record(ready('blog', 1));
    const shop = history.of('shop');
    assert.equal(shop.events.length, 200);
    assert.equal((shop.events.at(-1)!.event as { pid: number }).pid, 399);
    assert.equal(shop.lastCrash?.event.type, 'worker-exit');
    assert.deepEqual(shop.lastCrash?.output?.map((l) => l.text), ['serving', 'Error: boom']);
    assert.equal(history.of('shop', 5).events.length, 5);
    assert.equal(history.of('blog').events.length, 1);
    assert.deepEqual(history.of('nothing'), { app: 'nothing', events: [], lastCrash: null });
    // Forgetting an app forgets its history.
    history.record({ type: 'app-removed', app: 'blog' });
    assert.equal(history.of('blog').events.length, 0);
  });

  test('long texts are cut; the file is written on flush and read by the next history; a damaged file starts empty', async () => {
    const file = path.join(dir, 'events.json');
    const first = new EventHistory({ file, debounceMs: 60_000 });
    first.record({ type: 'app-error', app: 'shop', title: 't', detail: 'x'.repeat(10_000) });
    first.record(ready('shop', 3));
    await first.flush();
    const second = new EventHistory({ file });
    await second.load();
    const shop = second.of('shop');
    assert.deepEqual(shop.events.map((e) => e.event.type), ['app-error', 'worker-ready']);
    assert.ok((shop.lastCrash!.event as { detail: string }).detail.length <= 4001);
    // New events number on from the old ones.
    second.record(ready('shop', 4));
    assert.ok(second.of('shop').events.at(-1)!.seq > shop.events.at(-1)!.seq);
    await writeFile(file, '{"version":1,"apps":');
    const third = new EventHistory({ file });
    await third.load();
    assert.equal(third.of('shop').events.length, 0);
  });
});

describe('events.history over the control API and berth events', () => {
  test("a crashed app's reason is there for a client that connects later, and after the engine restarts", async () => {
    const home = path.join(dir, 'home');
    let t = await startTestService({ home });
    const folder = await copyFixture('crash-on-start', dir, 'broken');
    try {
      const client = await t.connect();
      await client.call('apps.add', { folder, start: true }).catch(() => undefined);
      await t.waitFor((e) => e.type === 'worker-exit' && e.app === 'broken' && !e.expected);
      const seen = await client.call('events.history', { app: 'broken' });
      assert.ok(seen.events.some((e) => e.event.type === 'app-added'));
      // The crash loop ends errored: the last crash is the app error (or, when still looping, the worker's exit).
      assert.ok(['app-error', 'worker-exit'].includes(seen.lastCrash!.event.type));
      assert.match(JSON.stringify(seen.lastCrash), /Cannot find module/);
      await assert.rejects(client.call('events.history', { app: 'nosuch' }), /nosuch/);
    } finally {
      await t.stop();
    }
    const saved = JSON.parse(await readFile(path.join(home, 'events.json'), 'utf8')) as { apps: Record<string, unknown> };
    assert.ok(saved.apps.broken, 'the history file holds the app');

    t = await startTestService({ home });
    try {
      const client = await t.connect();
      const kept = await client.call('events.history', { app: 'broken' });
      assert.ok(kept.lastCrash);
      assert.match(JSON.stringify(kept.lastCrash), /Cannot find module/);

      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(REPO, 'bin', 'berth.js'), 'events', 'broken'], {
          env: { ...process.env, BERTH_HOME: home },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.stderr.on('data', (c) => (stderr += c));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[broken\] http:\/\/broken\.localhost/m);
      assert.match(run.stderr, /\[broken\] worker pid \d+ exited with code 1 before it listened/);
      assert.match(run.stderr, /Cannot find module/);
    } finally {
      await t.stop();
    }
  });
});

describe('restart counters', () => {
  test('count crashes, and start again from zero after a clean restart', async () => {
    const t = await startTestService({ mode: 'folders', home: path.join(dir, 'home-restarts') });
    try {
      const folder = await copyFixture('behaviours', dir, 'counted');
      const client = await t.connect();
      const added = await client.call('apps.add', { folder });
      assert.equal(added.state, 'running');
      const url = new URL(added.url);
      await request(Number(url.port), { host: url.host.split(':')[0]!, path: '/crash' }).catch(() => undefined);
      await t.waitFor((e) => e.type === 'worker-exit' && e.app === 'counted' && !e.expected);
      const replaced = await eventually(async () => {
        const detail = await client.call('apps.get', { app: 'counted' });
        return detail.readyWorkers === 1 && detail.restarts === 1 ? detail : undefined;
      });
      assert.equal(replaced?.restarts, 1);
      const restarted = await client.call('apps.restart', { app: 'counted' });
      assert.equal(restarted.restarts, 0);
    } finally {
      await t.stop();
    }
  });
});
