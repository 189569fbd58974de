/**
 * One hosted app: a folder, its configuration and entry, its workers (the current generation), and its state.
 *
 * App keeps the orchestration only: the lifecycle state machine (stopped → starting → running, errored, stopping)
 * and the graceful upgrade (the generation switch and the drain of the old generation). The mechanics are modules
 * wired in with callbacks, none of which holds a reference back to App: `WorkerSpawner` (the workers of a
 * generation), `startCandidate` (an upgrade's new generation, started and listening), `judgeHealth` (which workers
 * to replace), `CrashRecovery` (a crash's verdict: restart or give up), `AppFileWatch`
 * (files that recycle it), `OwnedUrls` (the URLs Berth answers on its host), `AppDebugger` (the debug session), and
 * `dispatch` (which worker takes a request, sticky sessions included).
 */
import type { LoadedConfig } from '../config/load.js';
import { defaultSettings, type Settings } from '../config/schema.js';
import type { EngineEvent } from '../events.js';
import { LogTail } from '../logs/tail.js';
import type { Platform } from '../platform/platform.js';
import type { Dispatch, ExchangeFacts, LocalResponse, ProxyApp, Unavailable } from '../proxy/front-server.js';
import type { RequestHead } from '../proxy/http-parse.js';
import { parseServerVarList, type ClientInfo, type ForwardingOptions } from '../proxy/forwarding.js';
import type { AppState } from '../shared/types.js';
import type { WorkerExit, WrittenFile } from '../worker/worker.js';
import { ControlPipe } from './control-pipe.js';
import { CrashRecovery, workerExitEvent } from './crashes.js';
import { AppDebugger, type DebugMode, type DebugSession } from './debug-session.js';
import { debugHeaderFor, dispatch } from './dispatch.js';
import { entryRoot, type DetectedEntry } from './entry.js';
import { AppFileWatch } from './file-watch.js';
import type { AppWorker, Generation } from './generation.js';
import { busyCount, IdleStop } from './idle.js';
import { judgeHealth, type Replacement } from './health.js';
import { OwnedUrls } from './owned-urls.js';
import { retireWorker, WorkerSpawner } from './spawner.js';
import { startCandidate } from './upgrade.js';
import { isVersion, readAppVersion, type AppOptions, type AppProblem } from './version.js';

export type { AppOptions, AppProblem } from './version.js';
export { STICKY_COOKIE, stickySlot } from './sticky.js';
export { DEBUG_COOKIE, DebugError, type DebugMode, type DebugSession } from './debug-session.js';

export type { AppState } from '../shared/types.js';

export interface AppContext {
  platform: Platform;
  env: NodeJS.ProcessEnv;
  emit(event: EngineEvent): void;
}

/** It answers the proxy's questions: which worker takes this request, or why none can. */
export class App implements ProxyApp {
  state: AppState = 'stopped';
  problem: AppProblem | undefined;
  config: LoadedConfig | undefined;
  entry: DetectedEntry | undefined;
  generation: Generation | undefined;
  /** The host name it answers on, set by the engine. */
  host = '';
  /** Why the last upgrade failed (the previous version kept serving), until one succeeds. */
  lastUpgradeProblem: AppProblem | undefined;
  /** The recent output of all the app's workers, across generations (the live tail). */
  readonly tail = new LogTail();
  private forwardingOptions: ForwardingOptions | undefined;
  private recycling: Promise<void> | undefined;
  private pendingRecycle: string | undefined;
  private control: Promise<ControlPipe> | undefined;
  private readonly crashes = new CrashRecovery();
  private readonly spawner: WorkerSpawner;
  private readonly files: AppFileWatch;
  private readonly debugger: AppDebugger;
  private readonly urls: OwnedUrls;
  private readonly idle: IdleStop;
  /** The stop under way ends in `sleeping` (an idle stop), not `stopped`. */
  private toSleep = false;

  constructor(
    readonly folder: string,
    /** The app's name: a DNS label, unique in the engine. */
    readonly name: string,
    private readonly context: AppContext,
    /** Set again when a site's web.config changes; read at every (re)start. */
    public options: AppOptions = {},
  ) {
    const { platform, env } = context;
    const emit = (event: EngineEvent) => context.emit(event);
    this.spawner = new WorkerSpawner({
      app: name,
      platform,
      env,
      tail: this.tail,
      emit,
      extraEnv: () => this.options.extraEnv,
      controlPipe: async () => (await this.controlPipe()).endpoint,
      onReady: (generation) => this.workerReady(generation),
      onExit: (generation, slot, worker, info) => this.workerExited(generation, slot, worker, info),
    });
    this.files = new AppFileWatch({ platform, env, change: (reason) => void this.recycle(reason), warn: (warnings) => this.warn(warnings) });
    this.debugger = new AppDebugger({
      app: name,
      folder,
      emit,
      status: () => ({ settings: (this.generation?.version.config ?? this.config)?.settings, state: this.state, serving: this.serving, problem: this.problem?.title }),
      serving: () => this.generation,
      workers: () => this.workers(),
      recycle: (reason) => this.recycle(reason),
      upgradeProblem: () => this.lastUpgradeProblem?.title,
      startGeneration: async (version, debug) => {
        const generation = this.spawner.newGeneration(version, debug);
        await this.spawner.spawnAll(generation);
        return generation;
      },
      drain: (generation) => this.drain(generation),
      close: (generation) => this.spawner.stop(generation, 0),
    });
    this.idle = new IdleStop({
      state: () => this.state,
      idleTimeoutS: () => this.settings.idleTimeout,
      busy: () => busyCount(this.spawner.open),
      sleep: () => this.stop(undefined, true),
      wake: () => {
        this.config = undefined; // its files may have changed while it slept
        return this.start(true);
      },
    });
    this.urls = new OwnedUrls({ app: name, folder, platform, urlPath: () => this.options.urlPath, serving: () => this.generation, debug: this.debugger });
  }

  // What the proxy asks (ProxyApp) ----------------------------------------------------------------------------

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
    this.forwardingOptions ??= { enableXFF: this.settings.enableXFF, promoteServerVars: parseServerVarList(this.settings.promoteServerVars) };
    return this.forwardingOptions;
  }

  showErrorDetails(loopback: boolean): boolean {
    const settings = this.settings;
    return settings.devErrorsEnabled && (loopback || settings.devErrorsForRemote);
  }

  /** URLs Berth answers itself on the app's host: its debugger URL, its log folder, /__berth/. */
  intercept(head: RequestHead, _client: ClientInfo, loopback: boolean): LocalResponse | Promise<LocalResponse> | undefined {
    return this.urls.answer(head, loopback);
  }

  get debugHeaderEnabled(): boolean {
    return this.settings.debugHeaderEnabled;
  }

  debugHeader(worker: AppWorker, facts: ExchangeFacts): string | undefined {
    return debugHeaderFor(worker, facts, this.settings, this.generation);
  }

  /** Chooses the worker for a request, or says why the app cannot take it. */
  pick(head: RequestHead): Dispatch | Unavailable {
    const starting = this.idle.starting(this.state);
    if (starting) return { unavailable: true, status: 503, title: `The app ${this.name} is starting.`, advice: 'It sleeps until a request comes.', app: this.name, starting };
    this.idle.touch();
    const session = this.debugger.session;
    return dispatch(
      {
        app: this.name,
        settings: this.settings,
        problem: this.state === 'errored' ? this.problem : undefined,
        serving: this.serving ? this.generation : undefined,
        debug: session?.mode === 'cookie' ? session : undefined,
        crashStderr: this.crashes.lastStderr,
      },
      head,
    );
  }

  describeWorkerExit(worker: AppWorker): Record<string, string | number | undefined> {
    const exit = worker.exitInfo;
    return { pid: worker.pid, 'exit code': exit?.code ?? undefined, signal: exit?.signal ?? undefined, 'ran for (ms)': exit?.uptimeMs };
  }

  workers(): AppWorker[] {
    return this.generation?.workers() ?? [];
  }

  /** The log folder of the serving version, or undefined when logging is off. */
  get logDirectory(): string | undefined {
    const logs = this.generation?.logs;
    return logs?.enabled ? logs.dir : undefined;
  }

  // State ---------------------------------------------------------------------------------------------------

  private get serving(): boolean {
    return this.state === 'running' || this.state === 'starting';
  }

  /** Stopping or stopped: nothing may start. (A method: TypeScript would narrow a getter across an await.) */
  private stopped(): boolean {
    return this.state === 'stopping' || this.state === 'stopped' || this.state === 'sleeping';
  }

  private emit(event: EngineEvent): void {
    this.context.emit(event);
  }

  private warn(warnings: string[]): void {
    this.emit({ type: 'config-warnings', app: this.name, warnings });
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

  // Lifecycle -----------------------------------------------------------------------------------------------

  /** Reads configuration and finds the entry. On failure the app is errored with a problem that says why. */
  async load(): Promise<boolean> {
    this.problem = undefined;
    this.forwardingOptions = undefined;
    const version = await readAppVersion(this.folder, this.options, this.context.env, (w) => this.warn(w));
    if (!isVersion(version)) {
      this.config = undefined;
      this.entry = undefined;
      this.setProblem(version);
      return false;
    }
    this.config = version.config;
    this.entry = version.entry;
    return true;
  }

  /** Starts the workers (loading configuration first when needed); with startMode onDemand, only a `wake` does. */
  async start(wake = false): Promise<void> {
    if (this.serving) return;
    if (!this.config || !this.entry || this.problem) {
      if (!(await this.load()) || this.serving) return;
    }
    this.crashes.forget();
    if (this.generation) await this.spawner.stop(this.generation, 0); // an errored app's (closed, or closing now)
    this.problem = undefined;
    if (this.settings.startMode === 'onDemand' && !wake) {
      this.generation = undefined;
      return this.setState('sleeping'); // its workers start at the first request
    }
    this.setState('starting');
    const generation = this.spawner.newGeneration({ config: this.config!, entry: this.entry! });
    this.generation = generation;
    await this.spawner.spawnAll(generation);
  }

  /** Stops, then starts again with freshly read configuration (also the way out of `errored`). */
  async restart(): Promise<void> {
    await this.stop();
    this.config = undefined;
    await this.start();
  }

  /**
   * Stops the workers gracefully (they finish in-flight requests), killing them after gracefulShutdownTimeout. Ends
   * when every generation's workers have exited and Berth's files in the folder (logs, watchers) are closed: on
   * Windows an open file blocks moving or deleting the folder (EBUSY) right after a stop or remove.
   */
  async stop(timeoutMs = this.settings.gracefulShutdownTimeout, sleep = false): Promise<void> {
    if (this.state === 'stopped') return;
    const wasErrored = this.state === 'errored';
    this.toSleep = sleep; // a stop asked for during an idle stop ends in 'stopped'
    this.setState('stopping');
    this.crashes.cancel();
    const watchers = sleep ? undefined : this.files.close(); // the engine's start and restart watch again; a sleeper keeps watching
    const debugGeneration = this.debugger.abandon(); // its worker may be paused at a breakpoint: no graceful stop
    if (debugGeneration) void this.spawner.stop(debugGeneration, 0);
    // Every generation: serving, starting, draining (hurried), debug; an upgrade under way ends on seeing 'stopping'.
    await this.spawner.stopAll(timeoutMs, () => this.recycling);
    await watchers;
    this.generation = undefined;
    if (!wasErrored) this.problem = undefined;
    this.setState(this.toSleep ? 'sleeping' : 'stopped');
  }

  /** Releases what the app holds for its lifetime (the watchers, the control pipe); called when it is removed. */
  async dispose(): Promise<void> {
    await this.files.close();
    await this.stop();
    const control = this.control;
    this.control = undefined;
    if (control) await (await control).close();
  }

  private workerReady(generation: Generation): void {
    if (this.state === 'starting' && generation === this.generation && generation.slots.every((w) => w?.state === 'ready')) this.setState('running');
  }

  /** A worker exited: expected, or a crash that CrashRecovery judges (restart after a delay, or errored). */
  private workerExited(generation: Generation, slot: number, worker: AppWorker, info: WorkerExit): void {
    if (generation.slots[slot] === worker) generation.slots[slot] = undefined;
    const event = workerExitEvent(this.name, generation, slot, worker, info);
    if (info.expected || this.stopped() || generation !== this.generation) {
      this.emit(event);
      return;
    }
    const verdict = this.crashes.judge(worker, info, this.settings.redirectListen);
    if ('problem' in verdict) {
      this.emit(event);
      this.setProblem(verdict.problem);
      void this.spawner.stop(generation, 0);
      return;
    }
    this.emit({ ...event, restartInMs: verdict.restartInMs });
    this.crashes.restartLater(verdict.restartInMs, () => {
      if (this.generation === generation && this.serving) void this.spawner.spawn(generation, slot);
    });
  }

  /** Replaces workers that stopped answering or grew past maxMemoryPerProcessInMB. Called about once a second. */
  checkHealth(now = Date.now()): void {
    const generation = this.generation;
    this.idle.check(now);
    if (!generation || !this.serving) return;
    const facts = generation.slots.flatMap((w, slot) =>
      w ? [{ slot, ready: w.state === 'ready', lastHeardAt: w.lastHeardAt, rssBytes: w.metrics?.rss ?? 0, overMemorySince: w.overMemorySince }] : [],
    );
    for (const verdict of judgeHealth(facts, generation.version.config.settings, now)) {
      const worker = generation.slots[verdict.slot]!;
      worker.overMemorySince = verdict.overMemorySince;
      if (verdict.replace) this.replaceWorker(generation, verdict.slot, worker, verdict.replace);
    }
  }

  /**
   * Says why a worker is replaced (the event names its slot, which Engine.countRestart counts), then starts the
   * replacement in the slot, then retires the old worker gracefully (killed after gracefulShutdownTimeout).
   */
  private replaceWorker(generation: Generation, slot: number, worker: AppWorker, why: Replacement): void {
    const pid = worker.pid ?? 0;
    this.emit(
      why.reason === 'unresponsive'
        ? { type: 'worker-unresponsive', app: this.name, pid, slot, silentMs: why.silentMs, activeRequests: worker.active }
        : { type: 'worker-memory-limit', app: this.name, pid, slot, rssMb: why.rssMb, limitMb: why.limitMb },
    );
    generation.slots[slot] = undefined;
    void this.spawner.spawn(generation, slot);
    void retireWorker(worker, generation.version.config.settings.gracefulShutdownTimeout);
  }

  // File watching, the control pipe ---------------------------------------------------------------------------

  /**
   * Watches the files that recycle the app. Called when the app is added and after every recycle; the watchers are
   * made again only when what they watch changed. Works for an errored app too: fixing its files starts it.
   */
  async watch(): Promise<void> {
    if (this.state === 'stopping') return;
    const version = this.generation?.version;
    const entry = version?.entry ?? this.entry;
    const settings = version?.config.settings ?? this.config?.settings ?? defaultSettings();
    await this.files.update({ root: entry ? entryRoot(entry) : this.folder, entry: entry?.file, folder: this.folder, settings });
  }

  /** IISNODE_CONTROL_PIPE: one per app for its lifetime, so every generation's workers can ask for a recycle. */
  private controlPipe(): Promise<ControlPipe> {
    this.control ??= ControlPipe.open(this.context.platform, () => {
      void this.recycle('the app asked for it through IISNODE_CONTROL_PIPE');
    });
    return this.control;
  }

  // The graceful upgrade ----------------------------------------------------------------------------------------

  /**
   * Graceful upgrade (a generation switch): start a new generation with freshly read files and configuration, wait
   * until every new worker listens, switch routing to it in one step, then drain the old generation (in-flight
   * requests and WebSockets finish; killed after gracefulShutdownTimeout). If the new generation cannot start, the
   * old one keeps serving and the failure is reported. A trigger that arrives during a recycle runs one more after it.
   */
  recycle(reason: string): Promise<void> {
    if (this.stopped()) return Promise.resolve(); // a sleeping app reads its files again when it wakes
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
    const candidate = await startCandidate({
      spawner: this.spawner,
      readVersion: () => readAppVersion(this.folder, this.options, this.context.env, (w) => this.warn(w)),
      debugPort: (version) => this.debugger.portForUpgrade(version),
      stopped: () => this.stopped(),
    });
    if ('stopped' in candidate) return this.upgradeStopped(reason);
    if ('problem' in candidate) return this.upgradeFailed(reason, candidate.problem, old);
    const { ready: next, version, debug } = candidate;
    // The switch: from here on every new request goes to the new generation.
    this.generation = next;
    this.config = version.config;
    this.entry = version.entry;
    this.forwardingOptions = undefined;
    this.crashes.forget();
    this.problem = undefined;
    this.lastUpgradeProblem = undefined;
    this.setState('running');
    this.emit({ type: 'recycle-succeeded', app: this.name, reason, generation: next.id, ms: Date.now() - startedAt });
    if (this.files.watching) void this.watch(); // watchedFiles or logDirectory may have changed
    await this.debugger.upgraded(next, debug);
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

  /** A stop ended the upgrade: its outcome is still told (whoever waits for one learns why it did not switch). */
  private upgradeStopped(reason: string): void {
    const title = 'The app was stopped before the new version served.';
    this.emit({ type: 'recycle-failed', app: this.name, reason, title, detail: 'Start the app to run the new version.', stillServing: null });
  }

  /** Stops an old generation gracefully; its in-flight requests and WebSockets finish first. */
  private async drain(old: Generation): Promise<void> {
    const timeout = old.version.config.settings.gracefulShutdownTimeout;
    await this.spawner.close(old, (worker) => retireWorker(worker, timeout));
    // Quotas are also checked after a recycle (the old generation's files are no longer being written).
    if (this.serving) await this.generation?.logs?.enforceQuota();
    this.emit({ type: 'generation-drained', app: this.name, generation: old.id });
  }

  // Debugging (the session itself is AppDebugger's) -------------------------------------------------------------

  /** The debug session, while one runs. */
  get debugSession(): DebugSession | undefined {
    return this.debugger.session;
  }

  startDebugging(options: { brk?: boolean; mode?: DebugMode } = {}): Promise<DebugSession> {
    return this.debugger.start(options);
  }

  stopDebugging(): Promise<boolean> {
    return this.debugger.stop();
  }

  heapSnapshot(folder: string, pid?: number): Promise<WrittenFile & { pid: number }> {
    return this.debugger.heapSnapshot(folder, pid);
  }

  cpuProfile(folder: string, seconds: number, pid?: number): Promise<WrittenFile & { pid: number }> {
    return this.debugger.cpuProfile(folder, seconds, pid);
  }
}
