/**
 * Metrics from real workers: memory a worker allocates shows in its samples (RSS and external memory), requests per
 * second and status classes follow the traffic, and the app's figures sum its workers'.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { WorkerSample } from '../../core/control/protocol.js';
import { addRunningApp, startEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const MB = 1024 * 1024;

test('a worker that allocates memory: its samples show it, and the other figures are sane', async () => {
  const { dir, cleanup } = await tempDir('berth-metrics-');
  const t = await startEngine({}, { watchFiles: false });
  try {
    const app = await addRunningApp(t, await copyFixture('versioned', dir, 'grower'));
    const metrics = t.engine.metrics;
    const latest = (): WorkerSample | undefined => metrics.history('grower', 1).workers[0]?.samples[0];
    const first = (await eventually(latest, 5000))!;
    assert.equal(metrics.history('grower').workers[0]!.pid, app.workers()[0]!.pid);
    assert.ok(first.rss > 10 * MB && first.rss < 500 * MB, `rss ${(first.rss / MB).toFixed(1)} MB`);
    assert.ok(first.heapUsed > 0 && first.heapUsed <= first.heapTotal);
    assert.ok(first.cpuPercent >= 0);
    assert.ok(first.eventLoopP50 >= 0 && first.eventLoopP99 >= first.eventLoopP50);

    assert.equal((await request(t.port, { host: 'grower.localhost', path: '/grow?mb=80' })).body, 'holding 1 blocks');
    const grown = (await eventually(() => {
      const s = latest();
      return s && s.external - first.external > 75 * MB ? s : undefined;
    }, 5000))!;
    assert.ok(grown.rss - first.rss > 70 * MB, `rss grew by ${((grown.rss - first.rss) / MB).toFixed(1)} MB for 80 MB allocated`);
    assert.ok(grown.rss - first.rss < 200 * MB, `rss grew by ${((grown.rss - first.rss) / MB).toFixed(1)} MB for 80 MB allocated`);
    const appSample = metrics.history('grower', 1).samples[0]!;
    assert.equal(appSample.rss, grown.rss, 'one worker: the app is that worker');
    assert.equal(appSample.workers, 1);
  } finally {
    await t.stop();
    await cleanup();
  }
});

test('requests per second, totals, 4xx/5xx and latency follow the traffic; the app sums its workers', async () => {
  const { dir, cleanup } = await tempDir('berth-metrics-');
  const t = await startEngine({}, { watchFiles: false });
  try {
    const folder = await copyFixture('chatty', dir, 'busy');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    await addRunningApp(t, folder);
    const metrics = t.engine.metrics;
    await eventually(() => metrics.history('busy', 1).workers.length === 2, 5000);
    const started = Date.now();
    const statuses = [...Array<number>(60).fill(200), 404, 404, 404, 500, 503];
    for (const status of statuses) await request(t.port, { host: 'busy.localhost', path: status === 200 ? '/' : `/status/${status}` });
    // The next sample after the traffic counts all of it.
    const sample = (await eventually(() => {
      const s = metrics.history('busy', 1).samples[0];
      return s && s.totalRequests === statuses.length && s.t > started ? s : undefined;
    }, 5000))!;
    assert.equal(sample.status4xx, 3);
    assert.equal(sample.status5xx, 2);
    assert.equal(sample.workers, 2);
    const history = metrics.history('busy');
    const workers = history.workers.map((w) => w.samples.at(-1)!);
    assert.equal(workers.reduce((sum, w) => sum + w.totalRequests, 0), statuses.length);
    assert.equal(sample.rss, workers.reduce((sum, w) => sum + w.rss, 0));
    // Every request was counted in some second's rate: the rates integrate to the total.
    const rateSum = history.samples.reduce((sum, s, i) => sum + (i === 0 ? 0 : s.requestsPerSecond * ((s.t - history.samples[i - 1]!.t) / 1000)), 0);
    const counted = history.samples[0]!.totalRequests + rateSum;
    assert.ok(Math.abs(counted - statuses.length) < 1.5, `rates add up to ${counted.toFixed(2)} of ${statuses.length} requests`);
    assert.ok(history.samples.some((s) => s.requestsPerSecond > 0));
    assert.ok(sample.latencyP99 >= sample.latencyP50 && sample.latencyP50 >= 0);
  } finally {
    await t.stop();
    await cleanup();
  }
});
