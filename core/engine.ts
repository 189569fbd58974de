import { EventEmitter } from 'node:events';
import { access, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { App, type AppProblem } from './app/app.js';
import { hostFor, toDnsLabel, uniqueLabel } from './app/naming.js';
import { BERTH_FILE, ConfigError, loadConfig, type LoadedConfig } from './config/load.js';
import type { SettingName } from './config/schema.js';
import type { AppDetail, AppSummary, ConfigView, ConfigWriteResult, MetricsBatch, RecycleResult } from './control/protocol.js';
import { writeSettings } from './control/settings-file.js';
import { configView, detailOf, problemView, summaryOf, type AppRecordView } from './control/views.js';
import type { EngineEvent } from './events.js';
import { MetricsCollector } from './metrics/collector.js';
import type { OverrideValue } from './registry/format.js';
import { RegistryError, type Registry, type RegistryProblem } from './registry/registry.js';
import { FrontServer, type ProxyApp, type Router } from './proxy/front-server.js';
import type { HostedApp } from './proxy/pages.js';
import type { RequestHead } from './proxy/http-parse.js';
import { findPortHolder } from './platform/port-holder.js';
import type { Platform } from './platform/platform.js';
import { HostRouter } from './routing.js';
import { SiteHost } from './app/site-host.js';
import { isIisSite, type SiteApp } from './iis/index.js';
import { createAppWatcher, type AppWatcher } from './watch/index.js';

export interface EngineOptions {
  /** Front server address. Default 127.0.0.1:8080. */
  host?: string;
  port?: number;
  /** Environment for configuration and workers. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: Platform;
  /** Recycle apps when their files change (default true). */
  watchFiles?: boolean;
  /**
   * The remembered apps. With a registry, `start()` hosts its apps (starting the enabled ones), and adding, removing,
   * enabling and disabling apps is saved to it. Without one, apps live as long as the engine.
   */
  registry?: Registry;
  /** The registry file was unusable and moved aside (reported as an event when the engine starts). */
  registryProblem?: RegistryProblem;
}

export interface EngineEvents {
  event: [EngineEvent];
  /** Once a second: every app's and worker's latest metrics. */
  metrics: [MetricsBatch];
}

export type EngineErrorCode =
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'NOT_A_FOLDER'
  | 'ALREADY_ADDED'
  | 'APP_NOT_FOUND'
  | 'NAME_TAKEN'
  | 'INVALID_NAME'
  | 'APP_NOT_RUNNING'
  | 'APP_MISSING'
  | 'WRITE_FAILED'
  | 'ENGINE_STOPPING';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface AddAppOptions {
  /** The app's name (a DNS label); default: from the folder's name. */
  name?: string;
  /** Start it now (default true). */
  start?: boolean;
  /** Remembered as started with the engine (default true). */
  enabled?: boolean;
  overrides?: Partial<Record<SettingName, OverrideValue>>;
  /** Save it to the registry (default: when the engine has one). */
  persist?: boolean;
}

/** One app the engine knows: hosted (with an App), or remembered with a folder that is missing. */
interface AppRecord extends AppRecordView {
  name: string;
  folder: string;
  enabled: boolean;
  persisted: boolean;
  overrides: Partial<Record<SettingName, OverrideValue>>;
  /** The app's environment: the engine's, plus its registry overrides as BERTH_<setting>. */
  env: NodeJS.ProcessEnv;
  app: App | undefined;
  missing: AppProblem | undefined;
  restarts: number[];
  /** Lifecycle operations on one app run one at a time. */
  queue: Promise<unknown>;
}

/** How long start, restart and enable wait for the app to run (or fail) before answering with its state. */
const SETTLE_MS = 30_000;

/** How often idle pooled worker connections are checked for age. */
const POOL_SWEEP_MS = 1000;

/**
 * The engine: the front server, the apps and their workers. It runs the same way inside `berth serve`, the
 * desktop app's utility process and the tests. Everything it does is reported on the `event` stream.
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
  readonly startedAt = Date.now();
  private readonly records = new Map<string, AppRecord>();
  private readonly apps = new Map<string, App>();
  private readonly router = new HostRouter<ProxyApp & { host: string }>();
  /** Folders with a web.config: routed as sites, whose script apps are in `apps` but not routed directly. */
  private readonly sites = new Map<string, { site: SiteHost; watcher: AppWatcher | undefined }>();
  private readonly siteApps = new Set<App>();
  private readonly front: FrontServer;
  private address: AddressInfo | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: EngineOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 8080;
    this.env = options.env ?? process.env;
    this.platform = options.platform ?? process.platform;
    this.watchFiles = options.watchFiles ?? true;
    this.registry = options.registry;
    this.registryProblem = options.registryProblem;
    this.front = new FrontServer(this);
    // Every control API connection and subscription listens here; their number is bounded by the control server
    // (MAX_SUBSCRIPTIONS per connection), not by EventEmitter's leak heuristic of 10.
    this.setMaxListeners(0);
  }

  private report(event: EngineEvent): void {
    this.countRestart(event);
    // A recycle may have changed the app's hostname setting.
    if (event.type === 'recycle-succeeded') {
      const app = this.apps.get(event.app);
      if (app) {
        this.assignHost(app);
        this.routesChanged();
      }
    }
    this.emit('event', event);
  }

  /** The port the front server listens on (known after start). */
  get port(): number {
    return this.address?.port ?? this.requestedPort;
  }

  /** The base URL of an app, e.g. http://shop.localhost:8080/. */
  urlOf(app: App): string {
    const port = this.port === 80 ? '' : `:${this.port}`;
    return `http://${app.host}${port}/`;
  }

  async start(): Promise<void> {
    try {
      this.address = await this.front.listen(this.requestedPort, this.host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        const holder = await findPortHolder(this.requestedPort, this.platform);
        const who = holder ? ` by ${holder.name ?? 'a process'} (pid ${holder.pid})` : ' by another program';
        throw new EngineError(
          'PORT_IN_USE',
          `Port ${this.requestedPort} on ${this.host} is already in use${who}. Stop that program, or start Berth on another port with --port.`,
        );
      }
      if (code === 'EACCES') {
        throw new EngineError('LISTEN_FAILED', `Berth is not allowed to listen on ${this.host}:${this.requestedPort}. Use a port above 1024 with --port.`);
      }
      throw new EngineError('LISTEN_FAILED', `Berth could not listen on ${this.host}:${this.requestedPort}: ${(error as Error).message}`);
    }
    this.sweepTimer = setInterval(() => this.sweepPools(), POOL_SWEEP_MS).unref();
    this.report({ type: 'engine-listening', url: `http://${this.host}:${this.port}/`, host: this.host, port: this.port });
    if (this.registryProblem) this.report({ type: 'registry-problem', ...this.registryProblem });
    if (this.registry) await this.hostRegistry(this.registry);
  }

  /** Hosts the registry's apps, in its order: the enabled ones are started, the others wait stopped. */
  private async hostRegistry(registry: Registry): Promise<void> {
    for (const entry of registry.entries) {
      const record = this.newRecord(entry.name, entry.folder, entry.enabled, entry.overrides, true);
      this.records.set(record.name, record);
      if (!(await isFolder(entry.folder))) {
        this.markMissing(record);
        continue;
      }
      await this.hostRecord(record, entry.enabled);
    }
  }

  private markMissing(record: AppRecord): void {
    record.missing = {
      title: `The folder ${record.folder} does not exist, so the app ${record.name} was not started.`,
      detail: `Put the folder back and run \`berth start ${record.name}\`, or forget the app with \`berth remove ${record.name}\`.`,
    };
    this.report({ type: 'app-error', app: record.name, title: record.missing.title, detail: record.missing.detail });
  }

  /** Once a second: retire idle pooled connections, replace workers that stopped answering, sample metrics. */
  private sweepPools(): void {
    const now = Date.now();
    for (const app of this.apps.values()) {
      for (const worker of app.workers()) worker.pool.sweep(now);
      app.checkHealth(now);
    }
    const batch = this.metrics.sample(this.apps.values(), now);
    if (this.listenerCount('metrics')) this.emit('metrics', batch);
  }

  listApps(): App[] {
    return [...this.apps.values()];
  }

  getApp(name: string): App | undefined {
    return this.apps.get(name);
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
    for (const record of this.records.values()) {
      if (samePath(record.folder, absolute, this.platform)) throw new EngineError('ALREADY_ADDED', `${absolute} is already hosted as ${record.name}.`);
    }
    let name: string;
    if (options.name !== undefined) {
      name = options.name;
      if (toDnsLabel(name) !== name) {
        throw new EngineError('INVALID_NAME', `"${name}" cannot be an app name: use lower-case letters, digits and hyphens (for example "${toDnsLabel(name)}").`);
      }
      if (this.records.has(name)) throw new EngineError('NAME_TAKEN', `The name ${name} is already used by the app in ${this.records.get(name)!.folder}. Choose another name.`);
    } else {
      name = uniqueLabel(toDnsLabel(path.basename(absolute)), new Set(this.records.keys()));
    }
    // An app added without starting it is not started with the engine either, until it is enabled.
    const enabled = options.enabled ?? options.start ?? true;
    const persist = (options.persist ?? true) && this.registry !== undefined;
    const record = this.newRecord(name, absolute, enabled, options.overrides ?? {}, persist);
    if (persist) {
      try {
        await this.registry!.add({ name, folder: absolute, enabled, overrides: record.overrides });
      } catch (error) {
        throw asEngineError(error);
      }
    }
    this.records.set(name, record);
    return this.hostRecord(record, options.start ?? true);
  }

  private newRecord(name: string, folder: string, enabled: boolean, overrides: AppRecord['overrides'], persisted: boolean): AppRecord {
    return { name, folder, enabled, persisted, overrides: { ...overrides }, env: appEnvironment(this.env, overrides), app: undefined, missing: undefined, restarts: [], queue: Promise.resolve() };
  }

  /** Makes the record's App, loads its configuration, and starts (and watches) it when asked. */
  private async hostRecord(record: AppRecord, start: boolean): Promise<App> {
    if (await isIisSite(record.folder)) return this.hostSite(record, start);
    const { name } = record;
    const app = new App(record.folder, name, { platform: this.platform, env: record.env, emit: (e) => this.report(e) });
    record.app = app;
    record.missing = undefined;
    this.apps.set(name, app);
    app.host = hostFor(name, '');
    this.routesChanged();
    const loaded = await app.load();
    if (loaded) this.assignHost(app);
    this.routesChanged();
    this.report({ type: 'app-added', app: name, folder: record.folder, url: this.urlOf(app) });
    if (start) {
      if (loaded) await app.start();
      if (this.watchFiles) await app.watch();
    }
    return app;
  }

  /**
   * A folder with a web.config: an IIS-style site whose handler scripts are apps of their own (iisnode's model).
   * The record's app is the site's first script app; the others are listed too, named `<site>-<script>`.
   */
  private async hostSite(record: AppRecord, start: boolean): Promise<App> {
    let settings;
    try {
      settings = (await loadConfig(record.folder, { env: record.env })).settings;
    } catch {
      settings = undefined; // the script apps report configuration errors themselves
    }
    const site: SiteHost = new SiteHost(record.folder, record.name, {
      mountPath: settings?.mountPath ?? '',
      env: record.env,
      platform: this.platform,
      createApp: (siteApp): Promise<App> => this.hostSiteApp(record, site, siteApp, start),
      updateApp: (app, siteApp) => (app.options = this.siteAppOptions(site, siteApp)),
    });
    site.host = hostFor(record.name, settings?.hostname ?? '');
    if ([...this.sites.values()].some((s) => s.site.host === site.host) || [...this.apps.values()].some((a) => a.host === site.host)) site.host = hostFor(record.name, '');
    const watcher = this.watchFiles ? createAppWatcher({ root: record.folder, watchedFiles: 'web.config;**/web.config', env: record.env, platform: this.platform }) : undefined;
    this.sites.set(record.name, { site, watcher });
    watcher?.on('change', (trigger) => void this.reloadSite(site, trigger.reason));
    await site.load();
    this.routesChanged();
    if (site.warnings.length) this.report({ type: 'config-warnings', app: record.name, warnings: site.warnings });
    const port = this.port === 80 ? '' : `:${this.port}`;
    this.report({ type: 'app-added', app: record.name, folder: record.folder, url: `http://${site.host}${port}${site.mountPath}/` });
    const apps = await site.startedApps();
    const first = apps[0] ?? (await this.hostSiteApp(record, site, undefined, false));
    record.app = first;
    return first;
  }

  /** The app of one script of a site (created on first use, as iisnode did, or at load for declared handlers). */
  private async hostSiteApp(record: AppRecord, site: SiteHost, siteApp: SiteApp | undefined, start: boolean): Promise<App> {
    const label = siteApp ? toDnsLabel(`${record.name}-${siteApp.scriptRel.replace(/\.[^./]+$/, '')}`) : `${record.name}-site`;
    const name = uniqueLabel(label, new Set([...this.records.keys(), ...this.apps.keys()]));
    const app = new App(
      siteApp?.folder ?? record.folder,
      name,
      { platform: this.platform, env: record.env, emit: (e) => this.report(e) },
      siteApp ? this.siteAppOptions(site, siteApp) : {},
    );
    app.host = site.host;
    this.apps.set(name, app);
    this.siteApps.add(app);
    if (!siteApp) return app;
    const loaded = await app.load();
    if (start && loaded) {
      await app.start();
      if (this.watchFiles) await app.watch();
    }
    return app;
  }

  private siteAppOptions(site: SiteHost, siteApp: SiteApp): App['options'] {
    const urlPath = `${site.mountPath}/${siteApp.scriptRel.split('/').map(encodeURIComponent).join('/')}`;
    return { script: siteApp.script, webConfig: siteApp.settings, extraEnv: siteApp.env, urlPath };
  }

  /** A web.config changed: read the site again and recycle its apps with what it now says. */
  private async reloadSite(site: SiteHost, reason: string): Promise<void> {
    await site.load();
    for (const app of await site.startedApps()) void app.recycle(`${reason} (web.config)`);
  }

  private assignHost(app: App): void {
    const wanted = hostFor(app.name, app.settings.hostname);
    const owner = [...this.apps.values()].find((other) => other !== app && other.host === wanted);
    app.host = owner ? hostFor(app.name, '') : wanted;
    if (owner) {
      this.report({ type: 'config-warnings', app: app.name, warnings: [`hostname ${wanted} is already used by ${owner.name}; this app answers on ${app.host}.`] });
    }
  }

  /** Stops and forgets an app (and removes it from the registry). Unknown names are ignored. */
  async removeApp(name: string): Promise<void> {
    const record = this.records.get(name);
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
        this.apps.delete(name);
        this.routesChanged();
      }
      this.report({ type: 'app-removed', app: name });
    });
  }

  // The control API's operations. Each throws an EngineError with a code and a sentence that says what to do.

  /** Every app the engine knows (hosted, stopped, or remembered with a missing folder). */
  appRecords(): AppRecordView[] {
    return [...this.records.values()];
  }

  private record(name: string): AppRecord {
    const record = this.records.get(name);
    if (!record) {
      const known = [...this.records.keys()];
      throw new EngineError('APP_NOT_FOUND', `There is no app named "${name}". ${known.length ? `The apps are: ${known.join(', ')}.` : 'No app is hosted; add one with `berth add <folder>`.'}`);
    }
    return record;
  }

  appUrl(record: AppRecordView): string {
    return record.app ? this.urlOf(record.app) : `http://${hostFor(record.name, '')}${this.port === 80 ? '' : `:${this.port}`}/`;
  }

  appSummaries(): AppSummary[] {
    const latest = this.metrics.latest();
    return [...this.records.values()].map((r) => summaryOf(r, this.appUrl(r), latest));
  }

  appSummary(name: string): AppSummary {
    const record = this.record(name);
    return summaryOf(record, this.appUrl(record), this.metrics.latest(name));
  }

  async appDetail(name: string): Promise<AppDetail> {
    const record = this.record(name);
    return detailOf(record, this.appUrl(record), this.metrics.latest(name), await this.effectiveConfig(name));
  }

  /** The configuration the app runs with, and where each value comes from. */
  async effectiveConfig(name: string): Promise<ConfigView> {
    const record = this.record(name);
    const writesTo = await this.settingsFile(record);
    const app = record.app;
    if (app?.config) return configView(record, app.config, writesTo);
    // Not loaded (errored, or its folder is missing): read it now to show what is wrong.
    let loaded: LoadedConfig | undefined;
    let problem: AppProblem | undefined;
    try {
      loaded = await loadConfig(record.folder, { env: record.env });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problem = app?.problem ?? { title: 'The configuration is invalid.', detail: error.message, issues: error.issues };
    }
    return configView(record, loaded, writesTo, problem);
  }

  /** The settings file the app uses (berth.yml or iisnode.yml), else the berth.yml to create. */
  private async settingsFile(record: AppRecord): Promise<string> {
    const app = record.app;
    const inUse = app?.config?.file ?? app?.problem?.issues?.find((i) => i.file)?.file;
    if (inUse) return inUse;
    const overrides = app?.settings.configOverrides ?? 'iisnode.yml';
    for (const name of [BERTH_FILE, overrides]) {
      const file = path.join(record.folder, name);
      if (name && (await exists(file))) return file;
    }
    return path.join(record.folder, BERTH_FILE);
  }

  /**
   * Writes settings to the app's settings file, keeping its comments and order (see control/settings-file.ts). The
   * app's file watcher then recycles it gracefully; that is how the settings take effect.
   */
  async writeSettings(name: string, patch: Record<string, unknown>): Promise<ConfigWriteResult> {
    this.checkNotStopping();
    const record = this.record(name);
    if (!record.app) throw new EngineError('APP_MISSING', record.missing?.title ?? `The folder of ${name} is missing.`);
    const app = record.app;
    const file = await this.settingsFile(record);
    const result = await writeSettings({ file, patch, env: record.env, platform: this.platform });
    const changed = result.changes.filter((c) => c.from !== c.to);
    if (!changed.length) return { ...result, takesEffect: 'none' };
    this.report({ type: 'settings-written', app: name, file, changes: changed.map((c) => ({ setting: c.setting, to: c.to })) });
    if (app.state === 'stopped') return { ...result, takesEffect: 'next-start' };
    // Without file watching (an engine started so), the change still takes effect: recycle now.
    if (!this.watchFiles) void app.recycle(`${path.basename(file)} was changed through Berth`);
    return { ...result, takesEffect: 'recycle' };
  }

  /** Starts the app (retrying a missing folder) and waits until it runs or fails. */
  async startApp(name: string): Promise<AppSummary> {
    this.checkNotStopping();
    const record = this.record(name);
    const app = await this.exclusive(record, async () => {
      if (!record.app) {
        if (!(await isFolder(record.folder))) throw new EngineError('APP_MISSING', record.missing?.title ?? `The folder ${record.folder} does not exist.`);
        return this.hostRecord(record, true);
      }
      await record.app.start();
      if (this.watchFiles) await record.app.watch();
      return record.app;
    });
    await this.settle(app);
    return this.appSummary(name);
  }

  /** Stops the app gracefully (in-flight requests finish; workers are killed after gracefulShutdownTimeout). */
  async stopApp(name: string): Promise<AppSummary> {
    const record = this.record(name);
    await this.exclusive(record, async () => {
      await record.app?.stop();
    });
    return this.appSummary(name);
  }

  /** Stops, then starts with freshly read files; waits until it runs or fails. */
  async restartApp(name: string): Promise<AppSummary> {
    this.checkNotStopping();
    const record = this.record(name);
    if (!record.app) return this.startApp(name);
    const app = record.app;
    await this.exclusive(record, async () => {
      await app.restart();
      if (this.watchFiles) await app.watch();
    });
    await this.settle(app);
    return this.appSummary(name);
  }

  /** Graceful upgrade; resolves when the new generation serves or has failed (the old one keeps serving). */
  async recycleApp(name: string, reason = 'asked through the control API'): Promise<RecycleResult> {
    this.checkNotStopping();
    const record = this.record(name);
    const app = record.app;
    if (!app) throw new EngineError('APP_MISSING', record.missing?.title ?? `The folder of ${name} is missing.`);
    if (app.state === 'stopped' || app.state === 'stopping') {
      throw new EngineError('APP_NOT_RUNNING', `The app ${name} is ${app.state}; there is nothing to recycle. Start it with \`berth start ${name}\`.`);
    }
    await app.recycle(reason);
    const failed = app.lastUpgradeProblem ?? (app.state === 'errored' ? app.problem : undefined);
    return { app: this.appSummary(name), ok: !failed, ...(failed ? { problem: problemView(failed) } : {}) };
  }

  /** Enabled apps start with the engine. Saved to the registry; enabling also starts the app, disabling stops it. */
  async setEnabled(name: string, enabled: boolean): Promise<AppSummary> {
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

  private async exclusive<T>(record: AppRecord, work: () => Promise<T>): Promise<T> {
    const run = record.queue.catch(() => undefined).then(() => {
      // Removed while this operation waited for the one before it.
      if (this.records.get(record.name) !== record) throw new EngineError('APP_NOT_FOUND', `The app ${record.name} was removed.`);
      return work();
    });
    record.queue = run;
    return run;
  }

  /** Waits until the app is no longer starting (running, errored or stopped), within SETTLE_MS. */
  private settle(app: App, timeoutMs = SETTLE_MS): Promise<void> {
    if (app.state !== 'starting') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve();
      };
      const onEvent = (event: EngineEvent) => {
        if (event.type === 'app-state' && event.app === app.name && event.state !== 'starting') done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('event', onEvent);
    });
  }

  private checkNotStopping(): void {
    if (this.stopping) throw new EngineError('ENGINE_STOPPING', 'The engine is stopping; try again once it has started again.');
  }

  /** Counts worker replacements per app and slot, for `berth status`. */
  private countRestart(event: EngineEvent): void {
    let slot: number | undefined;
    let app: string;
    if (event.type === 'worker-exit' && event.restartInMs !== undefined) {
      slot = event.slot;
      app = event.app;
    } else if (event.type === 'worker-memory-limit' || event.type === 'worker-unresponsive') {
      slot = this.apps.get(event.app)?.workers().find((w) => w.pid === event.pid)?.index;
      app = event.app;
    } else return;
    if (slot === undefined) return;
    const record = this.records.get(app);
    if (record) record.restarts[slot] = (record.restarts[slot] ?? 0) + 1;
  }

  // Router, for the front server.
  route(head: RequestHead): ProxyApp | undefined {
    return this.router.route(head.host);
  }

  /** Call after apps are added or removed or their hosts change. */
  private routesChanged(): void {
    this.router.update([...[...this.apps.values()].filter((app) => !this.siteApps.has(app)), ...[...this.sites.values()].map((s) => s.site)]);
  }

  hostedApps(): HostedApp[] {
    return [...this.apps.values()].map((app) => ({ name: app.name, url: this.urlOf(app), state: app.state }));
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
    const apps = [...this.apps.values()];
    const drainMs = timeoutMs ?? Math.max(0, ...apps.map((a) => a.settings.gracefulShutdownTimeout));
    const closed = this.front.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    this.front.destroyConnections();
    await Promise.all([...this.sites.values()].map((s) => s.watcher?.close()));
    await Promise.all(apps.map(async (app) => {
      await app.stop(timeoutMs);
      await app.dispose();
    }));
  }

  /** Force-kills every worker at once (for a second Ctrl+C). */
  kill(): void {
    for (const app of this.apps.values()) for (const worker of app.workers()) worker.kill();
  }
}

function samePath(a: string, b: string, platform: Platform): boolean {
  return platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * An app's environment: the engine's, with its registry overrides as BERTH_<setting> variables (the loader reads
 * them like any such variable; they replace the engine's own BERTH_/IISNODE_ variable for that setting).
 */
export function appEnvironment(env: NodeJS.ProcessEnv, overrides: Partial<Record<SettingName, OverrideValue>>): NodeJS.ProcessEnv {
  const names = Object.keys(overrides);
  if (!names.length) return env;
  const result: NodeJS.ProcessEnv = {};
  const replaced = new Set(names.flatMap((n) => [`BERTH_${n.toUpperCase()}`, `IISNODE_${n.toUpperCase()}`]));
  for (const [key, value] of Object.entries(env)) if (!replaced.has(key.toUpperCase())) result[key] = value;
  for (const [name, value] of Object.entries(overrides)) result[`BERTH_${name.toUpperCase()}`] = String(value);
  return result;
}

function asEngineError(error: unknown): Error {
  if (error instanceof RegistryError) return new EngineError('WRITE_FAILED', error.message);
  return error as Error;
}
