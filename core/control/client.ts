/**
 * A small typed client of the control API for Node (the CLI and the tests): connect with the token, call methods,
 * follow subscriptions. A browser client speaks the same protocol.ts with the browser's WebSocket.
 */
import WebSocket from 'ws';
import {
  PROTOCOL_NAME,
  SUBSCRIBE_METHODS,
  TOKEN_PROTOCOL_PREFIX,
  type EndMessage,
  type ErrorCode,
  type HandshakeErrorCode,
  type HelloMessage,
  type Method,
  type Params,
  type PushMessage,
  type Result,
  type ServerMessage,
  type Topics,
} from './protocol.js';

export type ClientErrorCode = ErrorCode | HandshakeErrorCode | 'CONNECTION_FAILED' | 'CONNECTION_CLOSED' | 'TIMEOUT';

export class ControlError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ConnectOptions {
  url: string;
  token: string;
  /** How the token is sent: an Authorization header (default), or the subprotocol a browser would use. */
  auth?: 'header' | 'protocol';
  /** An Origin header, as a browser would send (tests). */
  origin?: string;
  timeoutMs?: number;
}

type SubscribeMethod = keyof typeof SUBSCRIBE_METHODS;
type TopicOf<M extends SubscribeMethod> = (typeof SUBSCRIBE_METHODS)[M];

export interface Subscription<M extends SubscribeMethod> {
  /** What the subscribe call returned (for logs.subscribe: the history lines). */
  result: Result<M>;
  id: string;
  unsubscribe(): Promise<void>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** For subscribe calls: registered as soon as the response names the subscription. */
  onPush?: (data: unknown, dropped: number) => void;
  onEnd?: (reason: string) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<string, { onPush: (data: unknown, dropped: number) => void; onEnd?: (reason: string) => void }>();
  private closeError: ControlError | undefined;
  private readonly closeListeners = new Set<(error: ControlError) => void>();

  private constructor(
    private readonly ws: WebSocket,
    readonly hello: HelloMessage,
  ) {
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('close', (code, reason) => {
      const error = new ControlError('CONNECTION_CLOSED', `The engine closed the connection (${code}${reason.length ? `: ${String(reason)}` : ''}).`);
      this.closeError = error;
      for (const pending of this.pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(error);
      }
      this.pending.clear();
      for (const sub of this.subscriptions.values()) sub.onEnd?.('the connection closed');
      this.subscriptions.clear();
      for (const listener of this.closeListeners) listener(error);
    });
  }

  /** Connects and waits for the engine's hello. Refusals become ControlErrors with the engine's explanation. */
  static connect(options: ConnectOptions): Promise<ControlClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const protocols = options.auth === 'protocol' ? [PROTOCOL_NAME, `${TOKEN_PROTOCOL_PREFIX}${options.token}`] : [PROTOCOL_NAME];
      const ws = new WebSocket(options.url, protocols, {
        headers: options.auth === 'protocol' ? {} : { Authorization: `Bearer ${options.token}` },
        ...(options.origin ? { origin: options.origin } : {}),
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
        maxPayload: 256 * 1024 * 1024,
      });
      let settled = false;
      const fail = (error: ControlError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      const timer = setTimeout(() => fail(new ControlError('TIMEOUT', `The engine at ${options.url} did not answer within ${timeoutMs} ms.`)), timeoutMs);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          let parsed: { code?: HandshakeErrorCode; message?: string } = {};
          try {
            parsed = JSON.parse(body) as typeof parsed;
          } catch {
            // not one of Berth's refusals
          }
          fail(new ControlError(parsed.code ?? 'CONNECTION_FAILED', parsed.message ?? `The engine refused the connection (HTTP ${res.statusCode}).`));
        });
        res.on('error', () => fail(new ControlError('CONNECTION_FAILED', `The engine refused the connection (HTTP ${res.statusCode}).`)));
      });
      ws.once('error', (error) => fail(new ControlError('CONNECTION_FAILED', `Cannot connect to the engine at ${options.url}: ${error.message}`)));
      ws.once('close', () => fail(new ControlError('CONNECTION_CLOSED', `The engine at ${options.url} closed the connection before greeting.`)));
      ws.once('message', (data) => {
        let hello: ServerMessage;
        try {
          hello = JSON.parse(String(data)) as ServerMessage;
        } catch {
          return fail(new ControlError('CONNECTION_FAILED', 'The engine sent something other than its greeting.'));
        }
        if (hello.kind !== 'hello') return fail(new ControlError('CONNECTION_FAILED', 'The engine sent something other than its greeting.'));
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => undefined);
        resolve(new ControlClient(ws, hello));
      });
    });
  }

  private onMessage(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (message.kind === 'response') {
      if (typeof message.id !== 'number') return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) {
        if (pending.onPush) {
          const id = (message.result as { subscription: string }).subscription;
          this.subscriptions.set(id, { onPush: pending.onPush, ...(pending.onEnd ? { onEnd: pending.onEnd } : {}) });
        }
        pending.resolve(message.result);
      } else {
        pending.reject(new ControlError(message.error.code, message.error.message, message.error.details));
      }
    } else if (message.kind === 'push') {
      this.subscriptions.get(message.subscription)?.onPush(message.data, message.dropped ?? 0);
    } else if (message.kind === 'end') {
      const sub = this.subscriptions.get((message as EndMessage).subscription);
      this.subscriptions.delete((message as EndMessage).subscription);
      sub?.onEnd?.((message as EndMessage).reason);
    }
  }

  private request(method: string, params: unknown, extra: Partial<Pending> = {}, timeoutMs = 120_000): Promise<unknown> {
    if (this.closeError) return Promise.reject(this.closeError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError('TIMEOUT', `${method} got no answer within ${timeoutMs} ms.`));
      }, timeoutMs) : undefined;
      this.pending.set(id, { resolve, reject, timer, ...extra });
      this.ws.send(JSON.stringify({ id, method, params: params ?? {} }));
    });
  }

  /** Calls a method; rejects with a ControlError carrying the engine's code and message. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  call<M extends Method>(method: M, ...params: {} extends Params<M> ? [params?: Params<M>] : [params: Params<M>]): Promise<Result<M>> {
    return this.request(method, params[0]) as Promise<Result<M>>;
  }

  /** Opens a subscription; `onPush` gets every push in order, with how many were dropped before it. */
  async subscribe<M extends SubscribeMethod>(
    method: M,
    params: Params<M>,
    onPush: (data: Topics[TopicOf<M>], dropped: number) => void,
    onEnd?: (reason: string) => void,
  ): Promise<Subscription<M>> {
    const result = (await this.request(method, params, {
      onPush: onPush as (data: unknown, dropped: number) => void,
      ...(onEnd ? { onEnd } : {}),
    })) as Result<M>;
    const id = (result as { subscription: string }).subscription;
    return {
      result,
      id,
      unsubscribe: async () => {
        this.subscriptions.delete(id);
        await this.call('unsubscribe', { subscription: id });
      },
    };
  }

  /** Sends raw text or bytes (for testing how the engine handles bad input); the answer comes to `onRaw`. */
  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: options.binary ?? Buffer.isBuffer(data) });
  }

  /** Every message from the engine, as parsed JSON (tests). */
  onRaw(listener: (message: ServerMessage | PushMessage) => void): () => void {
    const handler = (data: WebSocket.RawData) => {
      try {
        listener(JSON.parse(String(data)) as ServerMessage);
      } catch {
        // not JSON: ignored
      }
    };
    this.ws.on('message', handler);
    return () => this.ws.off('message', handler);
  }

  /** Stops reading from the engine (a slow consumer, as far as the engine can tell) until resume(). */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  onClose(listener: (error: ControlError) => void): void {
    this.closeListeners.add(listener);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}
