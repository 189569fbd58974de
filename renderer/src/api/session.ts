/**
 * One live connection to the engine at a time, re-made after it drops (the engine restarted, the machine slept):
 * every reconnect asks the endpoint source again, since a restarted engine has a new port and token. Whoever needs
 * the engine registers an `onConnected` hook, which runs after every (re)connect to reload snapshots and reopen
 * subscriptions: engine events are the way state changes, and a snapshot after each reconnect is the truth.
 */
import { connectBrowser, errorMessage, type ControlClient, type SocketFactory } from './control-client.js';
import type { EndpointSource } from './endpoint.js';
import type { HelloMessage } from '../../../core/control/protocol.js';

export type SessionStatus = 'idle' | 'connecting' | 'connected' | 'disconnected';

export interface SessionOptions {
  source: EndpointSource;
  socket?: SocketFactory;
  /** Delays between attempts: 250 ms doubling up to this. */
  maxRetryMs?: number;
  onStatus?: (status: SessionStatus, detail: string) => void;
}

type Hook = (client: ControlClient, hello: HelloMessage) => void | Promise<void>;

export class EngineSession {
  client: ControlClient | undefined;
  status: SessionStatus = 'idle';
  private readonly hooks = new Set<Hook>();
  private retryMs = 250;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private attempt = 0;

  constructor(private readonly options: SessionOptions) {}

  onConnected(hook: Hook): () => void {
    this.hooks.add(hook);
    // Joining late: run it now for the live connection.
    if (this.client?.isOpen) void this.runHook(hook, this.client, this.client.hello);
    return () => this.hooks.delete(hook);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  /** Reconnects now (after the desktop app said the engine restarted), dropping the current connection. */
  reconnect(): void {
    clearTimeout(this.timer);
    const old = this.client;
    this.client = undefined;
    void old?.close();
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    void this.client?.close();
    this.client = undefined;
  }

  private setStatus(status: SessionStatus, detail = ''): void {
    this.status = status;
    this.options.onStatus?.(status, detail);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    this.setStatus('connecting');
    let client: ControlClient;
    try {
      const endpoint = await this.options.source();
      client = await connectBrowser({ url: endpoint.url, token: endpoint.token, ...(this.options.socket ? { socket: this.options.socket } : {}) });
    } catch (error) {
      if (attempt === this.attempt) this.retry(errorMessage(error));
      return;
    }
    // A newer attempt (reconnect()) won: this connection is not needed.
    if (attempt !== this.attempt || this.stopped) {
      void client.close();
      return;
    }
    this.client = client;
    this.retryMs = 250;
    client.onClose((error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.retry(error.message);
    });
    this.setStatus('connected');
    await Promise.all([...this.hooks].map((hook) => this.runHook(hook, client, client.hello)));
  }

  private async runHook(hook: Hook, client: ControlClient, hello: HelloMessage): Promise<void> {
    try {
      await hook(client, hello);
    } catch (error) {
      // A hook that failed (the connection dropped meanwhile) runs again after the next connect.
      console.warn('berth: reloading after connect failed:', errorMessage(error));
    }
  }

  private retry(detail: string): void {
    if (this.stopped) return;
    this.setStatus('disconnected', detail);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 5000);
  }
}
