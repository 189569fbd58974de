import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { App, type AppOptions, type AppProblem, type DebugMode, type DebugSession } from './app/app.js';
import { fastLaneWorker } from './app/lane.js';
import { hostFor } from './util/host-names.js';
import type { EngineEvent } from './events.js';
import { isIisSite } from './iis/index.js';
import type { TailBatch, TailLine } from './logs/tail.js';
import { MetricsCollector, type MetricsBatch } from './metrics/collector.js';
import type { Platform } from './platform/platform.js';
import { FrontServer, type ConnectionTaker, type ProxyApp, type Router } from './proxy/front-server.js';
import type { RequestHead } from './proxy/http-parse.js';
import type { HostedApp } from './proxy/pages.js';
import type { Registry, RegistryProblem } from './registry/registry.js';
import { appConfigState, settingsFileOf, type AppConfigState, type SettingsChange, type TakesEffect } from './engine/app-config.js';
import type { AddAppOptions, EngineOptions } from './engine/options.js';
import { exclusive, settle } from './engine/app-queue.js';
import { AppRecords, countRestart, isFolder, missingFolderProblem, newRecord, type AppRecord, type AppRecordView } from './engine/app-records.js';
import { asEngineError, EngineError, listenError } from './engine/errors.js';
import { HostTable } from './engine/host-table.js';
import { crashOutput, EventHistory } from './history/event-history.js';
import { hostSite, type SiteHostingContext } from './engine/site-hosting.js';
import { EngineHttps } from './engine/https.js';
import { LaneWatch } from './engine/lane-watch.js';

export { appEnvironment, type AppRecordView } from './engine/app-records.js';
export type { AppConfigState, SettingsChange, TakesEffect } from './engine/app-config.js';
export type { AddAppOptions, EngineOptions } from './engine/options.js';
export { EngineError, type EngineErrorCode } from './engine/errors.js';

export interface EngineEvents {
  event: [EngineEvent];
  /** Once a second: every app's and worker's latest metrics. */
  metrics: [MetricsBatch];
}

/** A recycle's outcome: the app, and why the new generation failed (the old one then keeps serving). */
export interface RecycleOutcome {
  record: AppRecordView;
  problem: AppProblem | undefined;
}

/** How long start, restart and enable wait for the app to run (or fail) before answering with its state. */
const SETTLE_MS = 30_000;

/** How often idle pooled worker connections are checked for age. */
const POOL_SWEEP_MS = 1000;

/**
 * The engine: the front server, the apps and their workers. It runs the same way inside `berth serve`, the
 * desktop app's utility process and the tests. Everything it does is reported on the `event` stream.
 *
 * It is the only way in for the control API: every operation names an app, throws an EngineError with a code and a
 * sentence that says what to do, and the ones that change an app's lifecycle run in the app's queue (app-queue.ts).
 * It hands out the live records; what the protocol shows of them is built in control/views.ts.
 */
export class Engine extends EventEmitter<EngineEvents> implements Router {
  readonly host: string;
  private requestedPort: number;
  readonly env: NodeJS.ProcessEnv;
  readonly platform: Platform;
  private readonly watchFiles: boolean;
  readonly registry: Registry | undefined;
  readonly registryProblem: RegistryProblem | undefined;
  /** Every app's and worker's last 10 minutes, sampled once a second. */
  readonly metrics = new MetricsCollector();
  /** Every app's last events and last crash (from before any window opened, and across restarts with a file). */
  readonly history: EventHistory;
  readonly startedAt = Date.now();
  private readonly records: AppRecords;
  private readonly hosts = new HostTable((app, warning) => this.report({ type: 'config-warnings', app, warnings: [warning] }));
  private readonly front: FrontServer;
  private readonly lanes = new LaneWatch((event) => this.report(event));
  private address: AddressInfo | undefined;
  /** The HTTPS front (options.https): `info` (port, CA file) once it listens, or the `problem` why it does not. */
  readonly https: EngineHttps | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: EngineOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 8080;
    this.platform = options.platform ?? process.platform;
    this.https = options.https && new EngineHttps(options.https, options.env ?? process.env, this.platform);
    this.env = this.https?.env ?? options.env ?? process.env;
    this.watchFiles = options.watchFiles ?? true;
    this.registry = options.registry;
    this.registryProblem = options.registryProblem;
    this.records = new AppRecords(this.platform);
    this.front = new FrontServer(this, options.clientLimits);
    this.history = new EventHistory(options.historyFile ? { file: options.historyFile } : {});
    // Control API connections and subscriptions listen here: bounded by MAX_SUBSCRIPTIONS per connection, not by EventEmitter's leak heuristic of 10.
    this.setMaxListeners(0);
  }

  private report(event: EngineEvent): void {
    // Before anyone hears of it: the worker named by the event is still among the app's workers.
    countRestart(event, this.records);
    // A recycle may have changed the app's hostname setting.
    if (event.type === 'recycle-succeeded') {
      const app = this.hosts.apps.get(event.app);
      if (app) {
        this.hosts.assignHost(app);
        this.hosts.routesChanged();
      }
    }
    this.history.record(event, () => crashOutput(this.hosts.apps.get((event as { app: string }).app), event));
    this.emit('event', event);
    if ('app' in event) this.lanes.check(event.app, this.hosts.apps.get(event.app));
  }

  /** The port the front server listens on (known after start). */
  get port(): number {
    return this.address?.port ?? this.requestedPort;
  }


  private get portSuffix(): string {
    return this.port === 80 ? '' : `:${this.port}`;
  }

  /** The base URL of an app, e.g. http://shop.localhost:8080/. */
  urlOf(app: App): string {
    return `http://${app.host}${this.portSuffix}/`;
  }

  async start(): Promise<void> {
    await this.history.load();
    try {
      this.address = await this.front.listen(this.requestedPort, this.host);
    } catch (error) {
      throw await listenError(error, this.host, this.requestedPort, this.platform);
    }
    await this.https?.start(this.front, this.host);
    this.sweepTimer = setInterval(() => this.sweep(), POOL_SWEEP_MS).unref();
    this.report({ type: 'engine-listening', url: `http://${this.host}:${this.port}/`, host: this.host, port: this.port });
    if (this.registryProblem) this.report({ type: 'registry-problem', ...this.registryProblem });
    if (this.registry) await this.hostRegistry(this.registry);
  }

  /** Hosts the registry's apps, in its order: the enabled ones are started, the others wait stopped. */
  private async hostRegistry(registry: Registry): Promise<void> {
    for (const entry of registry.entries) {
      const record = newRecord(entry.name, entry.folder, entry.enabled, entry.overrides, true, this.env);
      this.records.add(record);
      if (!(await isFolder(entry.folder))) {
        record.missing = missingFolderProblem(record);
        this.report({ type: 'app-error', app: record.name, title: record.missing.title, detail: record.missing.detail });
        continue;
      }
      await this.hostRecord(record, entry.enabled);
    }
  }

  /** Once a second: retire idle pooled connections, replace workers that stopped answering, sample metrics. */
  private sweep(): void {
    const now = Date.now();
    for (const app of this.hosts.apps.values()) {
      for (const worker of app.workers()) worker.pool.sweep(now);
      app.checkHealth(now);
      this.lanes.check(app.name, app); // engine.io traffic marks an app without an event
    }
    const batch = this.metrics.sample(this.hosts.apps.values(), now);
    if (this.listenerCount('metrics')) this.emit('metrics', batch);
  }

  listApps(): App[] {
    return [...this.hosts.apps.values()];
  }

  getApp(name: string): App | undefined {
    return this.hosts.apps.get(name);
  }

  /**
   * Adds a folder as an app and starts it (unless `start: false`). A broken configuration or a missing entry does not
   * throw: the app is added in the `errored` state with a problem that says why (and its URL shows that page). With a
   * registry, the app is saved to it first (a failed save adds nothing).
   */
  async addApp(folder: string, options: AddAppOptions = {}): Promise<App> {
    this.checkNotStopping();
    const absolute = path.resolve(folder);
    if (!(await isFolder(absolute))) throw new EngineError('NOT_A_FOLDER', `${absolute} is not a folder. Give Berth the folder that holds the app.`);
    const name = this.records.nameForNew(absolute, options.name);
    // An app added without starting it is not started with the engine either, until it is enabled.
    const enabled = options.enabled ?? options.start ?? true;
    const persist = (options.persist ?? true) && this.registry !== undefined;
    const record = newRecord(name, absolute, enabled, options.overrides ?? {}, persist, this.env);
    if (persist) {
      try {
        await this.registry!.add({ name, folder: absolute, enabled, overrides: record.overrides });
      } catch (error) {
        throw asEngineError(error);
      }
    }
    this.records.add(record);
    return this.hostRecord(record, options.start ?? true);
  }

  private newApp(folder: string, name: string, env: NodeJS.ProcessEnv, options: AppOptions = {}): App {
    return new App(folder, name, { platform: this.platform, env, emit: (e) => this.report(e) }, options);
  }

  /** Makes the record's App, loads its configuration, and starts (and watches) it when asked. */
  private async hostRecord(record: AppRecord, start: boolean): Promise<App> {
    if (await isIisSite(record.folder)) {
      record.app = await hostSite(this.siteHosting(), record, start);
      return record.app;
    }
    const app = this.newApp(record.folder, record.name, record.env);
    record.app = app;
    record.missing = undefined;
    this.hosts.addApp(app);
    app.host = hostFor(record.name, '');
    this.hosts.routesChanged();
    const loaded = await app.load();
    if (loaded) this.hosts.assignHost(app);
    this.hosts.routesChanged();
    this.report({ type: 'app-added', app: record.name, folder: record.folder, url: this.urlOf(app) });
    if (start) {
      if (loaded) await app.start();
      if (this.watchFiles) await app.watch();
    }
    return app;
  }

  private siteHosting(): SiteHostingContext {
    return {
      hosts: this.hosts,
      platform: this.platform,
      watchFiles: this.watchFiles,
      report: (event) => this.report(event),
      takenNames: () => new Set([...this.records.names(), ...this.hosts.apps.keys()]),
      portSuffix: () => this.portSuffix,
      newApp: (folder, name, env, options) => this.newApp(folder, name, env, options),
    };
  }

  /** Stops and forgets an app (and removes it from the registry). Unknown names are ignored. */
  async removeApp(name: string): Promise<void> {
    const record = this.records.map.get(name);
    if (!record) return;
    await this.exclusive(record, async () => {
      if (record.persisted) {
        try {
          await this.registry!.remove(name);
        } catch (error) {
          throw asEngineError(error);
        }
      }
      this.records.delete(name);
      const app = record.app;
      if (app) {
        await app.dispose();
        this.hosts.removeApp(name);
        this.hosts.routesChanged();
      }
      this.report({ type: 'app-removed', app: name });
    });
  }

  // The control API's operations. Each throws an EngineError with a code and a sentence that says what to do.

  /** Every app the engine knows (hosted, stopped, or remembered with a missing folder), in the order added. */
  appRecords(): AppRecordView[] {
    return this.records.all();
  }

  /** The app named so; APP_NOT_FOUND (listing the apps) when there is none. */
  appRecord(name: string): AppRecordView {
    return this.records.get(name);
  }

  private record(name: string): AppRecord {
    return this.records.get(name);
  }

  private hosted(name: string): App {
    return this.records.hosted(name);
  }

  appUrl(record: AppRecordView): string {
    return record.app ? this.urlOf(record.app) : `http://${hostFor(record.name, '')}${this.portSuffix}/`;
  }

  /** The configuration the app runs with (or why it has none), and the file settings are written to. */
  async appConfig(name: string): Promise<AppConfigState> {
    const record = this.record(name);
    return appConfigState(record, record.env);
  }

  /**
   * Writes settings to the app's settings file with `write` (control/settings-file.ts keeps the file's comments and
   * order) and reports what changed. The app's file watcher then recycles it gracefully; that is how the settings
   * take effect.
   */
  async writeSettings<R extends { changes: readonly SettingsChange[] }>(
    name: string,
    write: (target: { file: string; env: NodeJS.ProcessEnv; platform: Platform }) => Promise<R>,
  ): Promise<{ result: R; takesEffect: TakesEffect }> {
    this.checkNotStopping();
    const record = this.record(name);
    const app = this.hosted(name);
    const file = await settingsFileOf(record);
    const result = await write({ file, env: record.env, platform: this.platform });
    const changed = result.changes.filter((c) => c.secret === true || c.from !== c.to);
    if (!changed.length) return { result, takesEffect: 'none' };
    this.report({ type: 'settings-written', app: name, file, changes: changed.map((c) => ({ setting: c.setting, to: c.to })) });
    if (app.state === 'stopped' || app.state === 'sleeping') return { result, takesEffect: 'next-start' };
    // Without file watching (an engine started so), the change still takes effect: recycle now.
    if (!this.watchFiles) void app.recycle(`${path.basename(file)} was changed through Berth`);
    return { result, takesEffect: 'recycle' };
  }

  /** Starts the app (retrying a missing folder) and waits until it runs or fails. */
  async startApp(name: string): Promise<AppRecordView> {
    this.checkNotStopping();
    const record = this.record(name);
    const app = await this.exclusive(record, async () => {
      if (!record.app) {
        if (!(await isFolder(record.folder))) throw new EngineError('APP_MISSING', record.missing?.title ?? `The folder ${record.folder} does not exist.`);
        return this.hostRecord(record, true);
      }
      // A start from stopped or errored is clean: the restart counters count again from zero.
      if (record.app.state === 'stopped' || record.app.state === 'errored') record.restarts = [];
      await record.app.start();
      if (this.watchFiles) await record.app.watch();
      return record.app;
    });
    await settle(app, this, SETTLE_MS);
    return record;
  }

  /** Stops the app gracefully (in-flight requests finish; workers are killed after gracefulShutdownTimeout). */
  async stopApp(name: string): Promise<AppRecordView> {
    const record = this.record(name);
    await this.exclusive(record, async () => {
      await record.app?.stop();
    });
    return record;
  }

  /** Stops, then starts with freshly read files; waits until it runs or fails. */
  async restartApp(name: string): Promise<AppRecordView> {
    this.checkNotStopping();
    const record = this.record(name);
    if (!record.app) return this.startApp(name);
    const app = record.app;
    await this.exclusive(record, async () => {
      record.restarts = []; // a clean restart: the counters count again from zero
      await app.restart();
      if (this.watchFiles) await app.watch();
    });
    await settle(app, this, SETTLE_MS);
    return record;
  }

  /** Graceful upgrade; resolves when the new generation serves or has failed (the old one keeps serving). */
  async recycleApp(name: string, reason = 'asked through the control API'): Promise<RecycleOutcome> {
    this.checkNotStopping();
    const record = this.record(name);
    const app = this.hosted(name);
    if (app.state === 'stopped' || app.state === 'stopping' || app.state === 'sleeping') {
      throw new EngineError('APP_NOT_RUNNING', `The app ${name} is ${app.state}; there is nothing to recycle. Start it with \`berth start ${name}\`.`);
    }
    await app.recycle(reason);
    return { record, problem: app.lastUpgradeProblem ?? (app.state === 'errored' ? app.problem : undefined) };
  }

  /** Enabled apps start with the engine. Saved to the registry; enabling also starts the app, disabling stops it. */
  async setEnabled(name: string, enabled: boolean): Promise<AppRecordView> {
    this.checkNotStopping();
    const record = this.record(name);
    if (record.enabled !== enabled) {
      await this.exclusive(record, async () => {
        if (record.persisted) {
          try {
            await this.registry!.update(name, { enabled });
          } catch (error) {
            throw asEngineError(error);
          }
        }
        record.enabled = enabled;
        this.report({ type: 'app-enabled', app: name, enabled });
      });
    }
    return enabled ? this.startApp(name) : this.stopApp(name);
  }

  /** The app's recent log lines (oldest first). */
  logLines(name: string): readonly TailLine[] {
    return this.hosted(name).tail.lines();
  }

  /**
   * Follows the app's new log lines, in batches (see logs/tail.ts: a slow subscriber holds further batches by
   * returning a promise). Returns the function that stops following.
   */
  followLogs(name: string, onBatch: (batch: TailBatch) => void | Promise<unknown>): () => void {
    return this.hosted(name).tail.subscribe({ lines: 0 }, onBatch);
  }

  /** The app's debug session, if one runs. */
  debugSession(name: string): DebugSession | undefined {
    return this.hosted(name).debugSession;
  }

  /**
   * Starts debugging (see App.startDebugging). It recycles the app, so it waits its turn in the app's queue: a stop
   * or restart asked at the same time runs before or after it, never in the middle.
   */
  async startDebugging(name: string, options: { brk: boolean; mode: DebugMode }): Promise<DebugSession> {
    this.checkNotStopping();
    const record = this.record(name);
    return this.exclusive(record, () => this.hosted(name).startDebugging(options));
  }

  /** Stops debugging (back to the normal workers, gracefully); in the app's queue like starting it. */
  async stopDebugging(name: string): Promise<DebugSession | undefined> {
    const record = this.record(name);
    return this.exclusive(record, async () => {
      const app = this.hosted(name);
      await app.stopDebugging();
      return app.debugSession;
    });
  }

  /**
   * Writes a heap snapshot of one of the app's workers into `folder`. Not queued: it reads a worker and changes
   * nothing, and a long one must not hold up a stop (a worker stopped meanwhile fails it, with the reason).
   */
  heapSnapshot(name: string, folder: string, pid?: number): ReturnType<App['heapSnapshot']> {
    return this.hosted(name).heapSnapshot(folder, pid);
  }

  /** Profiles one of the app's workers for `seconds` into `folder`; not queued, like heapSnapshot. */
  cpuProfile(name: string, folder: string, seconds: number, pid?: number): ReturnType<App['cpuProfile']> {
    return this.hosted(name).cpuProfile(folder, seconds, pid);
  }

  private exclusive<T>(record: AppRecord, work: () => Promise<T>): Promise<T> {
    return exclusive(record, () => this.records.isCurrent(record), work);
  }

  private checkNotStopping(): void {
    if (this.stopping) throw new EngineError('ENGINE_STOPPING', 'The engine is stopping; try again once it has started again.');
  }

  // Router, for the front server.
  route(head: RequestHead): ProxyApp | undefined {
    return this.hosts.route(head.host);
  }

  /** The fast lane (core/app/lane.ts): the worker that takes this connection whole, or undefined for the proxy. */
  connectionTaker(app: ProxyApp, head: RequestHead): ConnectionTaker | undefined {
    return app instanceof App ? fastLaneWorker(head, app) : undefined;
  }

  hostedApps(): HostedApp[] {
    return this.hosts.hostedApps((app) => this.urlOf(app));
  }

  /**
   * Stops gracefully: no new connections; in-flight requests finish; then every worker is asked to exit and is
   * killed if it has not after its app's gracefulShutdownTimeout (or `timeoutMs` when given).
   */
  stop(timeoutMs?: number): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  private async doStop(timeoutMs?: number): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.registry?.flush();
    const apps = [...this.hosts.apps.values()];
    const drainMs = timeoutMs ?? Math.max(0, ...apps.map((a) => a.settings.gracefulShutdownTimeout));
    const closed = Promise.all([this.front.close(), this.https?.close()]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    this.front.destroyConnections();
    this.https?.destroyConnections();
    await Promise.all([...this.hosts.sites.values()].map((s) => s.watcher?.close()));
    await Promise.all(
      apps.map(async (app) => {
        await app.stop(timeoutMs);
        await app.dispose();
      }),
    );
    await this.history.flush();
  }

  /** Force-kills every worker at once (for a second Ctrl+C). */
  kill(): void {
    for (const app of this.hosts.apps.values()) for (const worker of app.workers()) worker.kill();
  }
}
