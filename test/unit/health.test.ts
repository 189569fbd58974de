import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeHealth, MEMORY_LIMIT_GRACE_MS, type WorkerHealth } from '../../core/app/health.js';

const NOW = 1_700_000_000_000;
const MB = 1024 * 1024;

function worker(slot: number, facts: Partial<WorkerHealth> = {}): WorkerHealth {
  return { slot, ready: true, lastHeardAt: NOW - 500, rssBytes: 50 * MB, overMemorySince: undefined, ...facts };
}

describe('judgeHealth', () => {
  test('a healthy worker is kept and its memory mark cleared', () => {
    const verdicts = judgeHealth([worker(0, { overMemorySince: NOW - 10_000 })], { unresponsiveTimeout: 5000, maxMemoryPerProcessInMB: 100 }, NOW);
    assert.deepEqual(verdicts, [{ slot: 0, overMemorySince: undefined }]);
  });

  test('a worker silent past unresponsiveTimeout is replaced as unresponsive', () => {
    const verdicts = judgeHealth([worker(0), worker(1, { lastHeardAt: NOW - 6000 })], { unresponsiveTimeout: 5000, maxMemoryPerProcessInMB: 0 }, NOW);
    assert.deepEqual(verdicts, [
      { slot: 0, overMemorySince: undefined },
      { slot: 1, overMemorySince: undefined, replace: { reason: 'unresponsive', silentMs: 6000 } },
    ]);
  });

  test('silence exactly at the timeout, or with the timeout off (0), is not judged', () => {
    assert.equal(judgeHealth([worker(0, { lastHeardAt: NOW - 5000 })], { unresponsiveTimeout: 5000, maxMemoryPerProcessInMB: 0 }, NOW)[0]!.replace, undefined);
    assert.equal(judgeHealth([worker(0, { lastHeardAt: NOW - 600_000 })], { unresponsiveTimeout: 0, maxMemoryPerProcessInMB: 0 }, NOW)[0]!.replace, undefined);
  });

  test('over the memory limit: marked first, replaced only after the grace period', () => {
    const limits = { unresponsiveTimeout: 0, maxMemoryPerProcessInMB: 100 };
    const first = judgeHealth([worker(2, { rssBytes: 150 * MB })], limits, NOW);
    assert.deepEqual(first, [{ slot: 2, overMemorySince: NOW }]);
    const during = judgeHealth([worker(2, { rssBytes: 150 * MB, overMemorySince: NOW })], limits, NOW + MEMORY_LIMIT_GRACE_MS - 1);
    assert.deepEqual(during, [{ slot: 2, overMemorySince: NOW }]);
    const after = judgeHealth([worker(2, { rssBytes: 150 * MB, overMemorySince: NOW })], limits, NOW + MEMORY_LIMIT_GRACE_MS);
    assert.deepEqual(after, [{ slot: 2, overMemorySince: NOW, replace: { reason: 'memory', rssMb: 150, limitMb: 100 } }]);
  });

  test('dropping back under the limit (between two garbage collections) starts the grace period over', () => {
    const limits = { unresponsiveTimeout: 0, maxMemoryPerProcessInMB: 100 };
    const under = judgeHealth([worker(0, { rssBytes: 90 * MB, overMemorySince: NOW - 2000 })], limits, NOW);
    assert.deepEqual(under, [{ slot: 0, overMemorySince: undefined }]);
  });

  test('an unresponsive worker is replaced for that, keeping its memory mark', () => {
    const verdicts = judgeHealth(
      [worker(0, { lastHeardAt: NOW - 9000, rssBytes: 500 * MB, overMemorySince: NOW - 60_000 })],
      { unresponsiveTimeout: 5000, maxMemoryPerProcessInMB: 100 },
      NOW,
    );
    assert.deepEqual(verdicts, [{ slot: 0, overMemorySince: NOW - 60_000, replace: { reason: 'unresponsive', silentMs: 9000 } }]);
  });

  test('workers that are not ready (starting, stopping) are left alone', () => {
    const verdicts = judgeHealth(
      [worker(0, { ready: false, lastHeardAt: NOW - 60_000, rssBytes: 500 * MB }), worker(1)],
      { unresponsiveTimeout: 5000, maxMemoryPerProcessInMB: 100 },
      NOW,
    );
    assert.deepEqual(verdicts, [{ slot: 1, overMemorySince: undefined }]);
  });
});
