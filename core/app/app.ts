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
import { overlayWebConfig, type WebConfigSettings } from '../iis/index.js';
import { fetchAttachInfo, type AttachInfo } from '../debug/attach.js';
import { parsePortRange, PortAllocator } from '../debug/ports.js';
import { leakHint, type LeakHint } from '../debug/leak.js';
import { renderDebugSessionPage } from '../debug/page.js';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { WrittenFile } from '../worker/worker.js';
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

/** What a web.config site says about one of its script apps. */
export interface AppOptions {
  /** The entry script (absolute), from a web.config handler: no entry detection. */
  script?: string;
  /** web.config's <iisnode> settings: they sit under berth.yml/iisnode.yml and the environment. */
  webConfig?: WebConfigSettings;
  /** web.config's <appSettings>: environment variables for the workers. */
  extraEnv?: Record<string, string>;
  /** The script's URL path (e.g. /node/hello.js), for iisnode's debugger URL under it. */
  urlPath?: string;
}

/** iisnode's sticky-session cookie (Azure iisnode, nodeProcessStickySessions). */
export const STICKY_COOKIE = 'iisnode.session.cookie';

/** The worker ordinal in a sticky-session cookie, parsed like iisnode's atoi (at most 9 digits). */
export function stickySlot(cookieHeader: string | undefined): number | undefined {
  if (!cookieHeader) return undefined;
  const match = /(?:^|;)\s*iisnode\.session\.cookie=(\d{1,9})/.exec(cookieHeader);
  return match ? Number(match[1]) : undefined;
}

/** The cookie that sends a browser's requests to the debug worker in "debug only my requests" mode. */
export const DEBUG_COOKIE = 'berth.debug';

export type DebugMode = 'exclusive' | 'cookie';

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

/** A file name that is safe on Windows: no colons, no reserved characters. */
function safeStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** How long a worker must stay above maxMemoryPerProcessInMB before it is replaced. */
const MEMORY_LIMIT_GRACE_MS = 3000;

function hasCookie(header: string, name: string, value: string): boolean {
  return header.split(';').some((part) => part.trim() === `${name}=${value}`);
}

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
  private ownedPathsCache: { generation: Generation | undefined; logPrefix: string | undefined; lowerPrefixes: string[]; shortest: number } | undefined;
  private recycling: Promise<void> | undefined;
  private pendingRecycle: string | undefined;
  private control: Promise<ControlPipe> | undefined;
  /** Why the last upgrade failed (the previous version kept serving), until one succeeds. */
  lastUpgradeProblem: AppProblem | undefined;
  /** The recent output of all the app's workers, across generations (the live tail). */
  readonly tail = new LogTail();
  private watchers: AppWatcher[] = [];
  /** The debug session, while one runs. */
  debugSession: DebugSession | undefined;
  /** Debugging was asked for: recycles start debug generations while this is set. */
  private debugWanted: { mode: DebugMode; brk: boolean } | undefined;
  private debugProblem: string | undefined;
  private readonly ports = new PortAllocator();
  /** What the current watchers were made from, to know when they must be made again. */
  private watchKey = '';

  constructor(
    readonly folder: string,
    /** The app's name: a DNS label, unique in the engine. */
    readonly name: string,
    private readonly context: AppContext,
    /** Set again when a site's web.config changes; read at every (re)start. */
    public options: AppOptions = {},
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
    const paths = this.ownedPaths();
    // The common case, checked without allocating: the URL is none of Berth's.
    const lowerStart = head.target.slice(0, paths.shortest).toLowerCase();
    if (!paths.lowerPrefixes.some((p) => lowerStart === p.slice(0, paths.shortest))) return undefined;
    const debug = this.debugRequest(head, loopback);
    if (debug) return debug;
    const logs = this.generation?.logs;
    if (logs?.enabled && (head.method === 'GET' || head.method === 'HEAD')) {
      const settings = this.generation!.version.config.settings;
      const platform = this.context.platform;
      const prefix = paths.logPrefix;
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

  /**
   * The URL prefixes Berth answers on this app's host (its debugger URL, its log folder, /__berth/), worked out once
   * per generation rather than per request.
   */
  private ownedPaths(): { logPrefix: string | undefined; lowerPrefixes: string[]; shortest: number } {
    const generation = this.generation;
    if (this.ownedPathsCache?.generation !== generation || !this.ownedPathsCache) {
      const settings = generation?.version.config.settings;
      const logPrefix = settings && generation?.logs?.enabled ? logUrlPrefix(settings.logDirectory, '', this.context.platform) : undefined;
      const prefixes = [DEBUG_PAGE_PATH, this.debugPath(), logPrefix].filter((p): p is string => p !== undefined).map((p) => p.toLowerCase());
      this.ownedPathsCache = { generation, logPrefix, lowerPrefixes: prefixes, shortest: Math.min(...prefixes.map((p) => p.length)) };
    }
    return this.ownedPathsCache;
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
      if (this.options.webConfig) config = overlayWebConfig(config, this.options.webConfig);
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
    if (this.options.script) return { config, entry: { file: this.options.script, how: 'web.config handler' } };
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

  private newGeneration(version: AppVersion, debug?: { port: number; brk: boolean }): Generation {
    const settings = version.config.settings;
    // A debug generation is one worker, as in iisnode: one inspector, one process to step through.
    const count = debug ? 1 : settings.nodeProcessCountPerApplication || os.availableParallelism();
    const generation = new Generation(++this.generations, count, version);
    generation.debug = debug;
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
    // web.config's appSettings sit between the inherited environment and Berth's own variables (iisnode's order).
    const workerEnv = workerEnvironment(this.options.extraEnv ? { ...env, ...this.options.extraEnv } : env, settings, endpoint, platform);
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
      ...(generation.debug ? { nodeFlags: [`--inspect${generation.debug.brk ? '-brk' : ''}=127.0.0.1:${generation.debug.port}`] } : {}),
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
    let debug: { port: number; brk: boolean } | undefined;
    if (this.debugWanted?.mode === 'exclusive') {
      try {
        debug = await this.allocateDebugPort(version);
      } catch (error) {
        this.debugProblem = (error as Error).message;
        this.upgradeFailed(reason, { title: (error as Error).message, detail: 'The app keeps running without the debugger.' }, old);
        this.debugWanted = undefined;
        return;
      }
    }
    const next = this.newGeneration(version, debug);
    const budgetMs = version.config.settings.maxNamedPipeConnectionRetry * version.config.settings.namedPipeConnectionRetryDelay;
    await Promise.all(next.slots.map((_, slot) => this.spawn(next, slot)));
    // Taken now: a worker that exits leaves its slot, but its exit code and stderr are the report.
    const starting = next.workers();
    // A worker started with a break on the first line listens only once the developer continues: switch now, and
    // requests wait for it (within the connection retry budget), as in iisnode.
    const results = await Promise.allSettled(starting.map((w) => (debug?.brk ? Promise.resolve() : w.whenReady(budgetMs))));
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
    if (debug) await this.debugGenerationStarted(next, 'exclusive', debug.brk);
    else if (this.debugSession?.mode === 'exclusive') this.endDebugSession();
    // In cookie mode the debug worker follows the new files too, on a new port.
    if (this.debugWanted?.mode === 'cookie' && this.debugSession) await this.startCookieDebug(this.debugWanted.brk);
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
    await Promise.all(old.workers().map((w) => this.retireWorker(w, timeout)));
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

  // Debugging ------------------------------------------------------------------------------------------------

  private async allocateDebugPort(version: AppVersion): Promise<{ port: number; brk: boolean }> {
    const port = await this.ports.allocate(parsePortRange(version.config.settings.debuggerPortRange));
    return { port, brk: this.debugWanted?.brk ?? false };
  }

  private async debugGenerationStarted(generation: Generation, mode: DebugMode, brk: boolean): Promise<void> {
    const info = await fetchAttachInfo(generation.debug!.port, { app: this.name, folder: this.folder });
    this.debugSession = { mode, brk, generation, cookie: this.debugSession?.cookie ?? randomBytes(12).toString('hex'), info, startedAt: Date.now() };
    this.emit({
      type: 'debug-started',
      app: this.name,
      mode,
      brk,
      port: info.port,
      pid: generation.workers()[0]?.pid ?? 0,
      webSocketUrl: info.webSocketUrl,
      devtoolsUrl: info.devtoolsUrl,
    });
  }

  private endDebugSession(): void {
    if (!this.debugSession) return;
    this.debugSession = undefined;
    this.emit({ type: 'debug-stopped', app: this.name });
  }

  /**
   * Starts debugging (or restarts it with other options): `exclusive` switches the app gracefully to one debug
   * worker; `cookie` starts a debug worker beside the normal ones for requests that carry the debug cookie. The
   * inspector listens on 127.0.0.1 only, on a free port from debuggerPortRange. Resolves with the attach information.
   */
  async startDebugging(options: { brk?: boolean; mode?: DebugMode } = {}): Promise<DebugSession> {
    const mode = options.mode ?? 'exclusive';
    const brk = options.brk ?? false;
    const settings = (this.generation?.version.config ?? this.config)?.settings;
    if (!settings) throw new DebugError(`The app ${this.name} is not running${this.problem ? `: ${this.problem.title}` : ''}.`);
    if (!settings.debuggingEnabled) throw new DebugError(`Debugging is turned off for ${this.name} (debuggingEnabled: false in its configuration).`);
    if (this.state !== 'running' && this.state !== 'starting') throw new DebugError(`The app ${this.name} is ${this.state}; start it first.`);
    const current = this.debugSession;
    if (current && current.mode === mode && current.brk === brk) return current;
    if (current) await this.stopDebugging();
    this.debugWanted = { mode, brk };
    this.debugProblem = undefined;
    if (mode === 'cookie') await this.startCookieDebug(brk);
    else await this.recycle(brk ? 'debugging on (break on the first line)' : 'debugging on');
    if (!this.debugSession) {
      this.debugWanted = undefined;
      throw new DebugError(this.debugProblem ?? this.lastUpgradeProblem?.title ?? 'The debug worker could not be started.');
    }
    return this.debugSession;
  }

  /** The cookie-mode debug worker: a one-worker generation beside the serving one. */
  private async startCookieDebug(brk: boolean): Promise<void> {
    const serving = this.generation;
    if (!serving) return;
    const previous = this.debugSession?.mode === 'cookie' ? this.debugSession.generation : undefined;
    let debug: { port: number; brk: boolean };
    try {
      debug = { port: (await this.allocateDebugPort(serving.version)).port, brk };
    } catch (error) {
      this.debugProblem = (error as Error).message;
      return;
    }
    const generation = this.newGeneration(serving.version, debug);
    await this.spawn(generation, 0);
    const worker = generation.workers()[0];
    const budgetMs = serving.version.config.settings.maxNamedPipeConnectionRetry * serving.version.config.settings.namedPipeConnectionRetryDelay;
    if (!worker || (!brk && !(await worker.whenReady(budgetMs).then(() => true, () => false)))) {
      this.debugProblem = `The debug worker did not start: ${worker?.stderrTail.lastLines(5).join(' ') || 'no output'}`;
      if (worker) await worker.stop(0);
      return;
    }
    await this.debugGenerationStarted(generation, 'cookie', brk);
    if (previous) void this.drain(previous);
  }

  /** Stops debugging: back to the normal workers (gracefully, as an upgrade). */
  async stopDebugging(): Promise<boolean> {
    const session = this.debugSession;
    this.debugWanted = undefined;
    if (!session) return false;
    if (session.mode === 'exclusive') await this.recycle('debugging off');
    else {
      this.endDebugSession();
      await this.drain(session.generation);
    }
    this.endDebugSession();
    return true;
  }

  private workerByPid(pid: number | undefined): Worker {
    const workers = [...this.workers(), ...(this.debugSession?.mode === 'cookie' ? this.debugSession.generation.workers() : [])];
    const worker = pid === undefined ? workers.find((w) => w.state === 'ready') : workers.find((w) => w.pid === pid);
    if (!worker) throw new DebugError(pid === undefined ? `The app ${this.name} has no running worker.` : `The app ${this.name} has no worker with pid ${pid}.`);
    return worker;
  }

  /** Writes a heap snapshot of a worker (the first ready one by default) into `folder`, with a Windows-safe name. */
  async heapSnapshot(folder: string, pid?: number): Promise<WrittenFile & { pid: number }> {
    const worker = this.workerByPid(pid);
    await mkdir(folder, { recursive: true });
    const file = await worker.heapSnapshot(path.join(folder, `${this.name}-${worker.pid}-${safeStamp()}.heapsnapshot`));
    return { ...file, pid: worker.pid! };
  }

  /** Profiles a worker's CPU for `seconds` and writes a .cpuprofile (open it in DevTools' Performance panel). */
  async cpuProfile(folder: string, seconds: number, pid?: number): Promise<WrittenFile & { pid: number }> {
    const worker = this.workerByPid(pid);
    await mkdir(folder, { recursive: true });
    const file = await worker.cpuProfile(path.join(folder, `${this.name}-${worker.pid}-${safeStamp()}.cpuprofile`), Math.round(seconds * 1000));
    return { ...file, pid: worker.pid! };
  }

  /** Whether a worker's heap keeps growing across garbage collections. */
  leakHint(worker: Worker): LeakHint {
    return leakHint(worker.metrics?.heapAfterGc ?? []);
  }

  /** The iisnode debugger URL of the app: `/<entry>/<debuggerPathSegment>` (entry relative to the app folder). */
  private debugPath(): string | undefined {
    const version = this.generation?.version;
    if (!version || !version.config.settings.debuggingEnabled) return undefined;
    if (this.options.urlPath) return `${this.options.urlPath}/${version.config.settings.debuggerPathSegment}`;
    const entry = path.relative(this.folder, version.entry.file).split(path.sep).map(encodeURIComponent).join('/');
    return `/${entry}/${version.config.settings.debuggerPathSegment}`;
  }

  /** `/<entry>/debug[/]?brk|kill|cookie`: iisnode's debugger URLs, for callers on this computer. */
  private debugRequest(head: RequestHead, loopback: boolean): LocalResponse | Promise<LocalResponse> | undefined {
    const base = this.debugPath();
    if (!base) return undefined;
    const query = head.target.indexOf('?');
    const pathPart = (query === -1 ? head.target : head.target.slice(0, query)).toLowerCase();
    const command = query === -1 ? '' : head.target.slice(query + 1).toLowerCase();
    const lowerBase = base.toLowerCase();
    if (pathPart !== lowerBase && pathPart !== `${lowerBase}/`) return undefined;
    const text = (status: number, body: string, headers: Record<string, string> = {}): LocalResponse => ({
      status,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
      body,
    });
    if (!loopback) return text(403, 'The debugger is available to callers on this computer only.\n');
    if (pathPart === lowerBase) return text(301, '', { Location: `${base}/${query === -1 ? '' : head.target.slice(query)}` });
    if (command === 'kill') {
      return this.stopDebugging().then((stopped) =>
        text(
          200,
          stopped
            ? 'The debugger and debugee processes have been killed. (Debugging stopped; the app is back on its normal workers.)\n'
            : 'The debugger for the application is not running.\n',
        ),
      );
    }
    const options = { brk: command === 'brk', mode: (command === 'cookie' ? 'cookie' : (this.debugSession?.mode ?? 'exclusive')) as DebugMode };
    if (command === '' && this.debugSession) options.brk = this.debugSession.brk;
    return this.startDebugging(options).then(
      (session) => ({
        status: 200,
        headers: {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          ...(session.mode === 'cookie' ? { 'Set-Cookie': `${DEBUG_COOKIE}=${session.cookie}; Path=/; HttpOnly; SameSite=Lax` } : {}),
        },
        body: renderDebugSessionPage({
          app: this.name,
          mode: session.mode,
          brk: session.brk,
          pid: session.generation.workers()[0]?.pid,
          info: session.info,
          path: `${base}/`,
        }),
      }),
      (error: Error) => text(503, `Debugging could not start: ${error.message}\n`),
    );
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
    const session = this.debugSession;
    if (session?.mode === 'cookie' && head.cookie && hasCookie(head.cookie, DEBUG_COOKIE, session.cookie)) {
      const choice = session.generation.choose('roundRobin', Number.MAX_SAFE_INTEGER);
      if ('worker' in choice) return { worker: choice.worker };
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
    void this.retireWorker(worker, generation.version.config.settings.gracefulShutdownTimeout);
  }

  /**
   * Stops a worker that is out of service, within gracefulShutdownTimeout: first the requests it holds finish (the
   * proxy knows them), then it is asked to shut down (its exit handlers run), and what is left is killed.
   */
  private async retireWorker(worker: Worker, timeoutMs: number): Promise<void> {
    const started = Date.now();
    worker.retire();
    await worker.whenIdle(timeoutMs);
    // At least a moment for the shutdown itself, even when the requests used up the whole timeout.
    await worker.stop(Math.max(timeoutMs - (Date.now() - started), Math.min(timeoutMs, 1000)));
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
    const debugGeneration = this.debugSession?.mode === 'cookie' ? this.debugSession.generation : undefined;
    this.debugWanted = undefined;
    this.endDebugSession();
    if (debugGeneration) await Promise.all(debugGeneration.workers().map((w) => w.stop(0)));
    await this.stopWorkers(timeoutMs);
    await this.generation?.logs?.close();
    this.generation = undefined;
    if (!wasErrored) this.problem = undefined;
    this.setState('stopped');
  }
}
