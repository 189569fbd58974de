/**
 * When a worker crashes: restart it, after how long, or give up and mark the app errored. A pure function over
 * the crash history so it is tested with a fake clock.
 */

export const RESTART_POLICY = {
  /** The first restart after a crash waits this long; each further crash waits 1.5× longer, up to `maxDelayMs`. */
  baseDelayMs: 100,
  factor: 1.5,
  maxDelayMs: 15_000,
  /** A worker that ran this long was healthy: its crash starts the backoff over. */
  healthyUptimeMs: 60_000,
  /** This many crashes of workers that ran less than `healthyUptimeMs`, within `windowMs`, make a crash loop. */
  crashLoopCount: 10,
  windowMs: 60_000,
};

export interface CrashRecord {
  at: number;
  uptimeMs: number;
}

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'errored'; crashes: number };

export function decideRestart(history: readonly CrashRecord[], now: number, policy = RESTART_POLICY): RestartDecision {
  const last = history[history.length - 1];
  if (!last || last.uptimeMs >= policy.healthyUptimeMs) return { action: 'restart', delayMs: policy.baseDelayMs };
  const recentUnstable = history.filter((c) => now - c.at < policy.windowMs && c.uptimeMs < policy.healthyUptimeMs).length;
  if (recentUnstable >= policy.crashLoopCount) return { action: 'errored', crashes: recentUnstable };
  // Consecutive unstable crashes since the last healthy run set the backoff step.
  let streak = 0;
  for (let i = history.length - 1; i >= 0 && history[i]!.uptimeMs < policy.healthyUptimeMs; i--) streak++;
  const delayMs = Math.min(policy.maxDelayMs, Math.round(policy.baseDelayMs * policy.factor ** (streak - 1)));
  return { action: 'restart', delayMs };
}

/** Keeps only what decideRestart can still look at. */
export function pruneHistory(history: CrashRecord[], now: number, policy = RESTART_POLICY): CrashRecord[] {
  const keepFrom = history.findIndex((c) => now - c.at < policy.windowMs);
  const recent = keepFrom === -1 ? [] : history.slice(keepFrom);
  return recent.slice(-Math.max(policy.crashLoopCount, 32));
}
