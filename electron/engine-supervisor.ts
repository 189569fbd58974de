/**
 * Keeps the engine running: starts its utility process, waits for it to say where its control API is, and starts it
 * again when it dies (apps resume: the engine hosts the remembered apps when it starts). Restarts back off (1 s
 * doubling to 30 s, back to 1 s after a minute of health) so a crash loop does not spin. A start that fails for a
 * reason a retry cannot fix (the port is taken) stops the loop until the user changes something.
 *
 * The fork is injected: Electron's utilityProcess.fork in the app, child_process.fork in tests.
 */
import { EventEmitter } from 'node:events';
import type { EngineLaunch, EngineMessage, MainMessage } from './engine-protocol.js';
import type { EngineEndpoint } from '../core/shared/bridge.js';

/** What the supervisor needs of a child process (Electron's UtilityProcess has this shape). */
export interface EngineChild {
  readonly pid: number | undefined;
  postMessage(message: MainMessage): void;
  kill(): boolean;
  on(event: 'message', listener: (message: EngineMessage) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

export type ForkEngine = (launch: EngineLaunch) => EngineChild;

export type EngineStatus =
  | { state: 'starting' }
  | { state: 'running'; endpoint: EngineEndpoint; frontUrl: string; pid: number }
  | { state: 'restarting'; inMs: number; reason: string }
  | { state: 'failed'; code: string; message: string }
  | { state: 'stopped' };

export interface SupervisorEvents {
  status: [EngineStatus];
}

/** Failures a restart cannot fix. */
const FATAL_CODES = new Set(['PORT_IN_USE', 'LISTEN_FAILED', 'ENGINE_RUNNING', 'NO_CONTROL']);

export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** Healthy this long: the next crash restarts after firstMs again. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };

/** The delay before the next restart (pure). */
export function nextDelay(previousMs: number | undefined, uptimeMs: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  if (previousMs === undefined || uptimeMs >= backoff.resetAfterMs) return backoff.firstMs;
  return Math.min(previousMs * 2, backoff.maxMs);
}

export class EngineSupervisor extends EventEmitter<SupervisorEvents> {
  status: EngineStatus = { state: 'stopped' };
  private child: EngineChild | undefined;
  private launch: EngineLaunch;
  private delayMs: number | undefined;
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopping: Promise<void> | undefined;
  private waiters: { resolve: (e: EngineEndpoint) => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly fork: ForkEngine,
    launch: EngineLaunch,
    private readonly options: { backoff?: Backoff; now?: () => number; stopTimeoutMs?: number } = {},
  ) {
    super();
    this.launch = { ...launch };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    if (status.state === 'running') for (const w of this.waiters.splice(0)) w.resolve(status.endpoint);
    if (status.state === 'failed') for (const w of this.waiters.splice(0)) w.reject(new Error(status.message));
    this.emit('status', status);
  }

  start(): void {
    if (this.child || this.stopping) return;
    clearTimeout(this.timer);
    this.setStatus({ state: 'starting' });
    this.startedAt = this.now();
    const child = this.fork(this.launch);
    this.child = child;
    let failed: EngineMessage & { type: 'failed' } | undefined;
    child.on('message', (message) => {
      if (this.child !== child) return;
      if (message.type === 'ready') {
        this.setStatus({ state: 'running', endpoint: { url: message.url, token: message.token }, frontUrl: message.frontUrl, pid: message.pid });
      } else if (message.type === 'failed') failed = message;
    });
    child.on('exit', (code) => {
      // Exits of a child already replaced (or stopped on purpose) are not news.
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      if (failed && FATAL_CODES.has(failed.code)) {
        this.setStatus({ state: 'failed', code: failed.code, message: failed.message });
        return;
      }
      this.delayMs = nextDelay(this.delayMs, this.now() - this.startedAt, this.options.backoff);
      const reason = failed ? failed.message : `The engine stopped unexpectedly (exit code ${code}).`;
      this.setStatus({ state: 'restarting', inMs: this.delayMs, reason });
      this.timer = setTimeout(() => this.start(), this.delayMs);
    });
  }

  /** The endpoint once the engine runs (waits while it starts or restarts; rejects when it failed for good). */
  endpoint(): Promise<EngineEndpoint> {
    const status = this.status;
    if (status.state === 'running') return Promise.resolve(status.endpoint);
    if (status.state === 'failed') return Promise.reject(new Error(status.message));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Applies new launch settings (port, node path): a graceful stop, then a fresh start. */
  async restart(launch: Partial<EngineLaunch> = {}): Promise<void> {
    this.launch = { ...this.launch, ...launch };
    await this.stop();
    this.stopping = undefined;
    this.delayMs = undefined;
    this.start();
  }

  /** Asks the engine to stop gracefully (apps finish their requests), killing it after the timeout. */
  stop(timeoutMs = this.options.stopTimeoutMs ?? 10_000): Promise<void> {
    clearTimeout(this.timer);
    const child = this.child;
    this.stopping ??= new Promise<void>((resolve) => {
      if (!child) return resolve();
      const killTimer = setTimeout(() => child.kill(), timeoutMs + 2000);
      child.on('exit', () => {
        clearTimeout(killTimer);
        resolve();
      });
      try {
        child.postMessage({ type: 'stop', timeoutMs });
      } catch {
        child.kill();
      }
    }).then(() => {
      this.child = undefined;
      this.setStatus({ state: 'stopped' });
    });
    return this.stopping;
  }
}
