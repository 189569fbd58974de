/**
 * The crash bookkeeping of one app: the crash history that restart-policy.ts decides on, the timers of pending
 * restarts, the last crash's stderr (for the restarting page), and the worker-exit event.
 */
import type { EngineEvent } from '../events.js';
import type { Worker, WorkerExit } from '../worker/worker.js';
import type { Generation } from './generation.js';
import { decideRestart, pruneHistory, type CrashRecord, type RestartDecision } from './restart-policy.js';

/** Lines of stderr included in crash events: enough for a node stack trace, whose message comes first. */
const CRASH_STDERR_LINES = 30;

export type WorkerExitEvent = Extract<EngineEvent, { type: 'worker-exit' }>;

export function workerExitEvent(app: string, generation: Generation, slot: number, worker: Worker, info: WorkerExit): WorkerExitEvent {
  return {
    type: 'worker-exit',
    app,
    pid: worker.pid ?? 0,
    generation: generation.id,
    slot,
    code: info.code,
    signal: info.signal,
    expected: info.expected,
    beforeReady: info.beforeReady,
    uptimeMs: info.uptimeMs,
    stderr: worker.failureLines(CRASH_STDERR_LINES),
    ...(info.spawnError ? { spawnError: info.spawnError } : {}),
    ...(info.connectionsLost ? { connectionsLost: info.connectionsLost } : {}),
  };
}

export class CrashRecovery {
  private history: CrashRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The stderr of the last worker that crashed. */
  lastStderr = '';

  /** A fresh start: earlier crashes no longer count. */
  forget(): void {
    this.history = [];
  }

  /** Records a crash of a worker that ran `uptimeMs`, and says what to do. */
  crashed(uptimeMs: number, now = Date.now()): RestartDecision {
    this.history.push({ at: now, uptimeMs });
    this.history = pruneHistory(this.history, now);
    return decideRestart(this.history, now);
  }

  /** Runs `restart` after `delayMs`, unless cancelled first. */
  restartLater(delayMs: number, restart: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      restart();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Cancels every pending restart. */
  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
