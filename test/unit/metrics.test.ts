import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HISTORY_SAMPLES, MetricsCollector, type MeteredApp, type MeteredWorker } from '../../core/metrics/collector.js';
import { Ring } from '../../core/metrics/ring.js';
import { RequestStats } from '../../core/worker/request-stats.js';
import type { WorkerMetrics } from '../../core/worker/worker.js';

describe('Ring', () => {
  test('keeps the latest items, oldest first, overwriting past capacity', () => {
    const ring = new Ring<number>(3);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.last(), undefined);
    for (let i = 1; i <= 5; i++) ring.push(i);
    assert.equal(ring.length, 3);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.deepEqual(ring.toArray(2), [4, 5]);
    assert.deepEqual(ring.toArray(10), [3, 4, 5]);
    assert.equal(ring.last(), 5);
  });

  test('refuses a useless capacity', () => {
    assert.throws(() => new Ring(0), RangeError);
  });
});

/** A worker as the collector sees it: the same fields the engine's Worker has, with real RequestStats. */
function worker(pid: number, index: number, startedAt: number): MeteredWorker & { metrics: WorkerMetrics | undefined; active: number; stats: RequestStats } {
  return { pid, index, generation: 1, startedAt, active: 0, metrics: undefined, stats: new RequestStats() };
}

function report(at: number, rssMb: number, cpuPercent = 5): WorkerMetrics {
  return {
    at,
    rss: rssMb * 1024 * 1024,
    heapUsed: 10 * 1024 * 1024,
    heapTotal: 20 * 1024 * 1024,
    external: 1024 * 1024,
    arrayBuffers: 0,
    cpuPercent,
    eventLoopDelayMs: { p50: 10.123, p99: 12.5, max: 30 },
  };
}

describe('MetricsCollector', () => {
  test('requests per second come from the proxy totals between two samples; status counts and latency too', () => {
    const t0 = 1_000_000;
    const w = worker(11, 0, t0 - 1000);
    const app: MeteredApp = { name: 'shop', workers: () => [w] };
    const metrics = new MetricsCollector();
    w.metrics = report(t0, 50);
    for (let i = 0; i < 10; i++) w.stats.record(200, 5);
    let batch = metrics.sample([app], t0);
    // 10 requests in the second since the worker started.
    assert.equal(batch.apps[0]!.workers[0]!.sample.requestsPerSecond, 10);
    for (let i = 0; i < 30; i++) w.stats.record(200, 10);
    w.stats.record(404, 1);
    w.stats.record(503, 100);
    w.active = 2;
    w.metrics = report(t0 + 2000, 60, 25);
    batch = metrics.sample([app], t0 + 2000);
    const sample = batch.apps[0]!.workers[0]!.sample;
    assert.equal(sample.requestsPerSecond, 16, '32 requests over 2 seconds');
    assert.equal(sample.totalRequests, 42);
    assert.equal(sample.status4xx, 1);
    assert.equal(sample.status5xx, 1);
    assert.equal(sample.activeRequests, 2);
    assert.equal(sample.rss, 60 * 1024 * 1024);
    assert.equal(sample.cpuPercent, 25);
    assert.equal(sample.eventLoopP50, 10.12);
    assert.equal(sample.latencyP50, 10);
    assert.equal(sample.latencyP99, 100);
    const appSample = batch.apps[0]!.sample;
    assert.equal(appSample.totalRequests, 42);
    assert.equal(appSample.status5xx, 1);
  });

  test('the app sample sums its workers (latency: the slowest worker), and app totals survive a worker being replaced', () => {
    const t0 = 5_000_000;
    const a = worker(1, 0, t0 - 1000);
    const b = worker(2, 1, t0 - 1000);
    let workers = [a, b];
    const app: MeteredApp = { name: 'shop', workers: () => workers };
    const metrics = new MetricsCollector();
    a.metrics = report(t0, 40, 10);
    b.metrics = report(t0, 60, 30);
    for (let i = 0; i < 4; i++) a.stats.record(200, 2);
    for (let i = 0; i < 6; i++) b.stats.record(500, 50);
    let sample = metrics.sample([app], t0).apps[0]!.sample;
    assert.equal(sample.workers, 2);
    assert.equal(sample.rss, 100 * 1024 * 1024);
    assert.equal(sample.cpuPercent, 40);
    assert.equal(sample.requestsPerSecond, 10);
    assert.equal(sample.latencyP99, 50);
    assert.equal(sample.status5xx, 6);
    // b crashes and is replaced by c: the app's totals keep b's requests.
    const c = worker(3, 1, t0 + 500);
    c.metrics = report(t0 + 1000, 30);
    c.stats.record(200, 1);
    workers = [a, c];
    sample = metrics.sample([app], t0 + 1000).apps[0]!.sample;
    assert.equal(sample.totalRequests, 11);
    assert.equal(sample.status5xx, 6);
    assert.deepEqual(metrics.history('shop').workers.map((w) => w.pid).sort(), [1, 3]);
  });

  test('a worker appears once it has reported; until then it has no sample', () => {
    const w = worker(7, 0, 0);
    const metrics = new MetricsCollector();
    const batch = metrics.sample([{ name: 'x', workers: () => [w] }], 1000);
    assert.deepEqual(batch.apps[0]!.workers, []);
    assert.equal(batch.apps[0]!.sample.workers, 0);
  });

  test('history: 10 minutes per worker and app, oldest first; a removed app is forgotten', () => {
    assert.equal(HISTORY_SAMPLES, 600);
    const w = worker(9, 0, 0);
    const app: MeteredApp = { name: 'shop', workers: () => [w] };
    const metrics = new MetricsCollector();
    for (let s = 1; s <= 650; s++) {
      w.metrics = report(s * 1000, s);
      metrics.sample([app], s * 1000);
    }
    const history = metrics.history('shop');
    assert.equal(history.samples.length, 600);
    assert.equal(history.samples[0]!.t, 51_000);
    assert.equal(history.samples.at(-1)!.t, 650_000);
    assert.equal(history.workers[0]!.samples.length, 600);
    assert.equal(metrics.history('shop', 5).samples.length, 5);
    assert.equal(metrics.latest('shop').apps.length, 1);
    metrics.sample([], 651_000);
    assert.deepEqual(metrics.history('shop'), { app: 'shop', samples: [], workers: [] });
  });
});
