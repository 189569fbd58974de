import { describe, expect, it, vi } from 'vitest';
import { HISTORY_MAX, useAppDetail } from '../src/stores/app-detail.js';
import { useConnection } from '../src/stores/connection.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';
import { detail, worker } from './samples.js';
import type { WorkerSample } from '../../core/control/protocol.js';

function sample(t: number, rss: number): WorkerSample {
  return { t, rss, heapUsed: rss / 4, heapTotal: rss / 2, external: 0, cpuPercent: 1, eventLoopP50: 1, eventLoopP99: 2, activeRequests: 1, requestsPerSecond: 5, totalRequests: 99, status4xx: 0, status5xx: 0, latencyP50: 1, latencyP99: 3 };
}

describe('app detail store', () => {
  it('loads the snapshot and the history, then grows each worker\'s series from the metrics feed', async () => {
    const now = Date.now();
    const engine = new FakeEngine()
      .on('apps.get', () => detail({ workerList: [worker({ pid: 1 })] }))
      .on('metrics.history', ({ app }) => ({ app, samples: [], workers: [{ pid: 1, slot: 0, generation: 1, samples: [sample(now - 2000, 10), sample(now - 1000, 20)] }] }));
    await connected(engine);
    const store = useAppDetail();
    store.attach();
    await store.open('shop');
    expect(store.series.get(1)!.samples.map((s) => s.rss)).toEqual([10, 20]);
    await until(() => engine.subscriptionCount('metrics') === 1);
    const appSample = { t: now, workers: 1, rss: 30, heapUsed: 1, heapTotal: 1, external: 0, cpuPercent: 1, eventLoopP50: 1, eventLoopP99: 1, activeRequests: 1, requestsPerSecond: 5, totalRequests: 99, status4xx: 0, status5xx: 0, latencyP50: 1, latencyP99: 1 };
    engine.push('metrics', { t: now, apps: [{ app: 'shop', sample: appSample, workers: [{ pid: 1, slot: 0, generation: 1, sample: sample(now, 30) }] }] });
    await until(() => store.series.get(1)!.samples.length === 3);
    // The table row moves with the sample, without a refetch.
    expect(store.detail!.workerList[0]!.memory!.rss).toBe(30);
    expect(store.detail!.workerList[0]!.totalRequests).toBe(99);
    expect(store.detail!.requestsPerSecond).toBe(5);
    store.close();
  });

  it('keeps at most 10 minutes per worker and forgets workers that are gone', async () => {
    const engine = new FakeEngine().on('apps.get', () => detail()).on('metrics.history', ({ app }) => ({ app, samples: [], workers: [] }));
    await connected(engine);
    const store = useAppDetail();
    await store.open('shop');
    const base = Date.now();
    const app = { t: base, workers: 1, rss: 1, heapUsed: 1, heapTotal: 1, external: 0, cpuPercent: 0, eventLoopP50: 0, eventLoopP99: 0, activeRequests: 0, requestsPerSecond: 0, totalRequests: 0, status4xx: 0, status5xx: 0, latencyP50: 0, latencyP99: 0 };
    for (let i = 0; i < HISTORY_MAX + 20; i++) store.onMetrics({ t: base + i, apps: [{ app: 'shop', sample: app, workers: [{ pid: 5, slot: 0, generation: 1, sample: sample(base + i, i) }] }] });
    expect(store.series.get(5)!.samples.length).toBe(HISTORY_MAX);
    store.onMetrics({ t: base + 9999, apps: [{ app: 'shop', sample: app, workers: [{ pid: 6, slot: 0, generation: 2, sample: sample(base + 9999, 1) }] }] });
    expect([...store.series.keys()]).toEqual([6]);
    store.close();
  });

  it('refetches the snapshot every few seconds while open (the leak hint changes without an event)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let gets = 0;
      const engine = new FakeEngine().on('apps.get', () => (gets++, detail())).on('metrics.history', ({ app }) => ({ app, samples: [], workers: [] }));
      await connected(engine);
      const store = useAppDetail();
      await store.open('shop');
      const before = gets;
      vi.advanceTimersByTime(5000);
      await until(() => gets === before + 1);
      store.close();
      vi.advanceTimersByTime(20_000);
      // A call made now is answered after anything a poll would have sent before it (one socket, in order).
      await useConnection().client().call('metrics.history', { app: 'shop', seconds: 1 });
      expect(gets).toBe(before + 1);
    } finally {
      vi.useRealTimers();
    }
  });
});
