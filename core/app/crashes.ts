/**
 * The crash bookkeeping of one app: the crash history that restart-policy.ts decides on, the timers of pending
 * restarts, the last crash's stderr (for the restarting page), the worker-exit event, and the verdict on a crash:
 * restart after a delay, or the problem that makes the app errored (with its fix).
 */
import type { EngineEvent } from '../events.js';
import { crashLoopAdvice, listenedElsewhereProblem } from '../worker/startup-hints.js';
import type { Worker, WorkerExit } from '../worker/worker.js';
import type { Generation } from './generation.js';
import { decideRestart, pruneHistory, type CrashRecord, type RestartDecision } from './restart-policy.js';
import type { AppProblem } from './version.js';

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

  /**
   * A worker of the serving generation crashed: records it and says what to do. A spawn error or a worker that
   * listened in the wrong place fails the same way every time (no restarts, the fix at once); otherwise the restart
   * policy decides between a restart after a delay and giving up on a crash loop.
   */
  judge(worker: Worker, info: WorkerExit, redirectListen: boolean): { problem: AppProblem } | { restartInMs: number } {
    this.lastStderr = worker.failureText();
    if (info.spawnError) return { problem: { title: 'The worker process could not be started.', detail: info.spawnError } };
    if (info.listenedElsewhere) return { problem: { ...listenedElsewhereProblem(info.listenedElsewhere, redirectListen), stderr: this.lastStderr } };
    const decision = this.crashed(info.uptimeMs);
    if (decision.action !== 'errored') return { restartInMs: decision.delayMs };
    return {
      problem: {
        title: `The app crashed ${decision.crashes} times within a minute of starting, so Berth stopped restarting it.`,
        detail: crashLoopAdvice(this.lastStderr, info),
        stderr: this.lastStderr,
      },
    };
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
