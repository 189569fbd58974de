/**
 * The renderer's client for Berth's control protocol (core/control/protocol.ts) over the browser's WebSocket: calls
 * with ids and timeouts, subscriptions routed by id. It knows nothing about reconnecting (see session.ts): one
 * client is one connection, and when it closes every pending call fails and every subscription ends.
 */
import type {
  ErrorBody,
  ErrorCode,
  HelloMessage,
  Method,
  Params,
  PushMessage,
  Result,
  ServerMessage,
  Topics,
} from '../../../core/control/protocol.js';

/** The protocol's constants, repeated here so the renderer imports nothing from core at run time. */
export const PROTOCOL_NAME = 'berth.v1';
export const TOKEN_PROTOCOL_PREFIX = 'berth.token.';

/** What the client needs of a WebSocket (the browser's, or a fake in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export type ClientErrorCode = ErrorCode | 'DISCONNECTED' | 'TIMEOUT' | 'CONNECT_FAILED';

/** A refused call: the engine's code and sentence, or a transport failure. */
export class ControlError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** The calls that open a subscription, and the topic each pushes. */
export interface SubscribeCalls {
  'events.subscribe': 'events';
  'logs.subscribe': 'logs';
  'metrics.subscribe': 'metrics';
}
export type SubscribeMethod = keyof SubscribeCalls;

export interface Subscription<M extends SubscribeMethod> {
  readonly id: string;
  /** The subscribe call's result (for logs: the backlog lines). */
  readonly result: Result<M>;
  /** Ends it on the engine (ignored when the connection is gone). */
  close(): Promise<void>;
}

interface SubscriptionHandlers {
  push(data: unknown, dropped: number): void;
  end(reason: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: ControlError): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ClientOptions {
  url: string;
  token: string;
  socket?: SocketFactory;
  /** How long a call may take before it fails with TIMEOUT (start and recycle wait for workers: keep it long). */
  callTimeoutMs?: number;
  connectTimeoutMs?: number;
}

const OPEN = 1;

export class ControlClient {
  private socket: SocketLike | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<string, SubscriptionHandlers>();
  /** Pushes that arrived before their subscribe call answered (the engine may push right after answering). */
  private readonly early = new Map<string, PushMessage[]>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private closed = false;
  hello: HelloMessage | undefined;

  constructor(private readonly options: ClientOptions) {}

  /** Opens the connection and resolves with the engine's hello. */
  connect(): Promise<HelloMessage> {
    const factory = this.options.socket ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new ControlError('CONNECT_FAILED', message));
      };
      const timer = setTimeout(() => {
        fail('The engine did not answer in time.');
        socket.close();
      }, this.options.connectTimeoutMs ?? 10_000);
      let socket: SocketLike;
      try {
        socket = factory(this.options.url, [PROTOCOL_NAME, TOKEN_PROTOCOL_PREFIX + this.options.token]);
      } catch (error) {
        clearTimeout(timer);
        reject(new ControlError('CONNECT_FAILED', `Cannot open ${this.options.url}: ${(error as Error).message}`));
        return;
      }
      this.socket = socket;
      socket.onmessage = (event) => {
        const message = parse(event.data);
        if (!message) return;
        if (message.kind === 'hello') {
          this.hello = message;
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolve(message);
          }
          return;
        }
        this.dispatch(message);
      };
      socket.onclose = (event) => {
        // A refused handshake (wrong token, foreign origin) looks like any other failed connection to a page.
        fail(`The connection to the engine was refused or lost (code ${event.code}). Is the engine running, and is the token current?`);
        this.shutdown(event.reason || `connection closed (${event.code})`);
      };
      socket.onerror = () => undefined;
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.socket?.readyState === OPEN;
  }

  /** Calls a method; rejects with a ControlError carrying the engine's code and message. */
  call<M extends Method>(method: M, params: Params<M>, timeoutMs = this.options.callTimeoutMs ?? 60_000): Promise<Result<M>> {
    if (!this.isOpen) return Promise.reject(new ControlError('DISCONNECTED', 'Not connected to the engine.'));
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError('TIMEOUT', `The engine did not answer ${method} within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket!.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Opens a subscription; `onPush` receives each push's data (and how many pushes were dropped before it). */
  async subscribe<M extends SubscribeMethod>(
    method: M,
    params: Params<M>,
    onPush: (data: Topics[SubscribeCalls[M]], dropped: number) => void,
    onEnd: (reason: string) => void = () => undefined,
  ): Promise<Subscription<M>> {
    const result = (await this.call(method, params)) as Result<M> & { subscription: string };
    const id = result.subscription;
    this.subscriptions.set(id, { push: onPush as (data: unknown, dropped: number) => void, end: onEnd });
    const early = this.early.get(id);
    this.early.delete(id);
    for (const message of early ?? []) onPush(message.data as Topics[SubscribeCalls[M]], message.dropped ?? 0);
    return {
      id,
      result,
      close: async () => {
        if (!this.subscriptions.delete(id) || !this.isOpen) return;
        await this.call('unsubscribe', { subscription: id }).catch(() => undefined);
      },
    };
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.socket?.close(1000, 'closed by the client');
    this.shutdown('closed by the client');
  }

  private dispatch(message: Exclude<ServerMessage, HelloMessage>): void {
    if (message.kind === 'response') {
      if (typeof message.id !== 'number') return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(toError(message.error));
    } else if (message.kind === 'push') {
      const handlers = this.subscriptions.get(message.subscription);
      if (handlers) handlers.push(message.data, message.dropped ?? 0);
      else {
        const queue = this.early.get(message.subscription) ?? [];
        if (queue.length < 1000) queue.push(message);
        this.early.set(message.subscription, queue);
      }
    } else if (message.kind === 'end') {
      const handlers = this.subscriptions.get(message.subscription);
      this.subscriptions.delete(message.subscription);
      handlers?.end(message.reason);
    }
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ControlError('DISCONNECTED', 'The connection to the engine closed before it answered.'));
    }
    this.pending.clear();
    for (const handlers of this.subscriptions.values()) handlers.end(reason);
    this.subscriptions.clear();
    this.early.clear();
    for (const listener of this.closeListeners) listener(reason);
  }
}

function parse(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const message = JSON.parse(data) as ServerMessage;
    return message && typeof message === 'object' && 'kind' in message ? message : undefined;
  } catch {
    return undefined;
  }
}

function toError(body: ErrorBody): ControlError {
  return new ControlError(body.code, body.message, body.details ?? {});
}

/** The sentence to show for any failure (engine errors already are sentences). */
export function errorMessage(error: unknown): string {
  if (error instanceof ControlError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isNotImplemented(error: unknown): boolean {
  return error instanceof ControlError && (error.code === 'NOT_IMPLEMENTED' || error.code === 'UNKNOWN_METHOD');
}
