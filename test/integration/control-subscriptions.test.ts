/**
 * Subscriptions over a real socket: engine events in the engine's order, the live log tail, metrics every second;
 * unsubscribing; the end of a subscription whose app is removed; and a slow reader, whose backlog stays bounded while
 * what it missed is counted.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeControlClient as ControlClient } from '../../core/control/client.js';
import { ControlError } from '../../core/control/client.js';
import type { LogLine, MetricsBatch } from '../../core/control/protocol.js';
import type { EngineEvent } from '../../core/events.js';
import { startTestService, type TestService } from '../helpers/control.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { PATIENCE } from '../helpers/wine.js';

let t: TestService;
let client: ControlClient;
let dir: string;
let cleanup: () => Promise<void>;
let port: number;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-subs-'));
  t = await startTestService({ mode: 'folders' });
  client = await t.connect();
  port = t.service.engine.port;
});
after(async () => {
  await t.stop();
  await cleanup();
});

/** Events as they travel: JSON. */
const plain = (events: readonly EngineEvent[]) => JSON.parse(JSON.stringify(events)) as EngineEvent[];

describe('control API: subscriptions', () => {
  test('events arrive in the engine\'s order, all of them; an app filter keeps one app\'s', async () => {
    const received: EngineEvent[] = [];
    const onlyB: EngineEvent[] = [];
    const from = t.events.length;
    await client.subscribe('events.subscribe', {}, (event) => received.push(event));
    const a = await copyFixture('counter', dir, 'alpha');
    const b = await copyFixture('counter', dir, 'beta');
    await client.call('apps.add', { folder: a });
    await client.call('apps.add', { folder: b });
    await client.subscribe('events.subscribe', { app: 'beta' }, (event) => onlyB.push(event));
    const fromB = t.events.length;
    await Promise.all([client.call('apps.recycle', { app: 'alpha' }), client.call('apps.recycle', { app: 'beta' })]);
    await client.call('apps.stop', { app: 'alpha' });
    await client.call('apps.remove', { app: 'beta' });
    const expected = plain(t.events.slice(from));
    await eventually(() => received.length >= expected.length, 5000);
    assert.deepEqual(received, expected);
    assert.ok(expected.length > 15, `${expected.length} events`);
    for (const type of ['app-added', 'worker-ready', 'recycle-started', 'recycle-succeeded', 'app-state', 'app-removed']) assert.ok(expected.some((e) => e.type === type), type);
    const expectedB = plain(t.events.slice(fromB).filter((e) => 'app' in e && e.app === 'beta'));
    await eventually(() => onlyB.length >= expectedB.length, 5000);
    assert.deepEqual(onlyB, expectedB);
    await client.call('apps.remove', { app: 'alpha' });
  });

  test('logs: the history in the answer, then every new line in order; a stream filter; the end when the app goes', async () => {
    const folder = await copyFixture('chatty', dir, 'talker');
    await client.call('apps.add', { folder });
    await request(port, { host: 'talker.localhost', path: '/print?lines=3&tag=early' });
    await eventually(async () => (await client.call('logs.get', { app: 'talker' })).length === 3, 5000);

    const lines: LogLine[] = [];
    const errors: LogLine[] = [];
    let ended = '';
    const sub = await client.subscribe('logs.subscribe', { app: 'talker', lines: 2 }, (batch) => lines.push(...batch.lines), (reason) => (ended = reason));
    assert.deepEqual(sub.result.lines.map((l) => l.text.slice(0, 15)), ['early 000000001', 'early 000000002']);
    await client.subscribe('logs.subscribe', { app: 'talker', streams: ['stderr'] }, (batch) => errors.push(...batch.lines));
    await request(port, { host: 'talker.localhost', path: '/print?lines=2000&tag=bulk' });
    await request(port, { host: 'talker.localhost', path: '/print?lines=5&tag=oops&stream=stderr' });
    await eventually(() => lines.length === 2005 && errors.length === 5, 10_000);
    const bulk = lines.filter((l) => l.text.startsWith('bulk'));
    assert.deepEqual(bulk.map((l) => Number(l.text.slice(5, 14))), Array.from({ length: 2000 }, (_, i) => i));
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.seq > lines[i - 1]!.seq, 'sequence numbers increase');
    assert.deepEqual(errors.map((l) => [l.stream, l.text.slice(0, 14)]), [0, 1, 2, 3, 4].map((i) => ['stderr', `oops 00000000${i}`]));

    await client.call('apps.remove', { app: 'talker' });
    await eventually(() => ended !== '', 5000);
    assert.equal(ended, 'The app talker was removed.');
    await assert.rejects(sub.unsubscribe(), (e: unknown) => e instanceof ControlError && e.code === 'SUBSCRIPTION_NOT_FOUND');
  });

  test('metrics: a batch every second with the app and its workers; unsubscribing stops them', async () => {
    const folder = await copyFixture('chatty', dir, 'measured');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    await client.call('apps.add', { folder });
    const batches: MetricsBatch[] = [];
    const sub = await client.subscribe('metrics.subscribe', { app: 'measured' }, (batch) => batches.push(batch));
    await eventually(() => batches.length >= 2 && batches.at(-1)!.apps[0]!.workers.length === 2, 6000);
    const last = batches.at(-1)!;
    assert.deepEqual(last.apps.map((a) => a.app), ['measured']);
    assert.equal(last.apps[0]!.sample.workers, 2);
    // Once a second, not faster (no upper bound: on a loaded machine the timer may fire late).
    assert.ok(batches[1]!.t - batches[0]!.t >= 900, `${batches[1]!.t - batches[0]!.t} ms apart`);
    await sub.unsubscribe();
    const count = batches.length;
    // Proving the absence by later ticks: a second subscription gets two batches, the first none.
    const later: MetricsBatch[] = [];
    const other = await client.subscribe('metrics.subscribe', { app: 'measured' }, (batch) => later.push(batch));
    await eventually(() => later.length >= 2, 10_000);
    await other.unsubscribe();
    assert.equal(batches.length, count);
    await client.call('apps.remove', { app: 'measured' });
  });

  test('many clients with subscriptions each get every event, and the engine warns of no listener leak', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const received = Array.from({ length: 15 }, () => [] as EngineEvent[]);
      const clients = await Promise.all(received.map(() => t.connect()));
      await Promise.all(clients.map((c, i) => c.subscribe('events.subscribe', {}, (e) => received[i]!.push(e))));
      await Promise.all(clients.map((c) => c.subscribe('metrics.subscribe', {}, () => undefined)));
      const folder = await copyFixture('helloworld', dir, 'crowd');
      await client.call('apps.add', { folder, start: false });
      await eventually(() => received.every((r) => r.some((e) => e.type === 'app-added' && e.app === 'crowd')), 5000);
      await client.call('apps.remove', { app: 'crowd' });
      await Promise.all(clients.map((c) => c.close()));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.map((w) => w.name), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('a slow reader: the engine holds a bounded backlog, counts what it drops, and the reader learns how much', async () => {
    const folder = await copyFixture('chatty', dir, 'flood');
    await writeFile(path.join(folder, 'berth.yml'), 'loggingEnabled: false\n');
    await client.call('apps.add', { folder });
    const slow = await t.connect();
    const lines: LogLine[] = [];
    let dropped = 0;
    await slow.subscribe('logs.subscribe', { app: 'flood' }, (batch) => {
      lines.push(...batch.lines);
      dropped += batch.dropped;
    });
    const stats = () => t.service.control!.connectionStats().find((s) => s.subscriptions === 1)!;
    slow.socket.ws.pause();
    // 40 MB of output while the reader reads nothing. On Windows a pipe write is synchronous: the app answers once all
    // of it is written, which under Wine (every write a wineserver round trip) can take longer than the default 30 s.
    await request(port, { host: 'flood.localhost', path: '/print?lines=40000&bytes=1000&tag=f', timeoutMs: 30_000 * PATIENCE });
    const tail = t.service.engine.getApp('flood')!.tail;
    await eventually(() => tail.lines(1)[0]?.text.startsWith('f 000039999'), 30_000);
    const peak = stats().peakBufferedBytes;
    assert.ok(peak < 6 * 1024 * 1024, `the engine buffered ${(peak / 1024 / 1024).toFixed(1)} MB for one slow reader`);
    slow.socket.ws.resume();
    await eventually(() => lines.at(-1)?.text.startsWith('f 000039999'), 20_000);
    assert.ok(dropped > 0, 'some lines were dropped');
    assert.equal(lines.length + dropped, 40_000, `${lines.length} received + ${dropped} dropped`);
    // What arrived is in order, and the gaps are where lines were dropped.
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.seq > lines[i - 1]!.seq);
    assert.deepEqual((await slow.call('apps.list')).map((a) => a.name), ['flood']);
    await client.call('apps.remove', { app: 'flood' });
  });
});
