/**
 * The debug session of one app: its mode (`exclusive`: one debug worker serves the app, iisnode's way; `cookie`: a
 * debug worker beside the normal ones serves only requests that carry the debug cookie), the inspector ports, the
 * attach information, and heap snapshots and CPU profiles of any worker. The app is reached through callbacks only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../config/schema.js';
import { fetchAttachInfo, type AttachInfo } from '../debug/attach.js';
import { parsePortRange, PortAllocator } from '../debug/ports.js';
import type { EngineEvent } from '../events.js';
import type { DebugMode } from '../shared/types.js';
import type { WrittenFile } from '../worker/worker.js';
import type { AppVersion, AppWorker, Generation } from './generation.js';
import { startBudgetMs, type DebugPort } from './spawner.js';

/** The cookie that sends a browser's requests to the debug worker in "debug only my requests" mode. */
export const DEBUG_COOKIE = 'berth.debug';

export type { DebugMode } from '../shared/types.js';

/** A running debug session. */
export interface DebugSession {
  /** `exclusive`: one debug worker serves the app (iisnode's way). `cookie`: it serves only requests with the cookie. */
  mode: DebugMode;
  brk: boolean;
  generation: Generation;
  /** The debug cookie's value (cookie mode). */
  cookie: string;
  info: AttachInfo;
  startedAt: number;
}

export class DebugError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DebugError';
  }
}

/** What the debug session needs from its app. */
export interface DebugHost {
  app: string;
  folder: string;
  emit(event: EngineEvent): void;
  /** The app as debugging sees it: its settings (undefined when it has none), whether it serves, and why not. */
  status(): { settings: Settings | undefined; state: string; serving: boolean; problem: string | undefined };
  /** The generation that serves now. */
  serving(): Generation | undefined;
  /** The serving generation's workers. */
  workers(): AppWorker[];
  /** A graceful recycle of the app (it asks `portForUpgrade` and `upgraded`). */
  recycle(reason: string): Promise<void>;
  /** Why the last recycle failed, if it did. */
  upgradeProblem(): string | undefined;
  /** Starts the one-worker debug generation of `version` (cookie mode). */
  startGeneration(version: AppVersion, debug: DebugPort): Promise<Generation>;
  /** Stops a generation gracefully. */
  drain(generation: Generation): Promise<void>;
  /** Stops a generation at once and closes its logs. */
  close(generation: Generation): Promise<void>;
}

/** A file name that is safe on Windows: no colons, no reserved characters. */
function safeStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

export class AppDebugger {
  /** The debug session, while one runs. */
  session: DebugSession | undefined;
  /** Debugging was asked for: recycles start debug generations while this is set. */
  private wanted: { mode: DebugMode; brk: boolean } | undefined;
  private problem: string | undefined;
  private readonly ports = new PortAllocator();

  constructor(private readonly host: DebugHost) {}

  /** The cookie-mode debug generation, while there is one. */
  get cookieGeneration(): Generation | undefined {
    return this.session?.mode === 'cookie' ? this.session.generation : undefined;
  }

  /**
   * Starts debugging (or restarts it with other options): `exclusive` switches the app gracefully to one debug
   * worker; `cookie` starts a debug worker beside the normal ones for requests that carry the debug cookie. The
   * inspector listens on 127.0.0.1 only, on a free port from debuggerPortRange. Resolves with the attach information.
   */
  async start(options: { brk?: boolean; mode?: DebugMode } = {}): Promise<DebugSession> {
    const mode = options.mode ?? 'exclusive';
    const brk = options.brk ?? false;
    const { app } = this.host;
    const status = this.host.status();
    if (!status.settings) throw new DebugError(`The app ${app} is not running${status.problem ? `: ${status.problem}` : ''}.`);
    if (!status.settings.debuggingEnabled) throw new DebugError(`Debugging is turned off for ${app} (debuggingEnabled: false in its configuration).`);
    if (!status.serving) throw new DebugError(`The app ${app} is ${status.state}; start it first.`);
    const current = this.session;
    if (current && current.mode === mode && current.brk === brk) return current;
    if (current) await this.stop();
    this.wanted = { mode, brk };
    this.problem = undefined;
    if (mode === 'cookie') await this.startCookie(brk);
    else await this.host.recycle(brk ? 'debugging on (break on the first line)' : 'debugging on');
    if (!this.session) {
      this.wanted = undefined;
      throw new DebugError(this.problem ?? this.host.upgradeProblem() ?? 'The debug worker could not be started.');
    }
    return this.session;
  }

  /** Stops debugging: back to the normal workers (gracefully, as an upgrade). */
  async stop(): Promise<boolean> {
    const session = this.session;
    this.wanted = undefined;
    if (!session) return false;
    if (session.mode === 'exclusive') await this.host.recycle('debugging off');
    else {
      this.end();
      await this.host.drain(session.generation);
    }
    this.end();
    return true;
  }

  /**
   * The app is stopping: debugging is no longer wanted and the session ends. Returns the cookie-mode debug
   * generation, which the app must stop.
   */
  abandon(): Generation | undefined {
    const generation = this.cookieGeneration;
    this.wanted = undefined;
    this.end();
    return generation;
  }

  /**
   * For a recycle: the inspector port of the new generation while exclusive debugging is wanted, else undefined.
   * Throws (and gives up debugging) when no port is free.
   */
  async portForUpgrade(version: AppVersion): Promise<DebugPort | undefined> {
    if (this.wanted?.mode !== 'exclusive') return undefined;
    try {
      return await this.allocatePort(version, this.wanted.brk);
    } catch (error) {
      this.problem = (error as Error).message;
      this.wanted = undefined;
      throw error;
    }
  }

  /** A recycle switched to `next` (started with `debug` when it is a debug generation). */
  async upgraded(next: Generation, debug: DebugPort | undefined): Promise<void> {
    if (debug) await this.generationStarted(next, 'exclusive', debug.brk);
    else if (this.session?.mode === 'exclusive') this.end();
    // In cookie mode the debug worker follows the new files too, on a new port.
    if (this.wanted?.mode === 'cookie' && this.session) await this.startCookie(this.wanted.brk);
  }

  /** Writes a heap snapshot of a worker (the first ready one by default) into `folder`, with a Windows-safe name. */
  async heapSnapshot(folder: string, pid?: number): Promise<WrittenFile & { pid: number }> {
    const worker = this.workerByPid(pid);
    await mkdir(folder, { recursive: true });
    const file = await worker.heapSnapshot(path.join(folder, `${this.host.app}-${worker.pid}-${safeStamp()}.heapsnapshot`));
    return { ...file, pid: worker.pid! };
  }

  /** Profiles a worker's CPU for `seconds` and writes a .cpuprofile (open it in DevTools' Performance panel). */
  async cpuProfile(folder: string, seconds: number, pid?: number): Promise<WrittenFile & { pid: number }> {
    const worker = this.workerByPid(pid);
    await mkdir(folder, { recursive: true });
    const file = await worker.cpuProfile(path.join(folder, `${this.host.app}-${worker.pid}-${safeStamp()}.cpuprofile`), Math.round(seconds * 1000));
    return { ...file, pid: worker.pid! };
  }

  private async allocatePort(version: AppVersion, brk: boolean): Promise<DebugPort> {
    const port = await this.ports.allocate(parsePortRange(version.config.settings.debuggerPortRange));
    return { port, brk };
  }

  /** The cookie-mode debug worker: a one-worker generation beside the serving one. */
  private async startCookie(brk: boolean): Promise<void> {
    const serving = this.host.serving();
    if (!serving) return;
    const previous = this.cookieGeneration;
    let debug: DebugPort;
    try {
      debug = await this.allocatePort(serving.version, brk);
    } catch (error) {
      this.problem = (error as Error).message;
      return;
    }
    // The app stopped (abandon) while the port was found: start nothing that would outlive it.
    if (!this.wanted) return;
    const generation = await this.host.startGeneration(serving.version, debug);
    const worker = generation.workers()[0];
    const budgetMs = startBudgetMs(serving.version.config.settings);
    if (!worker || !this.wanted || (!brk && !(await worker.whenReady(budgetMs).then(() => true, () => false)))) {
      this.problem = `The debug worker did not start: ${worker?.failureLines(5).join(' ') || 'no output'}`;
      await this.host.close(generation);
      return;
    }
    await this.generationStarted(generation, 'cookie', brk);
    if (previous) void this.host.drain(previous);
  }

  private async generationStarted(generation: Generation, mode: DebugMode, brk: boolean): Promise<void> {
    const { app, folder } = this.host;
    const info = await fetchAttachInfo(generation.debug!.port, { app, folder });
    this.session = { mode, brk, generation, cookie: this.session?.cookie ?? randomBytes(12).toString('hex'), info, startedAt: Date.now() };
    this.host.emit({
      type: 'debug-started',
      app,
      mode,
      brk,
      port: info.port,
      pid: generation.workers()[0]?.pid ?? 0,
      webSocketUrl: info.webSocketUrl,
      devtoolsUrl: info.devtoolsUrl,
    });
  }

  private end(): void {
    if (!this.session) return;
    this.session = undefined;
    this.host.emit({ type: 'debug-stopped', app: this.host.app });
  }

  private workerByPid(pid: number | undefined): AppWorker {
    const workers = [...this.host.workers(), ...(this.cookieGeneration?.workers() ?? [])];
    const worker = pid === undefined ? workers.find((w) => w.state === 'ready') : workers.find((w) => w.pid === pid);
    const { app } = this.host;
    if (!worker) throw new DebugError(pid === undefined ? `The app ${app} has no running worker.` : `The app ${app} has no worker with pid ${pid}.`);
    return worker;
  }
}
