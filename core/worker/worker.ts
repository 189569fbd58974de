import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { endpointIsFile, endpointIsPort, workerSpawnOptions, type Platform } from '../platform/platform.js';
import type { WorkerState } from '../shared/types.js';
import { firstEvent } from '../util/first-event.js';
import { outsideAsar } from './asar.js';
import { readBootstrapMessage, type WorkerMetrics } from './bootstrap-messages.js';
import { sendConnection, type HandoffOutcome } from './handoff.js';
import { describeSpawnError } from './launch.js';
import { WorkerOutput } from './output.js';
import { RequestStats } from './request-stats.js';
import { BootstrapRequests, type WrittenFile } from './requests.js';
import { killTree } from './tree-kill.js';

/** The bootstrap every worker preloads (compiled from bootstrap.cts). */
export const BOOTSTRAP_PATH = outsideAsar(fileURLToPath(new URL('./bootstrap.cjs', import.meta.url)));

/**
 * How long a starting worker that listened somewhere else may take to listen on PORT too (a metrics server can come
 * first) before it fails fast with "listens on TCP port N", instead of every request waiting the whole start budget.
 */
export const LISTENED_ELSEWHERE_GRACE_MS = 3000;

/** How long an exited worker's output pipes may take to deliver their last bytes. */
const STDIO_DRAIN_MS = 500;

/**
 * How long a killed worker may take to exit before `stop()` gives up on it and says so. A kill can fail (taskkill
 * refused, a process Windows will not end): stop() must end anyway, or the engine's stop/remove never would.
 */
export const KILL_DEADLINE_MS = 10_000;

export type { WorkerState } from '../shared/types.js';
export type { WrittenFile } from './requests.js';
export type { WorkerMetrics } from './bootstrap-messages.js';

/**
 * The worker's pool of idle connections, as far as the worker itself uses it: the proxy's `UpstreamPool`, made by
 * the app layer (core/app/spawner.ts), which is the only place the proxy and the worker meet.
 */
export interface WorkerPool {
  /** The app's server reported its keepAliveTimeout. */
  setWorkerKeepAlive(ms: number): void;
  /** The worker is going away: close every idle connection. */
  destroyAll(): void;
}

export interface WorkerSpec<P extends WorkerPool = WorkerPool> {
  /** Program and leading arguments, from nodeProcessCommandLine. */
  command: readonly string[];
  entry: string;
  /** Arguments after the entry (a start command's). */
  args?: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The private endpoint the worker listens on (its PORT). */
  endpoint: string;
  generation: number;
  index: number;
  platform: Platform;
  /** Its idle connections (the proxy's), closed when it retires, stops or exits. */
  pool: P;
  /**
   * Called once the process is spawned, before anything reads its output: the app layer pipes it into the log files
   * (core/logs/capture.ts) when logging is on. The worker's own tails read it too.
   */
  capture?: (child: ChildProcess & { pid: number }) => void;
  /** Node flags Berth adds (the inspector for a debug worker), before the bootstrap and the entry. */
  nodeFlags?: readonly string[];
  /** The program that kills a process tree on Windows: taskkill, unless a test acts out its failures. */
  taskkill?: readonly string[];
  /** Overrides KILL_DEADLINE_MS (tests). */
  killDeadlineMs?: number;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The worker was asked to stop (or killed by Berth), as opposed to crashing. */
  expected: boolean;
  /** It never reported listening on its PORT. */
  beforeReady: boolean;
  /** Why it could not start at all (spawn error), when that is what happened. */
  spawnError?: string;
  /** It listened there (and not on PORT) and was stopped for it: "TCP port 3000". */
  listenedElsewhere?: string;
  uptimeMs: number;
  /** Fast-lane client connections it still held when it exited (they closed with it). */
  connectionsLost?: number;
  /**
   * Set when stop() gave up: the worker was killed but had not exited by the kill deadline, so it may still be
   * running. Says what was tried, for the app's log and the user.
   */
  notStopped?: string;
}

export interface WorkerEvents {
  ready: [];
  exit: [WorkerExit];
  /** The app listened somewhere other than process.env.PORT (a fixed TCP port, usually). */
  'listening-elsewhere': [address: string];
  /** The app's listen() was bound to PORT instead of what it asked for (`from`), with a hint for known mistakes. */
  'listen-redirected': [from: string, hint: string | undefined];
  output: [stream: 'stdout' | 'stderr', chunk: Buffer];
  metrics: [WorkerMetrics];
  /** Its last active request (or WebSocket) ended. */
  idle: [];
  /** It was killed and still had not exited by the kill deadline (`notStopped` says what was tried). */
  'not-stopped': [WorkerExit];
}

/**
 * One worker process: spawns it with the bootstrap preloaded, tracks its state, keeps its last output, and stops it
 * gracefully (IPC message, then a tree kill after a timeout). `P` is the pool of idle connections the app layer gives
 * it (the proxy's UpstreamPool): the worker only closes it and tells it the app's keep-alive timeout.
 */
export class Worker<P extends WorkerPool = WorkerPool> extends EventEmitter<WorkerEvents> {
  state: WorkerState = 'starting';
  pid: number | undefined;
  readonly startedAt = Date.now();
  exitInfo: WorkerExit | undefined;
  /** The app loaded engine.io (socket.io), as its bootstrap reported: the app keeps to the proxy lane (lane.ts). */
  usesEngineIo = false;
  /** Requests (and open WebSockets) this worker holds now. */
  active = 0;
  totalRequests = 0;
  /** Client connections handed to this worker (the fast lane) that it still holds; each counts as busy. */
  handed = 0;
  /** Ready (undefined) or exited first (the error), shared by every `whenReady`. */
  private readyOrExit: Promise<'ready' | 'exit'> | undefined;
  private handedRequests = 0;
  /** Completed requests by status class, and latencies (recorded by the proxy). */
  readonly stats = new RequestStats();
  /** Its last stderr and stdout, for the reports of its failures. */
  readonly output = new WorkerOutput();
  /** The latest metrics from the bootstrap. */
  metrics: WorkerMetrics | undefined;
  /** When the worker last sent anything (its heartbeat): a worker whose event loop is blocked goes quiet. */
  lastHeardAt = Date.now();
  /** Since when its memory has been above maxMemoryPerProcessInMB, while it is. */
  overMemorySince: number | undefined;
  readonly pool: P;
  private child: ChildProcess | undefined;
  private stopRequested = false;
  private readonly requests = new BootstrapRequests();
  private killTimer: NodeJS.Timeout | undefined;
  /** When the pending kill of a stop is due (Infinity: none pending; 0: killed). */
  private killAt = Infinity;
  /** What the last kill attempt reported (taskkill's exit and message), for a stop that gives up. */
  private killReport = '';
  private killDeadline: NodeJS.Timeout | undefined;
  /** Where it listened instead of PORT, once stopped for it. */
  private listenedElsewhere: string | undefined;
  private elsewhereTimer: NodeJS.Timeout | undefined;

  constructor(readonly spec: WorkerSpec<P>) {
    super();
    this.pool = spec.pool;
  }

  get endpoint(): string {
    return this.spec.endpoint;
  }

  get generation(): number {
    return this.spec.generation;
  }

  get index(): number {
    return this.spec.index;
  }

  async start(): Promise<void> {
    const { command, entry, cwd, env, platform } = this.spec;
    if (endpointIsFile(platform) && !endpointIsPort(this.spec.endpoint)) await rm(this.spec.endpoint, { force: true }); // a stale socket file blocks listen()
    const [program, ...leading] = command;
    let child: ChildProcess;
    try {
      child = spawn(program!, [...leading, ...(this.spec.nodeFlags ?? []), '--require', BOOTSTRAP_PATH, entry, ...(this.spec.args ?? [])], {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
        ...workerSpawnOptions(platform),
      });
    } catch (error) {
      this.onExit(null, null, describeSpawnError(error, program!));
      return;
    }
    this.child = child;
    this.pid = child.pid;
    // The capture pauses a pipe whose log file cannot keep up (bounded memory); the tail handler below reads too.
    if (this.spec.capture && child.pid !== undefined) this.spec.capture(child as ChildProcess & { pid: number });
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.on('data', (chunk: Buffer) => {
        this.output.push(stream, chunk);
        this.emit('output', stream, chunk);
      });
    }
    child.on('message', (message: unknown) => this.onMessage(message));
    child.once('error', (error) => {
      // Only spawn failures arrive here before 'exit'; later errors are about the IPC channel.
      if (this.pid === undefined) this.onExit(null, null, describeSpawnError(error, program!));
    });
    child.once('exit', (code, signal) => {
      // 'exit' can come before the last stderr bytes are read; those bytes are the crash report. Wait for the
      // pipes to end, but not for long: a grandchild may hold them open.
      const drained = [child.stdout!, child.stderr!].map(
        (stream) => new Promise<void>((resolve) => (stream.readableEnded || stream.destroyed ? resolve() : stream.once('close', () => resolve()))),
      );
      const timer = setTimeout(() => this.onExit(code, signal), STDIO_DRAIN_MS);
      void Promise.all(drained).then(() => {
        clearTimeout(timer);
        this.onExit(code, signal);
      });
    });
    // Let Berth's own event loop end even if a worker lingers (the worker exits when the IPC channel closes).
    child.unref();
    // Stopped while it was being started (the stop found no process to kill yet): end it now, or it would stay.
    if (this.stopRequested) this.kill();
  }

  private onMessage(raw: unknown): void {
    const message = readBootstrapMessage(raw);
    if (!message) return;
    this.lastHeardAt = Date.now();
    switch (message.berth) {
      case 'heap-snapshot-done':
      case 'cpu-profile-done':
        return void this.requests.answer(message);
      case 'connection-closed':
        return this.handedClosed();
      case 'metrics':
        this.metrics = message.metrics;
        if (this.metrics.engineIo === true) this.usesEngineIo = true;
        this.countHandedRequests(this.metrics.handedRequests);
        return void this.emit('metrics', this.metrics);
      case 'listening':
        if (message.elsewhere === undefined) {
          if (message.keepAliveTimeout !== undefined) this.pool.setWorkerKeepAlive(message.keepAliveTimeout);
        } else {
          this.emit('listening-elsewhere', message.elsewhere);
          this.failUnlessReady(message.elsewhere);
        }
        return;
      case 'listen-redirected':
        return void this.emit('listen-redirected', message.from, message.hint);
      case 'ready':
        if (this.state !== 'starting') return;
        if (message.engineIo) this.usesEngineIo = true;
        this.state = 'ready';
        return void this.emit('ready');
    }
  }

  /**
   * It listened somewhere Berth cannot reach: unless it also listens on PORT within the grace period, it is stopped
   * as a failed start that says where it listened (the app reports it at once, instead of requests timing out).
   */
  private failUnlessReady(address: string): void {
    if (this.state !== 'starting' || this.elsewhereTimer) return;
    this.elsewhereTimer = setTimeout(() => {
      if (this.state !== 'starting') return;
      this.listenedElsewhere = address;
      this.kill();
    }, LISTENED_ELSEWHERE_GRACE_MS);
    this.elsewhereTimer.unref();
  }

  /** The output that explains a failure (stderr, else stdout), its last lines, and the fix for a known mistake. */
  failureText(): string {
    return this.output.failureText();
  }

  failureLines(count: number): string[] {
    return this.output.failureLines(count);
  }

  failureHint(): string | undefined {
    return this.output.failureHint();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError?: string): void {
    if (this.state === 'exited') return;
    const beforeReady = this.state === 'starting';
    this.state = 'exited';
    clearTimeout(this.elsewhereTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.killDeadline);
    this.pool.destroyAll();
    this.requests.rejectAll(this.pid);
    this.exitInfo = {
      code,
      signal,
      // Stopped for listening elsewhere is a failed start, not a stop Berth wanted.
      expected: this.stopRequested && this.listenedElsewhere === undefined,
      beforeReady,
      ...(spawnError ? { spawnError } : {}),
      ...(this.handed > 0 ? { connectionsLost: this.handed } : {}),
      ...(this.listenedElsewhere ? { listenedElsewhere: this.listenedElsewhere } : {}),
      uptimeMs: Date.now() - this.startedAt,
    };
    this.handed = 0;
    if (endpointIsFile(this.spec.platform) && !endpointIsPort(this.spec.endpoint)) void rm(this.spec.endpoint, { force: true }).catch(() => undefined);
    this.emit('exit', this.exitInfo);
  }

  /** Resolves when the worker is ready; rejects when it exits first or the time runs out. */
  async whenReady(timeoutMs: number): Promise<void> {
    if (this.state === 'ready' || this.state === 'stopping') return;
    if (this.state === 'exited') throw new Error('exited');
    // One pair of listeners however many requests wait (a burst on a starting app would pass MaxListeners).
    this.readyOrExit ??= new Promise((resolve) => {
      const onReady = () => (this.off('exit', onExit), resolve('ready'));
      const onExit = () => (this.off('ready', onReady), resolve('exit'));
      this.once('ready', onReady).once('exit', onExit);
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([this.readyOrExit, new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')))]);
    clearTimeout(timer);
    if (outcome !== 'ready') throw new Error(outcome === 'exit' ? 'exited' : 'timeout');
  }

  /** Writes a heap snapshot of the worker to `file` (the worker pauses while V8 writes it). */
  heapSnapshot(file: string, timeoutMs = 120_000): Promise<WrittenFile> {
    return this.ask({ berth: 'heap-snapshot', path: file }, timeoutMs);
  }

  /** Profiles the worker's CPU for `ms` milliseconds and writes a .cpuprofile file (open it in DevTools). */
  cpuProfile(file: string, ms: number): Promise<WrittenFile> {
    return this.ask({ berth: 'cpu-profile', path: file, ms }, ms + 60_000);
  }

  private ask(message: Record<string, unknown>, timeoutMs: number): Promise<WrittenFile> {
    const child = this.child;
    if (!child?.connected || this.state === 'exited') return Promise.reject(new Error(`worker ${this.pid} is not running`));
    return this.requests.ask(child, this.pid, message, timeoutMs);
  }

  /**
   * The fast lane: hands a client connection (and the bytes read from it) to this worker, which serves it for the
   * rest of its life and reports when it closes. `done('kept')`: the worker could not take it; it is still ours.
   */
  takeConnection(socket: net.Socket, bytesRead: Buffer, done: (outcome: HandoffOutcome) => void): void {
    const child = this.child;
    if (!child?.connected || this.state !== 'ready') {
      done('kept');
      return;
    }
    this.handed++;
    sendConnection(child, socket, bytesRead, (outcome) => {
      if (outcome !== 'taken') this.handedClosed();
      done(outcome);
    });
  }

  /** Requests on handed connections never pass the proxy: the bootstrap's count joins the totals (no latencies). */
  private countHandedRequests(reported: number | undefined): void {
    if (typeof reported !== 'number' || reported <= this.handedRequests) return;
    const added = reported - this.handedRequests;
    this.handedRequests = reported;
    this.totalRequests += added;
    this.stats.total += added;
  }

  private handedClosed(): void {
    if (this.handed === 0) return;
    if (--this.handed === 0 && this.active === 0) this.emit('idle');
  }

  /** The proxy handed this worker a request (or WebSocket); `requestDone` follows exactly once. */
  requestStarted(): void {
    this.active++;
    this.totalRequests++;
  }

  /** A request (or WebSocket) this worker held is over. */
  requestDone(): void {
    if (--this.active === 0 && this.handed === 0) this.emit('idle');
  }

  /**
   * Takes the worker out of service without telling it yet: it gets no new requests and its idle connections are
   * closed, while the requests it holds go on. Then `whenIdle` says when they are done, and only then is the worker
   * asked to shut down; asking earlier could make it close a connection whose request it has not read yet.
   */
  retire(): void {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'stopping';
    this.pool.destroyAll();
    // Its handed connections close at a response boundary (Connection: close) or when idle; each is reported.
    if (this.handed > 0 && this.child?.connected) this.child.send({ berth: 'drain' });
  }

  /** Resolves true when the worker holds no request (now or within `timeoutMs`), false when time ran out. */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    if ((this.active <= 0 && this.handed <= 0) || this.state === 'exited') return true;
    return (await firstEvent(this, ['idle', 'exit'], timeoutMs)) !== 'timeout';
  }

  /** Resolves true when the worker has exited (now or within `timeoutMs`), false otherwise. */
  async whenExited(timeoutMs: number): Promise<boolean> {
    if (this.state === 'exited') return true;
    return (await firstEvent(this, ['exit'], timeoutMs)) === 'exit';
  }

  /**
   * Asks the worker to finish in-flight requests and exit (an IPC message: no signal, so it works on Windows), and
   * kills its process tree if it is still running after `timeoutMs`. Resolves when it has exited, or, when even the
   * kill did not end it within the kill deadline, with `notStopped` saying so: no stop waits unbounded once it kills.
   */
  stop(timeoutMs: number): Promise<WorkerExit> {
    if (this.state === 'exited') return Promise.resolve(this.exitInfo!);
    const exited = new Promise<WorkerExit>((resolve) => {
      const done = (exit: WorkerExit) => {
        this.off('exit', done);
        this.off('not-stopped', done);
        resolve(exit);
      };
      this.on('exit', done);
      this.on('not-stopped', done);
    });
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.state = 'stopping';
      this.pool.destroyAll();
      const child = this.child;
      if (timeoutMs <= 0 || !child?.connected) this.kill();
      else {
        try {
          child.send({ berth: 'shutdown' });
        } catch {
          this.kill();
        }
        this.killAt = Date.now() + timeoutMs;
        this.killTimer = setTimeout(() => this.kill(), timeoutMs);
      }
    } else if (Date.now() + timeoutMs < this.killAt) {
      // Stopping already, with a later kill (a drain's): the shorter timeout wins, as the app or engine stop asks.
      clearTimeout(this.killTimer);
      if (timeoutMs <= 0) this.kill();
      else {
        this.killAt = Date.now() + timeoutMs;
        this.killTimer = setTimeout(() => this.kill(), timeoutMs);
      }
    }
    return exited;
  }

  /** Kills the worker and everything it started, at once; reports 'not-stopped' if it still runs at the deadline. */
  kill(): void {
    this.stopRequested = true;
    this.killAt = 0;
    const pid = this.pid;
    if (pid === undefined || this.state === 'exited') return;
    const deadlineMs = this.spec.killDeadlineMs ?? KILL_DEADLINE_MS;
    this.killDeadline ??= setTimeout(() => this.emit('not-stopped', this.gaveUp(deadlineMs)), deadlineMs);
    killTree({
      platform: this.spec.platform,
      pid,
      taskkill: this.spec.taskkill,
      child: this.child,
      exited: () => this.state === 'exited',
      report: (text) => (this.killReport = text),
    });
  }

  /** The exit report of a worker that was killed and still had not exited by the deadline. */
  private gaveUp(deadlineMs: number): WorkerExit {
    const tried = this.killReport ? ` (${this.killReport})` : '';
    return {
      code: null,
      signal: null,
      expected: true,
      beforeReady: this.state === 'starting',
      uptimeMs: Date.now() - this.startedAt,
      notStopped: `worker ${this.pid} did not exit within ${deadlineMs} ms of being killed${tried}; it may still be running`,
    };
  }
}
