import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestStats } from '../../core/worker/request-stats.js';

test('counts by status class and reports latency percentiles over the latest samples', () => {
  const stats = new RequestStats();
  assert.deepEqual(stats.snapshot(), { total: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, latencyP50: 0, latencyP99: 0 });
  for (let i = 1; i <= 100; i++) stats.record(i <= 90 ? 200 : i <= 95 ? 404 : 503, i);
  stats.record(304, 1);
  const s = stats.snapshot();
  assert.equal(s.total, 101);
  assert.equal(s.status2xx, 90);
  assert.equal(s.status3xx, 1);
  assert.equal(s.status4xx, 5);
  assert.equal(s.status5xx, 5);
  assert.equal(s.latencyP50, 50);
  assert.equal(s.latencyP99, 99); // nearest rank over 101 samples (1, 1, 2, …, 100)
  // Only the latest 1024 latencies count.
  for (let i = 0; i < 1024; i++) stats.record(200, 7);
  assert.equal(stats.snapshot().latencyP99, 7);
});
