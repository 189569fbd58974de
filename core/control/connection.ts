/**
 * One client's connection to the control API: reads its frames (size, JSON, id, method, params), answers each call
 * with the handler's result or a typed error, and sends its subscriptions' pushes. No message can crash the engine:
 * binary frames, text that is not JSON, unknown methods, bad parameters and oversized messages each get an error and
 * the connection goes on.
 */
import type { WebSocket } from 'ws';
import type { Engine } from '../engine.js';
import type { EngineEvent } from '../events.js';
import { closest } from '../config/values.js';
import { BERTH_VERSION } from '../version.js';
import { errorBody, internalMessage } from './call-errors.js';
import { HIGH_WATER_BYTES } from './limits.js';
import { checkParams, isMethod, METHODS, ParamError } from './params.js';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION, type ErrorBody, type ErrorCode, type Method, type Params, type RequestId, type ServerMessage } from './protocol.js';
import { Subscriptions, type Outbox } from './subscriptions.js';

export interface ConnectionStats {
  subscriptions: number;
  /** Bytes waiting to be sent now, and the most there ever were. */
  bufferedBytes: number;
  peakBufferedBytes: number;
  queuedEvents: number;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  engine: Engine;
  /** Answers one call (the handlers of handlers.ts); subscribing calls open theirs on `subs`. */
  dispatch(method: Method, params: Params<Method>, subs: Subscriptions): unknown;
  /** Told about unexpected errors (answered as INTERNAL). */
  reportInternal(error: unknown): void;
}

export class Connection implements Outbox {
  readonly subs: Subscriptions;
  closed = false;
  private drainWaiters: (() => void)[] = [];
  private peakBuffered = 0;
  private readonly onEngineEvent = (event: EngineEvent) => {
    if (event.type === 'app-removed') this.subs.endFor(event.app);
  };

  constructor(
    readonly ws: WebSocket,
    private readonly host: ConnectionHost,
  ) {
    this.subs = new Subscriptions(this, host.engine);
    ws.on('message', (data, isBinary) => {
      this.onMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary).catch((error: unknown) => {
        this.host.reportInternal(error);
        this.error(null, 'INTERNAL', internalMessage(error));
      });
    });
    ws.on('error', () => undefined);
    host.engine.on('event', this.onEngineEvent);
    this.send({ kind: 'hello', protocol: PROTOCOL_VERSION, version: BERTH_VERSION, pid: process.pid });
  }

  send(message: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(message), () => this.onSent());
    if (this.ws.bufferedAmount > this.peakBuffered) this.peakBuffered = this.ws.bufferedAmount;
  }

  stats(): ConnectionStats {
    return { subscriptions: this.subs.size, bufferedBytes: this.ws.bufferedAmount, peakBufferedBytes: this.peakBuffered, queuedEvents: this.subs.queuedEvents };
  }

  get congested(): boolean {
    return this.ws.bufferedAmount > HIGH_WATER_BYTES;
  }

  private onSent(): void {
    if (this.congested && !this.closed) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    this.subs.flushEvents();
  }

  whenDrained(): Promise<void> {
    if (!this.congested || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private error(id: RequestId | null, code: ErrorCode, message: string, details?: Record<string, unknown>): void {
    const error: ErrorBody = { code, message, ...(details ? { details } : {}) };
    this.send({ kind: 'response', id, ok: false, error });
  }

  private async onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Promise<void> {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (bytes.length > MAX_MESSAGE_BYTES) {
      return this.error(null, 'TOO_LARGE', `The message has ${bytes.length} bytes; the control API reads messages of at most ${MAX_MESSAGE_BYTES} bytes.`);
    }
    if (isBinary) return this.error(null, 'BAD_MESSAGE', 'Binary messages are not understood: send JSON text.');
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      return this.error(null, 'BAD_MESSAGE', `The message is not JSON (${(error as Error).message}). Send {"id": 1, "method": "apps.list", "params": {}}.`);
    }
    if (!message || typeof message !== 'object' || Array.isArray(message)) {
      return this.error(null, 'BAD_MESSAGE', 'The message must be a JSON object such as {"id": 1, "method": "apps.list", "params": {}}.');
    }
    const { id, method, params } = message as { id?: unknown; method?: unknown; params?: unknown };
    const validId = (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length > 0 && id.length <= 100);
    if (!validId) return this.error(null, 'BAD_MESSAGE', '"id" must be a number or a text of at most 100 characters; it is echoed in the response.');
    const requestId = id as RequestId;
    if (typeof method !== 'string') return this.error(requestId, 'BAD_MESSAGE', '"method" must be the name of a call, such as "apps.list".');
    if (!isMethod(method)) {
      const guess = closest(method, METHODS);
      return this.error(requestId, 'UNKNOWN_METHOD', `There is no call "${method}".${guess ? ` Did you mean "${guess}"?` : ''}`, { method, ...(guess ? { suggestion: guess } : {}) });
    }
    let checked: Params<Method>;
    try {
      checked = checkParams(method, params);
    } catch (error) {
      if (error instanceof ParamError) return this.error(requestId, 'INVALID_PARAMS', `${method}: ${error.message}`, { param: error.param });
      throw error;
    }
    // A subscription's first pushes must not overtake the response that tells the client its id: those opened while
    // the handler runs its first (synchronous) part are held until the response has been sent.
    this.subs.holdNew();
    let opened: ReturnType<Subscriptions['takeOpened']> = [];
    try {
      const pending = this.host.dispatch(method, checked, this.subs);
      opened = this.subs.takeOpened();
      const result = await pending;
      this.send({ kind: 'response', id: requestId, ok: true, result } as ServerMessage);
    } catch (error) {
      opened = [...opened, ...this.subs.takeOpened()];
      const body = errorBody(error);
      if (body.code === 'INTERNAL') this.host.reportInternal(error);
      this.send({ kind: 'response', id: requestId, ok: false, error: body });
    }
    this.subs.release(opened);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.engine.off('event', this.onEngineEvent);
    this.subs.close();
    this.onSent();
  }
}
