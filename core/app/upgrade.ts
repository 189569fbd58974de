/**
 * The first half of a graceful upgrade: starting the candidate generation. It reads the app's files again, asks the
 * debugger for an inspector port when an exclusive debug session wants one, starts every worker of the new
 * generation and waits until each listens. It decides nothing about the app: it answers with the generation ready
 * to switch to, the problem that kept it from starting (the caller keeps the old one serving), or that a stop came
 * meanwhile. The switch itself and the drain of the old generation stay in App.
 */
import type { AppVersion, Generation } from './generation.js';
import { startBudgetMs, startFailure, type DebugPort, type WorkerSpawner } from './spawner.js';
import { isVersion, type AppProblem } from './version.js';

export interface CandidateDeps {
  spawner: WorkerSpawner;
  /** Reads the app's configuration and entry again. */
  readVersion(): Promise<AppVersion | AppProblem>;
  /** The inspector of the new generation (an exclusive debug session), or undefined; throws when none is free. */
  debugPort(version: AppVersion): Promise<DebugPort | undefined>;
  /** A stop came: start nothing more, and stop what was started. */
  stopped(): boolean;
}

export type Candidate = { ready: Generation; version: AppVersion; debug: DebugPort | undefined } | { problem: AppProblem } | { stopped: true };

/** Starts a new generation and waits until all its workers listen (or one fails, or the app is stopped). */
export async function startCandidate(deps: CandidateDeps): Promise<Candidate> {
  const version = await deps.readVersion();
  if (!isVersion(version)) return { problem: version };
  let debug: DebugPort | undefined;
  try {
    debug = await deps.debugPort(version);
  } catch (error) {
    return { problem: { title: (error as Error).message, detail: 'The app keeps running without the debugger.' } };
  }
  if (deps.stopped()) return { stopped: true }; // a stop came while the files were read: start nothing
  const next = deps.spawner.newGeneration(version, debug);
  const budgetMs = startBudgetMs(version.config.settings);
  await deps.spawner.spawnAll(next);
  // Taken now: a worker that exits leaves its slot, but its exit code and stderr are the report.
  const starting = next.workers();
  // A worker started with a break on the first line listens only once the developer continues: switch now, and
  // requests wait for it (within the connection retry budget), as in iisnode.
  const results = await Promise.allSettled(starting.map((w) => (debug?.brk ? Promise.resolve() : w.whenReady(budgetMs))));
  const failed = starting.filter((_, i) => results[i]!.status === 'rejected');
  if (failed.length || deps.stopped()) {
    const timedOut = failed.some((w) => w.state !== 'exited');
    await deps.spawner.stop(next, 0);
    if (deps.stopped()) return { stopped: true };
    const failure = startFailure(failed, timedOut, budgetMs);
    const detail = 'The previous version keeps serving. Fix the problem; the next change tries again.';
    return { problem: { title: failure.title, detail, stderr: failure.stderr } };
  }
  return { ready: next, version, debug };
}
