/**
 * The one client of Berth's control protocol (core/control/protocol.ts), for every caller: the CLI and the tests
 * (over `ws`, core/control/client.ts) and the window (over the browser's WebSocket, renderer/src/api/control-client.ts).
 * It speaks to a minimal socket (the shape of the browser's WebSocket), so it runs in a browser and in Node alike: no
 * Node modules here. Calls carry ids and time out; subscriptions are routed by id; when the connection closes, every
 * pending call fails and every subscription ends. It does not reconnect: one client is one connection (the window's
 * renderer/src/api/session.ts makes new ones).
 */
import {
  PROTOCOL_NAME,
  SUBSCRIBE_METHODS,
  TOKEN_PROTOCOL_PREFIX,
  type ErrorBody,
  type ErrorCode,
  type HandshakeErrorCode,
  type HelloMessage,
  type Method,
  type Params,
  type Result,
  type ServerMessage,
  type Topics,
} from '../control/protocol.js';

export type ClientErrorCode = ErrorCode | HandshakeErrorCode | 'CONNECTION_FAILED' | 'CONNECTION_CLOSED' | 'TIMEOUT';

/** A refused call (the engine's code and sentence), or a transport failure. */
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

/** How a socket ended. `refusal` explains a refused handshake when the transport could read why (Node can; a browser cannot). */
export interface SocketCloseEvent {
  code: number;
  reason: string;
  refusal?: { code: ClientErrorCode; message: string };
}

/** What the client needs of a socket: the browser's WebSocket has this shape; the `ws` adapter and test fakes copy it. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: SocketCloseEvent) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
/** Opens a socket offering these subprotocols. */
export type SocketFactory<S extends SocketLike = SocketLike> = (url: string, protocols: string[]) => S;

/** WebSocket's readyState for an open connection (the same number in browsers and in `ws`). */
const OPEN = 1;

export interface ConnectOptions<S extends SocketLike = SocketLike> {
  url: string;
  socket: SocketFactory<S>;
  /** Offered as a subprotocol (all a browser can do); left out when the transport sends it another way (a header). */
  token?: string;
  /** How long the engine has to greet (default 10 s). */
  timeoutMs?: number;
  /** How long a call may take before it fails with TIMEOUT (start and recycle wait for workers: keep it long). */
  callTimeoutMs?: number;
}

export type SubscribeMethod = keyof typeof SUBSCRIBE_METHODS;
export type TopicOf<M extends SubscribeMethod> = (typeof SUBSCRIBE_METHODS)[M];

export interface Subscription<M extends SubscribeMethod> {
  readonly id: string;
  /** The subscribe call's result (for logs.subscribe: the backlog lines). */
  readonly result: Result<M>;
  /** Ends it on the engine; nothing to do when the connection is gone. Rejects with the engine's refusal. */
  unsubscribe(): Promise<void>;
}

/** A method's params: optional when every field is. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type CallArgs<M extends Method> = {} extends Params<M> ? [params?: Params<M>, timeoutMs?: number] : [params: Params<M>, timeoutMs?: number];

interface Handlers {
  push(data: unknown, dropped: number): void;
  end(reason: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: ControlError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** For subscribe calls: registered the moment the answer names the subscription, before any push for it is read. */
  handlers?: Handlers;
}

export class ControlClient<S extends SocketLike = SocketLike> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<string, Handlers>();
  private readonly closeListeners = new Set<(error: ControlError) => void>();
  private readonly rawListeners = new Set<(message: ServerMessage) => void>();
  private readonly closeWaiters: (() => void)[] = [];
  private closeError: ControlError | undefined;
  private socketClosed = false;

  private constructor(
    /** The transport (tests reach through it, e.g. to stop reading). */
    readonly socket: S,
    readonly hello: HelloMessage,
    private readonly callTimeoutMs: number,
  ) {
    socket.onmessage = (event) => {
      const message = parse(event.data);
      if (message) this.dispatch(message);
    };
    socket.onclose = (event) => {
      this.socketClosed = true;
      for (const resolve of this.closeWaiters.splice(0)) resolve();
      const error = new ControlError('CONNECTION_CLOSED', `The engine closed the connection (${event.code}${event.reason ? `: ${event.reason}` : ''}).`);
      this.shutdown(error, event.reason || 'the connection closed');
    };
    socket.onerror = () => undefined;
  }

  /** Connects and waits for the engine's hello. A refusal becomes a ControlError with the engine's explanation when the transport has it. */
  static connect<S extends SocketLike>(options: ConnectOptions<S>): Promise<ControlClient<S>> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const protocols = options.token === undefined ? [PROTOCOL_NAME] : [PROTOCOL_NAME, TOKEN_PROTOCOL_PREFIX + options.token];
    return new Promise((resolve, reject) => {
      let settled = false;
      let socket: S | undefined;
      const fail = (error: ControlError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.close();
        reject(error);
      };
      const timer = setTimeout(() => fail(new ControlError('TIMEOUT', `The engine at ${options.url} did not answer within ${timeoutMs} ms.`)), timeoutMs);
      try {
        socket = options.socket(options.url, protocols);
      } catch (error) {
        fail(new ControlError('CONNECTION_FAILED', `Cannot open ${options.url}: ${(error as Error).message}`));
        return;
      }
      const opened = socket;
      opened.onerror = () => undefined;
      opened.onclose = (event) =>
        fail(
          event.refusal
            ? new ControlError(event.refusal.code, event.refusal.message)
            : new ControlError('CONNECTION_FAILED', `The engine at ${options.url} refused or closed the connection before greeting (code ${event.code}). Is the engine running, and is the token current?`),
        );
      opened.onmessage = (event) => {
        const hello = parse(event.data);
        if (hello?.kind !== 'hello') return fail(new ControlError('CONNECTION_FAILED', 'The engine sent something other than its greeting.'));
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(new ControlClient(opened, hello, options.callTimeoutMs ?? 120_000));
      };
    });
  }

  get isOpen(): boolean {
    return !this.closeError && this.socket.readyState === OPEN;
  }

  /** Calls a method; rejects with a ControlError carrying the engine's code and message. */
  call<M extends Method>(method: M, ...[params, timeoutMs = this.callTimeoutMs]: CallArgs<M>): Promise<Result<M>> {
    return this.request(method, params, timeoutMs) as Promise<Result<M>>;
  }

  /** Opens a subscription; `onPush` gets every push in order, with how many were dropped before it. */
  async subscribe<M extends SubscribeMethod>(
    method: M,
    params: Params<M>,
    onPush: (data: Topics[TopicOf<M>], dropped: number) => void,
    onEnd: (reason: string) => void = () => undefined,
  ): Promise<Subscription<M>> {
    const handlers: Handlers = { push: onPush as Handlers['push'], end: onEnd };
    const result = (await this.request(method, params, this.callTimeoutMs, handlers)) as Result<M>;
    const id = (result as { subscription: string }).subscription;
    return {
      id,
      result,
      unsubscribe: async () => {
        this.subscriptions.delete(id);
        if (!this.isOpen) return;
        await this.call('unsubscribe', { subscription: id });
      },
    };
  }

  /** Called once when the connection closes, for whatever reason (also after close()). Returns a function that removes it. */
  onClose(listener: (error: ControlError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Sends raw text (for tests of how the engine handles bad input); answers come to `onRaw` listeners. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Every message from the engine, as parsed JSON (tests). Returns a function that removes the listener. */
  onRaw(listener: (message: ServerMessage) => void): () => void {
    this.rawListeners.add(listener);
    return () => this.rawListeners.delete(listener);
  }

  /** Closes the connection: pending calls fail now; resolves once the socket is closed (or after a second at most). */
  close(): Promise<void> {
    const closed = this.socketClosed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.closeWaiters.push(resolve);
          const timer = setTimeout(resolve, 1000) as { unref?: () => void };
          // In Node, a peer that never answers the close must not keep the process alive.
          timer.unref?.();
        });
    if (!this.socketClosed) this.socket.close(1000, 'closed by the client');
    this.shutdown(new ControlError('CONNECTION_CLOSED', 'The connection to the engine was closed by the client.'), 'closed by the client');
    return closed;
  }

  private request(method: string, params: unknown, timeoutMs: number, handlers?: Handlers): Promise<unknown> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (!this.isOpen) return Promise.reject(new ControlError('CONNECTION_CLOSED', 'Not connected to the engine.'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new ControlError('TIMEOUT', `The engine did not answer ${method} within ${formatDuration(timeoutMs)}.`));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer, ...(handlers ? { handlers } : {}) });
      this.socket.send(JSON.stringify({ id, method, params: params ?? {} }));
    });
  }

  private dispatch(message: ServerMessage): void {
    for (const listener of this.rawListeners) listener(message);
    if (message.kind === 'response') {
      if (typeof message.id !== 'number') return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (!message.ok) return pending.reject(toError(message.error));
      if (pending.handlers) this.subscriptions.set((message.result as { subscription: string }).subscription, pending.handlers);
      pending.resolve(message.result);
    } else if (message.kind === 'push') {
      this.subscriptions.get(message.subscription)?.push(message.data, message.dropped ?? 0);
    } else if (message.kind === 'end') {
      const handlers = this.subscriptions.get(message.subscription);
      this.subscriptions.delete(message.subscription);
      handlers?.end(message.reason);
    }
  }

  /** Fails what is pending and ends every subscription (with `reason`), once. */
  private shutdown(error: ControlError, reason: string): void {
    if (this.closeError) return;
    this.closeError = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    const subscriptions = [...this.subscriptions.values()];
    this.subscriptions.clear();
    for (const handlers of subscriptions) handlers.end(reason);
    for (const listener of this.closeListeners) listener(error);
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

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** The sentence to show for any failure (engine errors already are sentences). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The engine is older than this client and lacks the method. */
export function isNotImplemented(error: unknown): boolean {
  return error instanceof ControlError && (error.code === 'NOT_IMPLEMENTED' || error.code === 'UNKNOWN_METHOD');
}
