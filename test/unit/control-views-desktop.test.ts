/**
 * What the desktop app's settings form and workers table need from the control API's views: each setting's range,
 * support status and whether a file may set it; each worker's leak hint.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configView, workerInfo, type AppRecordView } from '../../core/control/views.js';
import type { Worker } from '../../core/worker/worker.js';

const record = { name: 'shop', folder: '/w/shop', enabled: true, persisted: false, overrides: {}, app: undefined, missing: undefined, restarts: [] } as AppRecordView;

test('settings say their range, whether Berth acts on them, and whether a file may set them', () => {
  const view = configView(record, undefined, '/w/shop/berth.yml');
  const byName = new Map(view.settings.map((s) => [s.name, s]));
  assert.equal(byName.get('configOverrides')!.notInFile, true);
  assert.equal(byName.get('nodeProcessCountPerApplication')!.notInFile, undefined);
  assert.equal(byName.get('debuggerVirtualDir')!.support, 'ignored');
  assert.match(byName.get('debuggerVirtualDir')!.note ?? '', /node-inspector/);
  assert.equal(byName.get('loggingEnabled')!.support, 'improved');
  for (const s of view.settings) assert.ok(s.support, `${s.name} has a support status`);
});

function fakeWorker(heapAfterGc?: number[]): Worker {
  return {
    pid: 42,
    index: 0,
    generation: 1,
    state: 'ready',
    startedAt: 0,
    active: 0,
    totalRequests: 0,
    metrics: { rss: 1, heapUsed: 1, heapTotal: 1, external: 0, cpuPercent: 0, eventLoopDelayMs: { p50: 0, p99: 0 }, ...(heapAfterGc ? { heapAfterGc } : {}) },
    stats: { snapshot: () => ({ status4xx: 0, status5xx: 0, latencyP50: 0, latencyP99: 0 }) },
  } as unknown as Worker;
}

test('a worker carries the leak hint once it has reported garbage collections', () => {
  const MB = 1024 * 1024;
  assert.equal(workerInfo(fakeWorker(), []).leak, undefined);
  const rising = workerInfo(fakeWorker([10, 11, 12, 13, 14].map((n) => n * MB)), []).leak!;
  assert.equal(rising.suspected, true);
  assert.ok(rising.growth > 0.3);
  assert.equal(workerInfo(fakeWorker([10, 10, 10, 10, 10].map((n) => n * MB)), []).leak!.suspected, false);
});
