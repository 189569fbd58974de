import os from 'node:os';
import path from 'node:path';
import { ConfigError, formatIssue, loadConfig, type ConfigIssue, type LoadedConfig } from '../config/load.js';
import { defaultSettings, type Settings } from '../config/schema.js';
import type { EngineEvent } from '../events.js';
import type { Dispatch, ExchangeFacts, LocalResponse, ProxyApp, Unavailable } from '../proxy/front-server.js';
import type { RequestHead } from '../proxy/http-parse.js';
import { headerValue, parseServerVarList, type ClientInfo, type ForwardingOptions } from '../proxy/forwarding.js';
import { AppLogCapture } from '../logs/capture.js';
import { logUrlPrefix } from '../logs/naming.js';
import { isLogRequestPath, serveLogRequest } from '../logs/serve.js';
import { LogTail } from '../logs/tail.js';
import { resolveLogDirectory } from '../logs/naming.js';
import { createAppWatcher, type AppWatcher } from '../watch/index.js';
import { debugHeaderValue, DEBUG_PAGE_PATH, renderDebugPage } from '../proxy/debug-header.js';
import { endpointId, workerEndpoint, type Platform } from '../platform/platform.js';
import { Worker, type WorkerExit } from '../worker/worker.js';
import { workerCommand, workerEnvironment } from '../worker/launch.js';
import { detectEntry, EntryError, type DetectedEntry } from './entry.js';
import { Generation, type AppVersion, type Balancing } from './generation.js';
import { ControlPipe } from './control-pipe.js';
import { decideRestart, pruneHistory, type CrashRecord } from './restart-policy.js';

export type AppState = 'stopped' | 'starting' | 'running' | 'errored' | 'stopping';

/** Why an app cannot serve: shown in the CLI, the UI and on its error pages. */
export interface AppProblem {
  title: string;
  detail: string;
  stderr?: string;
  issues?: ConfigIssue[];
}

export interface AppContext {
  platform: Platform;
  env: NodeJS.ProcessEnv;
  emit(event: EngineEvent): void;
}

/** iisnode's sticky-session cookie (Azure iisnode, nodeProcessStickySessions). */
export const STICKY_COOKIE = 'iisnode.session.cookie';

/** The worker ordinal in a sticky-session cookie, parsed like iisnode's atoi (at most 9 digits). */
export function stickySlot(cookieHeader: string | undefined): number | undefined {
  if (!cookieHeader) return undefined;
  const match = /(?:^|;)\s*iisnode\.session\.cookie=(\d{1,9})/.exec(cookieHeader);
  return match ? Number(match[1]) : undefined;
}

/** How long a worker must stay above maxMemoryPerProcessInMB before it is replaced. */
const MEMORY_LIMIT_GRACE_MS = 3000;

/** Lines of stderr included in crash events: enough for a node stack trace, whose message comes first. */
const CRASH_STDERR_LINES = 30;

/**
 * One hosted app: a folder, its configuration and entry, its workers (the current generation), and its state.
 * It answers the proxy's questions: which worker takes this request, or why none can.
 */
export class App implements ProxyApp {
  state: AppState = 'stopped';
  problem: AppProblem | undefined;
  config: LoadedConfig | undefined;
  entry: DetectedEntry | undefined;
  generation: Generation | undefined;
  /** The host name it answers on, set by the engine. */
  host = '';
  private generations = 0;
  private crashes: CrashRecord[] = [];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private lastCrashStderr = '';
  private forwardingOptions: ForwardingOptions | undefined;
  private recycling: Promise<void> | undefined;
  private pendingRecycle: string | undefined;
  private control: Promise<ControlPipe> | undefined;
  /** Why the last upgrade failed (the previous version kept serving), until one succeeds. */
  lastUpgradeProblem: AppProblem | undefined;
  /** The recent output of all the app's workers, across generations (the live tail). */
  readonly tail = new LogTail();
  private watchers: AppWatcher[] = [];
  /** What the current watchers were made from, to know when they must be made again. */
  private watchKey = '';

  constructor(
    readonly folder: string,
    /** The app's name: a DNS label, unique in the engine. */
    readonly name: string,
    private readonly context: AppContext,
  ) {}

  get settings(): Settings {
    return this.config?.settings ?? defaultSettings();
  }

  get maxRequestBufferSize(): number {
    return this.settings.maxRequestBufferSize;
  }

  get connectRetries(): number {
    return this.settings.maxNamedPipeConnectionRetry;
  }

  get connectRetryDelayMs(): number {
    return this.settings.namedPipeConnectionRetryDelay;
  }

  get requestTimeoutMs(): number {
    return this.settings.requestTimeout;
  }

  get forwarding(): ForwardingOptions {
    this.forwardingOptions ??= {
      enableXFF: this.settings.enableXFF,
      promoteServerVars: parseServerVarList(this.settings.promoteServerVars),
    };
    return this.forwardingOptions;
  }

  showErrorDetails(loopback: boolean): boolean {
    const settings = this.settings;
    return settings.devErrorsEnabled && (loopback || settings.devErrorsForRemote);
  }

  /** URLs Berth answers itself on the app's host: its diagnostics page and the log folder. */
  intercept(head: RequestHead, _client: ClientInfo, loopback: boolean): LocalResponse | Promise<LocalResponse> | undefined {
    const logs = this.generation?.logs;
    if (logs?.enabled && (head.method === 'GET' || head.method === 'HEAD')) {
      const settings = this.generation!.version.config.settings;
      const platform = this.context.platform;
      const prefix = logUrlPrefix(settings.logDirectory, '', platform);
      if (prefix && isLogRequestPath(prefix, head.target, platform)) {
        if (!loopback && !settings.logsForRemote) {
          return {
            status: 403,
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
            body: 'The log files are shown to callers on this computer only. Set logsForRemote: true in berth.yml to show them to others.\n',
          };
        }
        return serveLogRequest({
          logDir: logs.dir,
          urlPrefix: prefix,
          urlPath: head.target,
          method: head.method,
          rangeHeader: headerValue(head, 'range'),
          platform,
        });
      }
    }
    if (head.target.startsWith(DEBUG_PAGE_PATH) && (head.method === 'GET' || head.method === 'HEAD')) {
      const rest = head.target.slice(DEBUG_PAGE_PATH.length);
      if (rest === '' || rest.startsWith('?') || rest === '/') {
        return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body: renderDebugPage() };
      }
    }
    return undefined;
  }

  get debugHeaderEnabled(): boolean {
    return this.settings.debugHeaderEnabled;
  }

  debugHeader(worker: Worker, facts: ExchangeFacts): string | undefined {
    const settings = this.settings;
    if (!settings.debugHeaderEnabled) return undefined;
    const metrics = worker.metrics;
    return debugHeaderValue({
      host: facts.host,
      nodeCommandLine: settings.nodeProcessCommandLine,
      nodePid: worker.pid ?? 0,
      nodeRssBytes: metrics?.rss,
      nodePrivateBytes: metrics ? metrics.heapTotal + metrics.external : undefined,
      appProcesses: this.generation?.size ?? 0,
      processActiveRequests: worker.active,
      appActiveRequests: this.generation?.activeRequests ?? 0,
      totalRequests: facts.totalRequests,
      connectRetries: facts.connectRetries,
      requestTimeMs: facts.requestTimeMs,
    });
  }

  private emit(event: EngineEvent): void {
    this.context.emit(event);
  }

  private setState(state: AppState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit({ type: 'app-state', app: this.name, state, ...(this.problem && state === 'errored' ? { problem: this.problem.title } : {}) });
  }

  private setProblem(problem: AppProblem): void {
    this.problem = problem;
    this.emit({ type: 'app-error', app: this.name, title: problem.title, detail: problem.detail, ...(problem.stderr ? { stderr: problem.stderr } : {}) });
    this.setState('errored');
  }

  /** Reads the configuration and finds the entry: a version to start, or the problem that prevents it. */
  private async readVersion(): Promise<AppVersion | AppProblem> {
    let config: LoadedConfig;
    try {
      config = await loadConfig(this.folder, { env: this.context.env });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const file = error.issues.find((i) => i.file)?.file;
      return {
        title: `The configuration${file ? ` file ${path.basename(file)}` : ''} is invalid, so the app was not started.`,
        detail: error.issues.map(formatIssue).join('\n'),
        issues: error.issues,
      };
    }
    if (config.warnings.length) this.emit({ type: 'config-warnings', app: this.name, warnings: config.warnings.map(formatIssue) });
    try {
      return { config, entry: await detectEntry(this.folder, config.settings.entry, config.file) };
    } catch (error) {
      if (!(error instanceof EntryError)) throw error;
      return { title: 'No entry script, so the app was not started.', detail: error.message };
    }
  }

  /** Reads configuration and finds the entry. On failure the app is errored with a problem that says why. */
  async load(): Promise<boolean> {
    this.problem = undefined;
    this.forwardingOptions = undefined;
    const version = await this.readVersion();
    if (!('entry' in version)) {
      this.config = undefined;
      this.entry = undefined;
      this.setProblem(version);
      return false;
    }
    this.config = version.config;
    this.entry = version.entry;
    return true;
  }

  /** Starts the workers (loading configuration first when needed). */
  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    if (!this.config || !this.entry || this.problem) {
      if (!(await this.load())) return;
    }
    this.crashes = [];
    this.problem = undefined;
    this.setState('starting');
    const generation = this.newGeneration({ config: this.config!, entry: this.entry! });
    this.generation = generation;
    await Promise.all(generation.slots.map((_, slot) => this.spawn(generation, slot)));
  }

  private newGeneration(version: AppVersion): Generation {
    const settings = version.config.settings;
    const count = settings.nodeProcessCountPerApplication || os.availableParallelism();
    const generation = new Generation(++this.generations, count, version);
    const logs = new AppLogCapture({
      baseDir: path.dirname(version.entry.file),
      settings,
      tail: this.tail,
      env: this.context.env,
      platform: this.context.platform,
    });
    logs.on('problem', (problem) => this.emit({ type: 'log-problem', app: this.name, ...problem }));
    logs.on('recovered', () => this.emit({ type: 'log-recovered', app: this.name }));
    generation.logs = logs;
    return generation;
  }

  /** The log folder of the serving version, or undefined when logging is off. */
  get logDirectory(): string | undefined {
    const logs = this.generation?.logs;
    return logs?.enabled ? logs.dir : undefined;
  }

  private async spawn(generation: Generation, slot: number): Promise<void> {
    const { platform, env } = this.context;
    const { settings } = generation.version.config;
    const entry = generation.version.entry;
    const endpoint = workerEndpoint(platform, endpointId());
    const workerEnv = workerEnvironment(env, settings, endpoint, platform);
    if (settings.recycleSignalEnabled) workerEnv.IISNODE_CONTROL_PIPE = (await this.controlPipe()).endpoint;
    const worker = new Worker({
      command: workerCommand(settings.nodeProcessCommandLine, platform),
      entry: entry.file,
      cwd: path.dirname(entry.file),
      env: workerEnv,
      endpoint,
      generation: generation.id,
      index: slot,
      platform,
      pool: { maxSize: settings.maxNamedPipeConnectionPoolSize, maxAgeMs: settings.maxNamedPipePooledConnectionAge },
      ...(generation.logs ? { logs: generation.logs } : {}),
    });
    generation.slots[slot] = worker;
    worker.on('ready', () => {
      this.emit({ type: 'worker-ready', app: this.name, pid: worker.pid ?? 0, generation: generation.id, slot });
      if (this.state === 'starting' && generation === this.generation && generation.slots.every((w) => w?.state === 'ready')) this.setState('running');
    });
    worker.on('listening-elsewhere', (address) => {
      this.emit({
        type: 'worker-warning',
        app: this.name,
        pid: worker.pid ?? 0,
        message: `The app listens on ${address}, not on process.env.PORT (${endpoint}); Berth can only reach it on process.env.PORT.`,
      });
    });
    worker.on('exit', (info) => this.onWorkerExit(generation, slot, worker, info));
    await worker.start();
    if (worker.pid !== undefined) this.emit({ type: 'worker-started', app: this.name, pid: worker.pid, generation: generation.id, slot });
  }

  /**
   * Watches the files that recycle the app (watchedFiles, relative to the entry's folder, plus berth.yml and
   * iisnode.yml in the app folder). Called when the app is added and after every recycle; the watchers are made
   * again only when what they watch changed. Works for an errored app too: fixing its files starts it.
   */
  async watch(): Promise<void> {
    const settings = this.generation?.version.config.settings ?? this.config?.settings ?? defaultSettings();
    const root = this.generation ? path.dirname(this.generation.version.entry.file) : this.entry ? path.dirname(this.entry.file) : this.folder;
    const logDirectory = resolveLogDirectory(root, settings.logDirectory, this.context.platform);
    const key = JSON.stringify([root, settings.watchedFiles, logDirectory, settings.uncFileChangesPollingInterval]);
    if (key === this.watchKey || this.state === 'stopping') return;
    await this.unwatch();
    this.watchKey = key;
    const common = { logDirectory, pollingIntervalMs: settings.uncFileChangesPollingInterval, env: this.context.env, platform: this.context.platform };
    const watchers = [createAppWatcher({ root, watchedFiles: settings.watchedFiles, ...common })];
    // berth.yml and iisnode.yml live in the app folder, which is not the entry's folder when the entry is deeper.
    if (path.resolve(root) !== path.resolve(this.folder)) watchers.push(createAppWatcher({ root: this.folder, watchedFiles: '', ...common }));
    for (const watcher of watchers) {
      watcher.on('change', (trigger) => void this.recycle(trigger.reason));
      watcher.on('error', (error) => this.emit({ type: 'config-warnings', app: this.name, warnings: [`watching files: ${error.message}`] }));
    }
    this.watchers = watchers;
    await Promise.all(watchers.map((w) => w.ready));
    const notes = watchers.flatMap((w) => [...w.warnings, ...(w.mode?.polling ? [`watching ${w === watchers[0] ? root : this.folder} by polling every ${w.mode.intervalMs} ms (${w.mode.reason})`] : [])]);
    if (notes.length) this.emit({ type: 'config-warnings', app: this.name, warnings: notes });
  }

  private async unwatch(): Promise<void> {
    const watchers = this.watchers;
    this.watchers = [];
    this.watchKey = '';
    await Promise.all(watchers.map((w) => w.close()));
  }

  /** IISNODE_CONTROL_PIPE: one per app for its lifetime, so every generation's workers can ask for a recycle. */
  private async controlPipe(): Promise<ControlPipe> {
    this.control ??= ControlPipe.open(this.context.platform, () => {
      void this.recycle('the app asked for it through IISNODE_CONTROL_PIPE');
    });
    return this.control;
  }

  /**
   * Graceful upgrade (a generation switch): start a new generation with freshly read files and configuration, wait
   * until every new worker listens, switch routing to it in one step, then drain the old generation (in-flight
   * requests and WebSockets finish; killed after gracefulShutdownTimeout). If the new generation cannot start, the
   * old one keeps serving and the failure is reported. A trigger that arrives during a recycle runs one more after it.
   */
  recycle(reason: string): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return Promise.resolve();
    if (this.recycling) {
      this.pendingRecycle = reason;
      return this.recycling;
    }
    this.recycling = this.switchGeneration(reason).finally(() => {
      this.recycling = undefined;
      const next = this.pendingRecycle;
      this.pendingRecycle = undefined;
      if (next !== undefined) void this.recycle(next);
    });
    return this.recycling;
  }

  private async switchGeneration(reason: string): Promise<void> {
    const startedAt = Date.now();
    const old = this.generation;
    this.emit({ type: 'recycle-started', app: this.name, reason, generation: old?.id ?? 0 });
    const version = await this.readVersion();
    if (!('entry' in version)) {
      this.upgradeFailed(reason, version, old);
      return;
    }
    const next = this.newGeneration(version);
    const budgetMs = version.config.settings.maxNamedPipeConnectionRetry * version.config.settings.namedPipeConnectionRetryDelay;
    await Promise.all(next.slots.map((_, slot) => this.spawn(next, slot)));
    // Taken now: a worker that exits leaves its slot, but its exit code and stderr are the report.
    const starting = next.workers();
    const results = await Promise.allSettled(starting.map((w) => w.whenReady(budgetMs)));
    const failed = starting.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length || this.state === 'stopping' || this.state === 'stopped') {
      const timedOut = failed.some((w) => w.state !== 'exited');
      await Promise.all(starting.map((w) => w.stop(0)));
      void next.logs?.close();
      if (this.state === 'stopping' || this.state === 'stopped') return;
      const worker = failed[0];
      const exit = worker?.exitInfo;
      this.upgradeFailed(reason, {
        title: timedOut
          ? `The new version did not listen on process.env.PORT within ${(budgetMs / 1000).toFixed(1)} s.`
          : exit?.spawnError
            ? `The new version could not be started: ${exit.spawnError}`
            : `The new version's worker exited while starting (${exit?.signal ? `signal ${exit.signal}` : `exit code ${exit?.code}`}).`,
        detail: 'The previous version keeps serving. Fix the problem; the next change tries again.',
        stderr: worker?.stderrTail.text() ?? '',
      }, old);
      return;
    }
    // The switch: from here on every new request goes to the new generation.
    this.generation = next;
    this.config = version.config;
    this.entry = version.entry;
    this.forwardingOptions = undefined;
    this.crashes = [];
    this.problem = undefined;
    this.lastUpgradeProblem = undefined;
    this.setState('running');
    this.emit({ type: 'recycle-succeeded', app: this.name, reason, generation: next.id, ms: Date.now() - startedAt });
    if (this.watchers.length) void this.watch(); // watchedFiles or logDirectory may have changed
    // Draining may take up to gracefulShutdownTimeout (open WebSockets): it goes on in the background, and further
    // recycles need not wait for it.
    if (old) void this.drain(old);
  }

  private upgradeFailed(reason: string, problem: AppProblem, serving: Generation | undefined): void {
    this.lastUpgradeProblem = problem;
    this.emit({
      type: 'recycle-failed',
      app: this.name,
      reason,
      title: problem.title,
      detail: problem.detail,
      ...(problem.stderr ? { stderr: problem.stderr } : {}),
      stillServing: serving?.id ?? null,
    });
    // With no version serving (the app was errored or could not start), the failure is the app's problem now.
    if (!serving || this.state === 'errored') this.setProblem(problem);
  }

  /** Stops an old generation gracefully; its in-flight requests and WebSockets finish first. */
  private async drain(old: Generation): Promise<void> {
    const timeout = old.version.config.settings.gracefulShutdownTimeout;
    await Promise.all(old.workers().map((w) => w.stop(timeout)));
    await old.logs?.close();
    // Quotas are also checked after a recycle (the old generation's files are no longer being written).
    await this.generation?.logs?.enforceQuota();
    this.emit({ type: 'generation-drained', app: this.name, generation: old.id });
  }

  private onWorkerExit(generation: Generation, slot: number, worker: Worker, info: WorkerExit): void {
    if (generation.slots[slot] === worker) generation.slots[slot] = undefined;
    const stderrLines = worker.stderrTail.lastLines(CRASH_STDERR_LINES);
    const base = {
      type: 'worker-exit' as const,
      app: this.name,
      pid: worker.pid ?? 0,
      generation: generation.id,
      slot,
      code: info.code,
      signal: info.signal,
      expected: info.expected,
      beforeReady: info.beforeReady,
      uptimeMs: info.uptimeMs,
      stderr: stderrLines,
      ...(info.spawnError ? { spawnError: info.spawnError } : {}),
    };
    if (info.expected || this.state === 'stopping' || this.state === 'stopped' || generation !== this.generation) {
      this.emit(base);
      return;
    }
    this.lastCrashStderr = worker.stderrTail.text();
    if (info.spawnError) {
      this.emit(base);
      this.setProblem({ title: 'The worker process could not be started.', detail: info.spawnError });
      void this.stopWorkers(0);
      return;
    }
    const now = Date.now();
    this.crashes.push({ at: now, uptimeMs: info.uptimeMs });
    this.crashes = pruneHistory(this.crashes, now);
    const decision = decideRestart(this.crashes, now);
    if (decision.action === 'errored') {
      this.emit(base);
      this.setProblem({
        title: `The app crashed ${decision.crashes} times within a minute of starting, so Berth stopped restarting it.`,
        detail: 'Fix the error shown below, then change a file or restart the app.',
        stderr: this.lastCrashStderr,
      });
      void this.stopWorkers(0);
      return;
    }
    this.emit({ ...base, restartInMs: decision.delayMs });
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.generation === generation && (this.state === 'running' || this.state === 'starting')) void this.spawn(generation, slot);
    }, decision.delayMs);
    this.restartTimers.add(timer);
  }

  /** Chooses the worker for a request, or says why the app cannot take it. */
  pick(head: RequestHead): Dispatch | Unavailable {
    if (this.state === 'errored' && this.problem) {
      return {
        unavailable: true,
        status: 503,
        title: this.problem.title,
        advice: this.problem.detail,
        app: this.name,
        ...(this.problem.stderr !== undefined ? { stderr: this.problem.stderr } : {}),
      };
    }
    const generation = this.state === 'running' || this.state === 'starting' ? this.generation : undefined;
    if (!generation) {
      return { unavailable: true, status: 503, title: `The app ${this.name} is stopped.`, advice: 'Start it from Berth to serve requests again.', app: this.name };
    }
    const settings = this.settings;
    const sticky = settings.nodeProcessStickySessions;
    const wanted = sticky ? stickySlot(head.cookie) : undefined;
    const choice = generation.choose(settings.loadBalancing as Balancing, settings.maxConcurrentRequestsPerProcess, wanted);
    if ('worker' in choice) {
      // iisnode set the cookie when the request did not carry it (and when it named a worker that could not serve).
      const honoured = wanted !== undefined && wanted % generation.size === choice.slot;
      return sticky && !honoured ? { worker: choice.worker, setCookie: `${STICKY_COOKIE}=${choice.slot}` } : { worker: choice.worker };
    }
    if (choice.none === 'full') {
      const cap = settings.maxConcurrentRequestsPerProcess;
      return {
        unavailable: true,
        status: 503,
        retryAfter: 1,
        title: `The app ${this.name} is at capacity: each of its ${generation.size} worker(s) already holds ${cap} request(s).`,
        publicTitle: 'The app is at capacity. Try again in a moment.',
        advice: 'Every worker holds maxConcurrentRequestsPerProcess requests (open WebSockets count). Try again shortly, raise maxConcurrentRequestsPerProcess, or add workers with nodeProcessCountPerApplication.',
        app: this.name,
      };
    }
    return {
      unavailable: true,
      status: 503,
      title: `The app ${this.name} is restarting after a crash.`,
      advice: 'Its workers exited unexpectedly and are being restarted. Try again in a moment; the last stderr output is below.',
      app: this.name,
      stderr: this.lastCrashStderr,
    };
  }

  /**
   * Replaces workers whose event loop has been silent for longer than unresponsiveTimeout (the bootstrap sends a
   * heartbeat every second). The new worker starts first; the hung one is then stopped gracefully and killed after
   * gracefulShutdownTimeout if it never wakes up. Called about once a second.
   */
  checkHealth(now = Date.now()): void {
    const generation = this.generation;
    if (!generation || (this.state !== 'running' && this.state !== 'starting')) return;
    const { unresponsiveTimeout, maxMemoryPerProcessInMB } = generation.version.config.settings;
    generation.slots.forEach((worker, slot) => {
      if (!worker || worker.state !== 'ready') return;
      const silentMs = now - worker.lastHeardAt;
      if (unresponsiveTimeout && silentMs > unresponsiveTimeout) {
        this.emit({ type: 'worker-unresponsive', app: this.name, pid: worker.pid ?? 0, silentMs, activeRequests: worker.active });
        this.replaceWorker(generation, slot, worker);
        return;
      }
      const rss = worker.metrics?.rss ?? 0;
      if (maxMemoryPerProcessInMB && rss > maxMemoryPerProcessInMB * 1024 * 1024) {
        // It must stay above the limit, not just touch it between two garbage collections.
        worker.overMemorySince ??= now;
        if (now - worker.overMemorySince >= MEMORY_LIMIT_GRACE_MS) {
          this.emit({
            type: 'worker-memory-limit',
            app: this.name,
            pid: worker.pid ?? 0,
            rssMb: Math.round(rss / 1024 / 1024),
            limitMb: maxMemoryPerProcessInMB,
          });
          this.replaceWorker(generation, slot, worker);
        }
      } else worker.overMemorySince = undefined;
    });
  }

  /** Starts a replacement in the slot first, then stops the old worker gracefully. */
  private replaceWorker(generation: Generation, slot: number, worker: Worker): void {
    generation.slots[slot] = undefined;
    void this.spawn(generation, slot);
    void worker.stop(generation.version.config.settings.gracefulShutdownTimeout);
  }

  describeWorkerExit(worker: Worker): Record<string, string | number | undefined> {
    const exit = worker.exitInfo;
    return {
      pid: worker.pid,
      'exit code': exit?.code ?? undefined,
      signal: exit?.signal ?? undefined,
      'ran for (ms)': exit?.uptimeMs,
    };
  }

  workers(): Worker[] {
    return this.generation?.workers() ?? [];
  }

  private async stopWorkers(timeoutMs: number): Promise<void> {
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    await Promise.all(this.workers().map((w) => w.stop(timeoutMs)));
  }

  /** Stops, then starts again with freshly read configuration (also the way out of `errored`). */
  async restart(): Promise<void> {
    await this.stop();
    this.config = undefined;
    await this.start();
  }

  /** Releases what the app holds for its lifetime (the control pipe); called when it is removed. */
  async dispose(): Promise<void> {
    await this.unwatch();
    await this.stop();
    const control = this.control;
    this.control = undefined;
    if (control) await (await control).close();
  }

  /** Stops the workers gracefully (they finish in-flight requests), killing them after gracefulShutdownTimeout. */
  async stop(timeoutMs = this.settings.gracefulShutdownTimeout): Promise<void> {
    if (this.state === 'stopped') return;
    const wasErrored = this.state === 'errored';
    this.setState('stopping');
    await this.stopWorkers(timeoutMs);
    await this.generation?.logs?.close();
    this.generation = undefined;
    if (!wasErrored) this.problem = undefined;
    this.setState('stopped');
  }
}
