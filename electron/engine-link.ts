/**
 * The main process's own connection to the engine's control API (the same API the window and the CLI use): it keeps
 * the apps list the tray shows, forwards engine events to notifications, and runs the tray's actions. It reconnects
 * whenever the supervisor reports a (re)started engine.
 */
import { EventEmitter } from 'node:events';
import type { AppSummary, Method, Params, Result } from '../core/control/protocol.js';
import type { EngineEvent } from '../core/events.js';
import type { EngineEndpoint } from '../core/shared/bridge.js';

/** What the link needs of a connected client (core/control/client.ts's ControlClient has this shape). */
export interface LinkClient {
  call<M extends Method>(method: M, params: Params<M>, timeoutMs?: number): Promise<Result<M>>;
  subscribe(method: 'events.subscribe', params: Params<'events.subscribe'>, onPush: (event: EngineEvent) => void): Promise<unknown>;
  onClose(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export type ConnectClient = (endpoint: EngineEndpoint) => Promise<LinkClient>;

export interface LinkEvents {
  /** The apps list or the debug states changed (the tray rebuilds its menu). */
  change: [];
  event: [EngineEvent];
  connected: [boolean];
}

/** Events after which the apps list is refetched. */
const STALE = new Set<EngineEvent['type']>(['app-added', 'app-removed', 'app-state', 'app-enabled', 'worker-ready', 'worker-exit', 'recycle-succeeded', 'recycle-failed', 'debug-started', 'debug-stopped']);

export class EngineLink extends EventEmitter<LinkEvents> {
  apps: AppSummary[] = [];
  /** Apps with a debug session (from debug-started/-stopped events). */
  readonly debugging = new Set<string>();
  connected = false;
  private client: LinkClient | undefined;
  private attempt = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly connectClient: ConnectClient) {
    super();
  }

  /** Connects to this endpoint (dropping any older connection). */
  async connect(endpoint: EngineEndpoint): Promise<void> {
    const attempt = ++this.attempt;
    const old = this.client;
    this.client = undefined;
    await old?.close().catch(() => undefined);
    const client = await this.connectClient(endpoint);
    if (attempt !== this.attempt) {
      await client.close();
      return;
    }
    this.client = client;
    client.onClose(() => {
      if (this.client !== client) return;
      this.client = undefined;
      this.setConnected(false);
    });
    this.debugging.clear();
    await client.subscribe('events.subscribe', {}, (event) => this.onEvent(event));
    this.setConnected(true);
    await this.refresh();
  }

  disconnect(): void {
    this.attempt++;
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => undefined);
    this.setConnected(false);
  }

  private setConnected(value: boolean): void {
    if (this.connected === value) return;
    this.connected = value;
    if (!value) this.apps = [];
    this.emit('connected', value);
    this.emit('change');
  }

  async refresh(): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const client = this.client;
    if (!client) return;
    this.apps = await client.call('apps.list', {});
    this.emit('change');
  }

  private onEvent(event: EngineEvent): void {
    if (event.type === 'debug-started') this.debugging.add(event.app);
    if (event.type === 'debug-stopped' || event.type === 'app-removed') this.debugging.delete(event.app);
    this.emit('event', event);
    if (STALE.has(event.type) && !this.refreshTimer) {
      this.refreshTimer = setTimeout(() => void this.refresh().catch(() => undefined), 150);
    }
  }

  /** Runs a call; throws when the engine is not connected. */
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (!this.client) return Promise.reject(new Error('Berth is not connected to its engine right now.'));
    return this.client.call(method, params);
  }

  /** Adds folders (from a second launch's command line); returns the sentences to show. */
  async addFolders(folders: readonly string[]): Promise<{ added: string[]; errors: string[] }> {
    const added: string[] = [];
    const errors: string[] = [];
    for (const folder of folders) {
      try {
        added.push((await this.call('apps.add', { folder })).name);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    return { added, errors };
  }
}
