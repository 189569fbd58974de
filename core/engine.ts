import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { App } from './app/app.js';
import { hostFor, toDnsLabel, uniqueLabel } from './app/naming.js';
import type { EngineEvent } from './events.js';
import { FrontServer, type ProxyApp, type Router } from './proxy/front-server.js';
import type { HostedApp } from './proxy/pages.js';
import type { RequestHead } from './proxy/http-parse.js';
import { findPortHolder } from './platform/port-holder.js';
import type { Platform } from './platform/platform.js';
import { HostRouter } from './routing.js';

export interface EngineOptions {
  /** Front server address. Default 127.0.0.1:8080. */
  host?: string;
  port?: number;
  /** Environment for configuration and workers. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: Platform;
  /** Recycle apps when their files change (default true). */
  watchFiles?: boolean;
}

export interface EngineEvents {
  event: [EngineEvent];
}

export class EngineError extends Error {
  constructor(
    readonly code: 'PORT_IN_USE' | 'LISTEN_FAILED' | 'NOT_A_FOLDER' | 'ALREADY_ADDED',
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

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
  private readonly apps = new Map<string, App>();
  private readonly router = new HostRouter<App>();
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
    this.front = new FrontServer(this);
  }

  private report(event: EngineEvent): void {
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
  }

  /** Once a second: retire idle pooled connections, and replace workers that stopped answering. */
  private sweepPools(): void {
    const now = Date.now();
    for (const app of this.apps.values()) {
      for (const worker of app.workers()) worker.pool.sweep(now);
      app.checkHealth(now);
    }
  }

  listApps(): App[] {
    return [...this.apps.values()];
  }

  getApp(name: string): App | undefined {
    return this.apps.get(name);
  }

  /**
   * Adds a folder as an app and starts it. A broken configuration or a missing entry does not throw: the app is
   * added in the `errored` state with a problem that says why (and its URL shows that page).
   */
  async addApp(folder: string): Promise<App> {
    const absolute = path.resolve(folder);
    let isFolder = false;
    try {
      isFolder = (await stat(absolute)).isDirectory();
    } catch {
      isFolder = false;
    }
    if (!isFolder) throw new EngineError('NOT_A_FOLDER', `${absolute} is not a folder. Give Berth the folder that holds the app.`);
    for (const app of this.apps.values()) {
      if (samePath(app.folder, absolute, this.platform)) throw new EngineError('ALREADY_ADDED', `${absolute} is already hosted as ${app.name}.`);
    }
    const name = uniqueLabel(toDnsLabel(path.basename(absolute)), new Set(this.apps.keys()));
    const app = new App(absolute, name, { platform: this.platform, env: this.env, emit: (e) => this.report(e) });
    this.apps.set(name, app);
    app.host = hostFor(name, '');
    this.routesChanged();
    const loaded = await app.load();
    if (loaded) this.assignHost(app);
    this.routesChanged();
    this.report({ type: 'app-added', app: name, folder: absolute, url: this.urlOf(app) });
    if (loaded) await app.start();
    if (this.watchFiles) await app.watch();
    return app;
  }

  private assignHost(app: App): void {
    const wanted = hostFor(app.name, app.settings.hostname);
    const owner = [...this.apps.values()].find((other) => other !== app && other.host === wanted);
    app.host = owner ? hostFor(app.name, '') : wanted;
    if (owner) {
      this.report({ type: 'config-warnings', app: app.name, warnings: [`hostname ${wanted} is already used by ${owner.name}; this app answers on ${app.host}.`] });
    }
  }

  async removeApp(name: string): Promise<void> {
    const app = this.apps.get(name);
    if (!app) return;
    await app.dispose();
    this.apps.delete(name);
    this.routesChanged();
    this.report({ type: 'app-removed', app: name });
  }

  // Router, for the front server.
  route(head: RequestHead): ProxyApp | undefined {
    return this.router.route(head.host);
  }

  /** Call after apps are added or removed or their hosts change. */
  private routesChanged(): void {
    this.router.update([...this.apps.values()]);
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
    const apps = [...this.apps.values()];
    const drainMs = timeoutMs ?? Math.max(0, ...apps.map((a) => a.settings.gracefulShutdownTimeout));
    const closed = this.front.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    this.front.destroyConnections();
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
