import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generation } from '../../core/app/generation.js';
import { chooseLane, FAST_LANE_MIN_CAP, fastLaneWorker } from '../../core/app/lane.js';
import { defaultSettings, INFINITE, type Settings } from '../../core/config/schema.js';
import { parseRequestHead } from '../../core/proxy/http-parse.js';
import type { AppWorker as Worker } from '../../core/app/generation.js';

const plain = { siteApp: false, debugging: false };
const settings = (changes: Partial<Settings> = {}): Settings => ({ ...defaultSettings(), ...changes });

describe('chooseLane', () => {
  test('the defaults take the fast lane', () => {
    assert.deepEqual(chooseLane(settings(), plain), { lane: 'fast' });
  });

  test('each per-request setting keeps the proxy lane and is named', () => {
    const cases: [Partial<Settings>, RegExp][] = [
      [{ connectionHandoff: 'off' }, /connectionHandoff/],
      [{ enableXFF: true }, /enableXFF/],
      [{ promoteServerVars: 'AUTH_USER' }, /promoteServerVars/],
      [{ debugHeaderEnabled: true }, /debugHeaderEnabled/],
      [{ nodeProcessStickySessions: true }, /nodeProcessStickySessions/],
      [{ requestTimeout: 5000 }, /requestTimeout/],
      [{ idleTimeout: 900 }, /idleTimeout needs to see every request/],
      [{ maxConcurrentRequestsPerProcess: 10 }, /maxConcurrentRequestsPerProcess is 10/],
    ];
    for (const [change, reason] of cases) {
      const lane = chooseLane(settings(change), plain);
      assert.equal(lane.lane, 'proxy', JSON.stringify(change));
      assert.equal(lane.lane === 'proxy' && lane.reasons.length, 1);
      assert.match(lane.lane === 'proxy' ? lane.reasons[0]! : '', reason);
    }
  });

  test('a cap at the iisnode default or above (infinite too) is no per-request cap', () => {
    for (const cap of [FAST_LANE_MIN_CAP, 5000, INFINITE]) assert.equal(chooseLane(settings({ maxConcurrentRequestsPerProcess: cap }), plain).lane, 'fast');
    assert.equal(chooseLane(settings({ maxConcurrentRequestsPerProcess: FAST_LANE_MIN_CAP - 1 }), plain).lane, 'proxy');
  });

  test('an app that uses engine.io keeps the proxy lane under stickyRealtime auto, not under off', () => {
    const lane = chooseLane(settings(), { ...plain, realtime: true });
    assert.equal(lane.lane, 'proxy');
    assert.match(lane.lane === 'proxy' ? lane.reasons.join() : '', /socket\.io\/engine\.io.*stickyRealtime/);
    assert.deepEqual(chooseLane(settings({ stickyRealtime: 'off' }), { ...plain, realtime: true }), { lane: 'fast' });
  });

  test('a web.config site app and a debug session keep the proxy lane; every reason is listed', () => {
    const lane = chooseLane(settings({ enableXFF: true }), { siteApp: true, debugging: true });
    assert.equal(lane.lane, 'proxy');
    assert.equal(lane.lane === 'proxy' && lane.reasons.length, 3);
  });
});

describe('fastLaneWorker', () => {
  const head = (text: string) => parseRequestHead(text);
  const keepAlive = head('GET / HTTP/1.1\r\nHost: a.localhost');
  function generation(workers: { state: Worker['state']; active: number; handed: number }[], changes: Partial<Settings> = {}): Generation {
    const g = new Generation(1, workers.length, { config: { settings: settings(changes) } } as never);
    workers.forEach((w, i) => (g.slots[i] = { ...w, pid: 100 + i } as unknown as Worker));
    return g;
  }
  const app = (generation: Generation, running = true) => ({ state: running ? 'running' : 'starting', generation, options: {}, debugSession: undefined });

  test('least busy by handed connections plus requests; only ready workers with room', () => {
    const g = generation(
      [
        { state: 'ready', active: 0, handed: 3 },
        { state: 'starting', active: 0, handed: 0 },
        { state: 'ready', active: 1, handed: 1 },
      ],
      { loadBalancing: 'leastBusy' },
    );
    assert.equal(fastLaneWorker(keepAlive, app(g))?.pid, 102);
  });

  test('round robin takes turns among ready workers', () => {
    const g = generation([
      { state: 'ready', active: 0, handed: 0 },
      { state: 'ready', active: 0, handed: 5 },
    ]);
    assert.deepEqual([1, 2, 3].map(() => fastLaneWorker(keepAlive, app(g))?.pid), [101, 100, 101]);
  });

  test('none: not running, a request that closes or is HTTP/1.0, the proxy lane, or every worker at the cap', () => {
    const g = generation([{ state: 'ready', active: 0, handed: 0 }]);
    assert.equal(fastLaneWorker(keepAlive, app(g, false)), undefined);
    assert.equal(fastLaneWorker(head('GET / HTTP/1.1\r\nHost: a\r\nConnection: close'), app(g)), undefined);
    assert.equal(fastLaneWorker(head('GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive'), app(g)), undefined);
    assert.equal(fastLaneWorker(keepAlive, app(generation([{ state: 'ready', active: 0, handed: 0 }], { enableXFF: true }))), undefined);
    const full = generation([{ state: 'ready', active: 1000, handed: 24 }]);
    assert.equal(fastLaneWorker(keepAlive, app(full)), undefined);
  });

  test('engine.io traffic never takes the fast lane and keeps the app off it; a worker that loaded engine.io too', () => {
    const g = generation([
      { state: 'ready', active: 0, handed: 0 },
      { state: 'ready', active: 0, handed: 0 },
    ]);
    assert.ok(fastLaneWorker(keepAlive, app(g)), 'the fast lane before any engine.io traffic');
    assert.equal(fastLaneWorker(head('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a'), app(g)), undefined);
    assert.equal(fastLaneWorker(keepAlive, app(g)), undefined, 'then the proxy lane for every connection');

    const loaded = generation([{ state: 'ready', active: 0, handed: 0 }]);
    (loaded.slots[0] as { usesEngineIo?: boolean }).usesEngineIo = true;
    assert.equal(fastLaneWorker(keepAlive, app(loaded)), undefined);

    const off = generation([{ state: 'ready', active: 0, handed: 0 }], { stickyRealtime: 'off' });
    assert.ok(fastLaneWorker(head('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a'), app(off)));
    assert.ok(fastLaneWorker(keepAlive, app(off)));
  });
});
