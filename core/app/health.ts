/**
 * The health decision (pure): which ready workers to replace, and why. A worker whose event loop has been silent
 * past unresponsiveTimeout is hung (the bootstrap sends a heartbeat every second); one that stays above
 * maxMemoryPerProcessInMB for MEMORY_LIMIT_GRACE_MS is too big. The app acts on the verdicts.
 */

/** How long a worker must stay above maxMemoryPerProcessInMB before it is replaced. */
export const MEMORY_LIMIT_GRACE_MS = 3000;

/** What the decision reads from one worker. */
export interface WorkerHealth {
  slot: number;
  ready: boolean;
  /** When it last sent anything (its heartbeat). */
  lastHeardAt: number;
  rssBytes: number;
  /** Since when it has been above the memory limit, while it is. */
  overMemorySince: number | undefined;
}

export interface HealthLimits {
  /** Milliseconds of silence; 0: never. */
  unresponsiveTimeout: number;
  /** 0: no limit. */
  maxMemoryPerProcessInMB: number;
}

export type Replacement = { reason: 'unresponsive'; silentMs: number } | { reason: 'memory'; rssMb: number; limitMb: number };

export interface HealthVerdict {
  slot: number;
  /** The worker's new overMemorySince (the first time it is seen above the limit; undefined once below). */
  overMemorySince: number | undefined;
  replace?: Replacement;
}

/** One verdict per ready worker, in the order given. Workers that are not ready are left alone. */
export function judgeHealth(workers: readonly WorkerHealth[], limits: HealthLimits, now: number): HealthVerdict[] {
  const verdicts: HealthVerdict[] = [];
  for (const worker of workers) {
    if (!worker.ready) continue;
    const silentMs = now - worker.lastHeardAt;
    if (limits.unresponsiveTimeout && silentMs > limits.unresponsiveTimeout) {
      verdicts.push({ slot: worker.slot, overMemorySince: worker.overMemorySince, replace: { reason: 'unresponsive', silentMs } });
      continue;
    }
    const limitBytes = limits.maxMemoryPerProcessInMB * 1024 * 1024;
    if (!limits.maxMemoryPerProcessInMB || worker.rssBytes <= limitBytes) {
      verdicts.push({ slot: worker.slot, overMemorySince: undefined });
      continue;
    }
    // It must stay above the limit, not just touch it between two garbage collections.
    const since = worker.overMemorySince ?? now;
    verdicts.push({
      slot: worker.slot,
      overMemorySince: since,
      ...(now - since >= MEMORY_LIMIT_GRACE_MS
        ? { replace: { reason: 'memory' as const, rssMb: Math.round(worker.rssBytes / 1024 / 1024), limitMb: limits.maxMemoryPerProcessInMB } }
        : {}),
    });
  }
  return verdicts;
}
