import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideRestart, pruneHistory, RESTART_POLICY, type CrashRecord } from '../../core/app/restart-policy.js';

const T0 = 1_700_000_000_000;

/** `count` crashes of workers that ran `uptimeMs`, `gapMs` apart, the last one at `last`. */
function crashes(count: number, gapMs: number, uptimeMs: number, last = T0): CrashRecord[] {
  return Array.from({ length: count }, (_, i) => ({ at: last - (count - 1 - i) * gapMs, uptimeMs }));
}

describe('RESTART_POLICY', () => {
  test('has the documented values', () => {
    assert.deepEqual(RESTART_POLICY, {
      baseDelayMs: 100,
      factor: 1.5,
      maxDelayMs: 15_000,
      healthyUptimeMs: 60_000,
      crashLoopCount: 10,
      windowMs: 60_000,
    });
  });
});

describe('decideRestart', () => {
  test('no history: restart after the base delay', () => {
    assert.deepEqual(decideRestart([], T0), { action: 'restart', delayMs: 100 });
  });

  test('backoff grows 1.5× per unstable crash: 100, 150, 225, 338, 506 …', () => {
    // Crashes 7 s apart never reach 10 within a 60 s window, so the sequence is not cut short by the crash loop.
    const history: CrashRecord[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      history.push({ at: T0 + i * 7000, uptimeMs: 2000 });
      const decision = decideRestart(history, T0 + i * 7000);
      assert.equal(decision.action, 'restart', `crash ${i + 1}`);
      if (decision.action === 'restart') delays.push(decision.delayMs);
    }
    assert.deepEqual(delays.slice(0, 13), [100, 150, 225, 338, 506, 759, 1139, 1709, 2563, 3844, 5767, 8650, 12975]);
    assert.deepEqual(delays.slice(13), [15000, 15000, 15000, 15000, 15000, 15000, 15000]);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!, 'never shrinks while crashes go on');
  });

  test('a crash after a healthy run (≥ 60 s) starts over at the base delay', () => {
    const history = [...crashes(5, 7000, 1000, T0 - 120_000), { at: T0, uptimeMs: 60_000 }];
    assert.deepEqual(decideRestart(history, T0), { action: 'restart', delayMs: 100 });
    const longRun = [...crashes(5, 7000, 1000, T0 - 3_600_000), { at: T0, uptimeMs: 3_600_000 }];
    assert.deepEqual(decideRestart(longRun, T0), { action: 'restart', delayMs: 100 });
  });

  test('after a healthy run the backoff counts only the crashes since', () => {
    const history = [...crashes(6, 7000, 1000, T0 - 200_000), { at: T0 - 100_000, uptimeMs: 90_000 }, { at: T0 - 7000, uptimeMs: 500 }, { at: T0, uptimeMs: 500 }];
    assert.deepEqual(decideRestart(history, T0), { action: 'restart', delayMs: 150 });
  });

  test('59 999 ms is still an unstable run', () => {
    const history = [{ at: T0 - 7000, uptimeMs: 59_999 }, { at: T0, uptimeMs: 59_999 }];
    assert.deepEqual(decideRestart(history, T0), { action: 'restart', delayMs: 150 });
  });

  test('10 unstable crashes within 60 s make a crash loop: errored', () => {
    const history = crashes(10, 5000, 300);
    assert.deepEqual(decideRestart(history, T0), { action: 'errored', crashes: 10 });
  });

  test('more than 10 count them all', () => {
    assert.deepEqual(decideRestart(crashes(12, 1000, 300), T0), { action: 'errored', crashes: 12 });
  });

  test('9 unstable crashes within 60 s still restart', () => {
    const decision = decideRestart(crashes(9, 5000, 300), T0);
    assert.equal(decision.action, 'restart');
  });

  test('crashes older than the window do not count toward the loop', () => {
    // 10 crashes, but the first is 60 s old: only 9 are within the window.
    const history = [{ at: T0 - 60_000, uptimeMs: 300 }, ...crashes(9, 5000, 300)];
    assert.equal(decideRestart(history, T0).action, 'restart');
    assert.equal(decideRestart(history, T0 - 1).action, 'errored');
    // Evaluated a little later, the same crashes are even further out.
    assert.equal(decideRestart(crashes(10, 5000, 300), T0 + 20_000).action, 'restart');
  });

  test('healthy runs within the window do not count toward the loop', () => {
    // 10 crashes within the window, but one of them ended a healthy run: 9 unstable ones.
    const history = [...crashes(8, 1000, 300, T0 - 1000), { at: T0 - 500, uptimeMs: 70_000 }, { at: T0, uptimeMs: 300 }];
    assert.equal(decideRestart(history, T0).action, 'restart');
  });

  test('a custom policy is honoured', () => {
    const policy = { ...RESTART_POLICY, baseDelayMs: 10, factor: 2, maxDelayMs: 50, crashLoopCount: 100 };
    const delays = [1, 2, 3, 4, 5].map((n) => decideRestart(crashes(n, 1000, 10), T0, policy));
    assert.deepEqual(delays, [10, 20, 40, 50, 50].map((delayMs) => ({ action: 'restart', delayMs })));
  });
});

describe('pruneHistory', () => {
  test('drops crashes older than the window', () => {
    const old = crashes(3, 1000, 100, T0 - 70_000);
    const recent = crashes(2, 1000, 100, T0);
    assert.deepEqual(pruneHistory([...old, ...recent], T0), recent);
  });

  test('keeps nothing when everything is old', () => {
    assert.deepEqual(pruneHistory(crashes(5, 1000, 100, T0 - 61_000), T0), []);
    assert.deepEqual(pruneHistory([], T0), []);
  });

  test('keeps at most the last 32 crashes', () => {
    const many = crashes(50, 100, 100);
    const pruned = pruneHistory(many, T0);
    assert.equal(pruned.length, 32);
    assert.deepEqual(pruned, many.slice(-32));
  });

  test('does not change the array it was given', () => {
    const history = [...crashes(2, 1000, 100, T0 - 90_000), ...crashes(2, 1000, 100)];
    const copy = history.map((c) => ({ ...c }));
    pruneHistory(history, T0);
    assert.deepEqual(history, copy);
  });

  test('a pruned history gives the same decision as the full one for a crash loop', () => {
    const history = [...crashes(5, 1000, 100, T0 - 200_000), ...crashes(10, 5000, 300)];
    assert.deepEqual(decideRestart(pruneHistory(history, T0), T0), decideRestart(history, T0));
    assert.deepEqual(decideRestart(pruneHistory(history, T0), T0), { action: 'errored', crashes: 10 });
  });
});
