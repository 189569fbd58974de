/**
 * Spawning the workers of a generation: a generation's log capture, each worker's command, environment and pipe,
 * its pool of idle proxy connections and its output piped into the log files (the worker, the proxy and the logs
 * meet here, not in one another's modules), and the events of its start. It knows nothing of the app's state: what a ready or exited worker means is told
 * back through callbacks.
 */
import os from 'node:os';
import type { Settings } from '../config/schema.js';
import type { EngineEvent } from '../events.js';
import { AppLogCapture, pipeWorkerOutput } from '../logs/capture.js';
import type { LogTail } from '../logs/tail.js';
import { endpointId, workerEndpoint, type Platform } from '../platform/platform.js';
import { UpstreamPool } from '../proxy/upstream-pool.js';
import { freeLoopbackPort } from '../worker/free-port.js';
import { workerCommand, workerEnvironment } from '../worker/launch.js';
import { Worker, type WorkerExit } from '../worker/worker.js';
import { entryRoot } from './entry.js';
import { Generation, type AppVersion, type AppWorker } from './generation.js';
import { PORT_PLACEHOLDER } from './start-command.js';

export interface SpawnerOptions {
  /** The app's name, for events. */
  app: string;
  platform: Platform;
  env: NodeJS.ProcessEnv;
  /** Where every generation's output also goes (the app's live tail). */
  tail: LogTail;
  emit(event: EngineEvent): void;
  /** web.config's appSettings, read at each spawn (a reloaded web.config changes them). */
  extraEnv(): Record<string, string> | undefined;
  /** IISNODE_CONTROL_PIPE's endpoint (for recycleSignalEnabled). */
  controlPipe(): Promise<string>;
  /** Called after the worker-ready event. */
  onReady(generation: Generation, slot: number, worker: AppWorker): void;
  onExit(generation: Generation, slot: number, worker: AppWorker, info: WorkerExit): void;
}

/** The inspector of a debug generation's worker. */
export interface DebugPort {
  port: number;
  brk: boolean;
}

/** How long a starting worker may take to listen: iisnode's connection retry budget. */
export function startBudgetMs(settings: Settings): number {
  return settings.maxNamedPipeConnectionRetry * settings.namedPipeConnectionRetryDelay;
}

export class WorkerSpawner {
  private generations = 0;
  /** Every generation not closed yet: the serving one, one starting, old ones draining, a debug one. */
  readonly open = new Set<Generation>();

  constructor(private readonly options: SpawnerOptions) {}

  /** A generation of empty slots for `version`, with its log capture. */
  newGeneration(version: AppVersion, debug?: DebugPort): Generation {
    const { settings } = version.config;
    // A debug generation is one worker, as in iisnode: one inspector, one process to step through.
    const count = debug ? 1 : settings.nodeProcessCountPerApplication || os.availableParallelism();
    const generation = new Generation(++this.generations, count, version);
    generation.debug = debug;
    const { app, emit, env, platform, tail } = this.options;
    const logs = new AppLogCapture({ baseDir: entryRoot(version.entry), settings, tail, env, platform });
    logs.on('problem', (problem) => emit({ type: 'log-problem', app, ...problem }));
    logs.on('recovered', (droppedBytes) => emit({ type: 'log-recovered', app, droppedBytes }));
    generation.logs = logs;
    this.open.add(generation);
    return generation;
  }

  /**
   * Closes a generation, once: stops every worker it still runs with `stopWorker`, then closes its logs (their
   * files stay open until then, and on Windows an open file blocks moving or deleting the app folder). Later calls
   * get the first call's promise.
   */
  close(generation: Generation, stopWorker: (worker: AppWorker) => Promise<unknown>): Promise<void> {
    generation.closing ??= (async () => {
      await Promise.all([...generation.running].map(stopWorker));
      await generation.logs?.close();
      this.open.delete(generation);
    })();
    return generation.closing;
  }

  /**
   * Stops every open generation within `timeoutMs`. `settled` waits for what may open another meanwhile (an upgrade
   * under way), which is stopped in the next round.
   */
  async stopAll(timeoutMs: number, settled: () => Promise<void> | undefined): Promise<void> {
    do {
      await Promise.all([...this.open].map((generation) => this.stop(generation, timeoutMs)));
      await settled();
    } while (this.open.size > 0);
  }

  /**
   * Stops a generation within `timeoutMs` and closes it. One already closing (an old generation draining) is
   * hurried: its workers are asked to exit now and killed after `timeoutMs` at the latest.
   */
  stop(generation: Generation, timeoutMs: number): Promise<void> {
    const closing = this.close(generation, (worker) => worker.stop(timeoutMs));
    for (const worker of generation.running) void worker.stop(timeoutMs);
    return closing;
  }

  /** Starts a worker in every slot of the generation. */
  spawnAll(generation: Generation): Promise<void> {
    return Promise.all(generation.slots.map((_, slot) => this.spawn(generation, slot))).then(() => undefined);
  }

  /** Starts a worker in one slot (it takes the slot at once, before it listens). */
  async spawn(generation: Generation, slot: number): Promise<void> {
    const { app, emit, platform, env } = this.options;
    const { settings } = generation.version.config;
    const entry = generation.version.entry;
    // A start command's tool wants a port number (and gets it in its own flags too).
    const start = entry.start;
    const endpoint = settings.portMode === 'tcp' || start ? String(await freeLoopbackPort()) : workerEndpoint(platform, endpointId());
    // web.config's appSettings sit between the inherited environment and Berth's own variables (iisnode's order).
    const extraEnv = this.options.extraEnv();
    // berth.yml's env sits over both, under Berth's own variables (PORT and the like, which the loader refuses there).
    const workerEnv = workerEnvironment(extraEnv ? { ...env, ...extraEnv } : env, settings, endpoint, platform, generation.version.config.env);
    if (settings.recycleSignalEnabled) workerEnv.IISNODE_CONTROL_PIPE = await this.options.controlPipe();
    const debug = generation.debug;
    const logs = generation.logs;
    if (generation.closing) return; // stopped while this spawn waited: a worker started now would be left behind
    const worker = new Worker({
      command: workerCommand(settings.nodeProcessCommandLine, platform),
      entry: entry.file,
      ...(start ? { args: [...start.args, ...start.portArgs.map((a) => a.split(PORT_PLACEHOLDER).join(endpoint))] } : {}),
      cwd: entryRoot(entry),
      env: workerEnv,
      endpoint,
      generation: generation.id,
      index: slot,
      platform,
      // Where the proxy and the worker meet: the proxy's pool of idle connections to this worker, and the log files.
      pool: new UpstreamPool(settings.maxNamedPipeConnectionPoolSize, settings.maxNamedPipePooledConnectionAge),
      ...(logs ? { capture: (child) => void pipeWorkerOutput(child, logs.createWorkerCapture(child.pid)) } : {}),
      nodeFlags: [...(debug ? [`--inspect${debug.brk ? '-brk' : ''}=127.0.0.1:${debug.port}`] : []), ...(start?.nodeFlags ?? [])],
    });
    generation.slots[slot] = worker;
    generation.running.add(worker);
    worker.on('ready', () => {
      emit({ type: 'worker-ready', app, pid: worker.pid ?? 0, generation: generation.id, slot });
      this.options.onReady(generation, slot, worker);
    });
    worker.on('listening-elsewhere', (address) => {
      emit({
        type: 'worker-warning',
        app,
        pid: worker.pid ?? 0,
        message: `The app listens on ${address}, not on process.env.PORT (${endpoint}); Berth can only reach it on process.env.PORT.`,
      });
    });
    worker.on('listen-redirected', (from, hint) => {
      // Every worker of a generation runs the same code: said once per generation.
      if (generation.redirectReported) return;
      generation.redirectReported = true;
      emit({
        type: 'worker-warning',
        app,
        pid: worker.pid ?? 0,
        message:
          `The app's HTTP server asked for ${from}; Berth bound it to process.env.PORT instead, so it is served ` +
          `(set redirectListen: false to turn this off).${hint ? ` Hint: ${hint}` : ''}`,
      });
    });
    worker.on('exit', (info) => {
      generation.running.delete(worker);
      this.options.onExit(generation, slot, worker, info);
    });
    reportNotStopped(worker, app, emit);
    await worker.start();
    if (worker.pid !== undefined) emit({ type: 'worker-started', app, pid: worker.pid, generation: generation.id, slot });
  }
}

/**
 * Tells the user about a worker that was killed and still had not exited by the kill deadline (`taskkill` failed or
 * ended nothing): Berth gives up waiting for it so stops and recycles go on, but the process may still be running,
 * holding memory, files or a port, and only the user can end it.
 */
export function reportNotStopped(worker: Worker, app: string, emit: (event: EngineEvent) => void): void {
  worker.on('not-stopped', (exit) => {
    const pid = worker.pid ?? 0;
    const what = exit.notStopped ?? `worker ${pid} did not exit after being killed`;
    const fix = `If it still runs, end process ${pid} yourself (Windows: Task Manager, or taskkill /F /T /PID ${pid}).`;
    emit({ type: 'worker-warning', app, pid, message: `${what}. ${fix}` });
  });
}

/**
 * Stops a worker that is out of service, within `timeoutMs`: first the requests it holds finish (the proxy knows
 * them), then it is asked to shut down (its exit handlers run), and what is left is killed.
 */
export async function retireWorker(worker: Worker, timeoutMs: number): Promise<void> {
  const started = Date.now();
  worker.retire();
  await worker.whenIdle(timeoutMs);
  // At least a moment for the shutdown itself, even when the requests used up the whole timeout.
  await worker.stop(Math.max(timeoutMs - (Date.now() - started), Math.min(timeoutMs, 1000)));
}

/** Why a new generation did not start, from the first of its workers that failed (`timedOut`: one never listened). */
export function startFailure(failed: readonly Worker[], timedOut: boolean, budgetMs: number): { title: string; stderr: string } {
  const worker = failed[0];
  const exit = worker?.exitInfo;
  return {
    title: timedOut
      ? `The new version did not listen on process.env.PORT within ${(budgetMs / 1000).toFixed(1)} s.`
      : exit?.spawnError
        ? `The new version could not be started: ${exit.spawnError}`
        : exit?.listenedElsewhere
          ? `The new version listens on ${exit.listenedElsewhere}, not on process.env.PORT, so Berth cannot reach it.`
          : `The new version's worker exited while starting (${exit?.signal ? `signal ${exit.signal}` : `exit code ${exit?.code}`}).`,
    stderr: worker?.failureText() ?? '',
  };
}
