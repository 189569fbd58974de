/**
 * The control API's server: one WebSocket endpoint on loopback (`ws://127.0.0.1:<port>/control`) speaking the protocol
 * of protocol.ts. Guards, checked during the handshake (refused with an HTTP status and a JSON body that says why):
 *
 * - the Host header must name loopback (a DNS-rebinding page cannot pose as 127.0.0.1);
 * - a browser's Origin must be Berth's own (this endpoint's, or one configured for the desktop app); clients that send
 *   no Origin, like the CLI, are not browsers and pass;
 * - the token: the subprotocol `berth.token.<token>` (browsers cannot set headers) or `Authorization: Bearer <token>`.
 *
 * After that, no message can crash the engine: binary frames, text that is not JSON, unknown methods, bad parameters
 * and oversized messages each get a typed error and the connection goes on. Slow readers are bounded (limits.ts).
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../engine.js';
import { DEBUG_COOKIE, type App } from '../app/app.js';
import { EngineError } from '../engine.js';
import type { EngineEvent } from '../events.js';
import { closest } from '../config/values.js';
import { BERTH_VERSION } from '../version.js';
import { HIGH_WATER_BYTES, MAX_LOG_LINES, MAX_QUEUED_EVENTS, MAX_SUBSCRIPTIONS } from './limits.js';
import { checkParams, isMethod, METHODS, ParamError } from './params.js';
import {
  CONTROL_PATH,
  MAX_MESSAGE_BYTES,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  TOKEN_PROTOCOL_PREFIX,
  type DebugInfo,
  type EngineInfo,
  type ErrorBody,
  type ErrorCode,
  type HandshakeErrorCode,
  type LogLine,
  type LogStream,
  type MetricsBatch,
  type Method,
  type Params,
  type RequestId,
  type Result,
  type ServerMessage,
  type Topic,
  type Topics,
} from './protocol.js';
import { SettingsFileError } from './settings-file.js';
import { tokensEqual } from './token.js';

export interface ControlServerOptions {
  engine: Engine;
  token: string;
  /** A loopback address (default 127.0.0.1). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Browser origins allowed besides this endpoint's own (e.g. the desktop app's page, a UI dev server). */
  allowedOrigins?: readonly string[];
  /** For engine.info. */
  home: string;
  mode: EngineInfo['mode'];
  /** Told about unexpected errors in handlers (they are also answered as INTERNAL). */
  onInternalError?: (error: unknown) => void;
  /**
   * Answers plain HTTP requests on the endpoint's port (the web dashboard, whose pages then have this endpoint's own
   * origin); returns false for requests it does not answer, which get a 426 saying what this port is.
   */
  serveHttp?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** An error with a protocol code, thrown by handlers. */
export class ControlCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ControlCallError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

type Handlers = { [M in Method]: (params: Params<M>, connection: Connection) => Result<M> | Promise<Result<M>> };

export class ControlServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private address: AddressInfo | undefined;
  private readonly handlers: Handlers;
  readonly host: string;

  constructor(readonly options: ControlServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    if (!isLoopbackHost(this.host)) throw new Error(`The control API listens on loopback only, not on ${this.host}.`);
    this.http = http.createServer((req, res) => {
      if (options.serveHttp?.(req, res)) return;
      const body = JSON.stringify({ code: 'NOT_FOUND', message: `This is Berth's control API: connect with a WebSocket to ${CONTROL_PATH} (see the README, "Control API and CLI").` });
      res.writeHead(426, { 'Content-Type': 'application/json', Upgrade: 'websocket', 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      // Messages up to MAX_MESSAGE_BYTES are read and answered; larger ones up to 4× get a TOO_LARGE error; beyond
      // that ws ends the connection (1009) before buffering more.
      maxPayload: MAX_MESSAGE_BYTES * 4,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_error, socket) => socket.destroy());
    this.handlers = this.makeHandlers();
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, this.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.address = this.http.address() as AddressInfo;
    return this.address;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  get url(): string {
    const host = this.host.includes(':') && !this.host.startsWith('[') ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.port}${CONTROL_PATH}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Per connection: what it holds (for diagnostics, and for tests of the bounds in limits.ts). */
  connectionStats(): ConnectionStats[] {
    return [...this.connections].map((c) => c.stats());
  }

  /** Berth's own origins: this endpoint's, under each loopback name. */
  private ownOrigins(): Set<string> {
    const port = this.port;
    return new Set([
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      `http://[::1]:${port}`,
      ...(this.options.allowedOrigins ?? []).map((o) => o.replace(/\/$/, '').toLowerCase()),
    ]);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refuse = (status: number, code: HandshakeErrorCode, message: string) => {
      const body = JSON.stringify({ code, message });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    const url = new URL(req.url ?? '/', 'http://control');
    if (url.pathname !== CONTROL_PATH) return refuse(404, 'NOT_FOUND', `Berth's control API is at ${CONTROL_PATH}, not ${url.pathname}.`);
    const hostHeader = req.headers.host ?? '';
    const hostName = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
    if (!isLoopbackHost(hostName)) {
      return refuse(403, 'FORBIDDEN_HOST', `Host "${hostHeader}" is refused: Berth's control API answers to 127.0.0.1 or localhost only.`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.ownOrigins().has(origin.toLowerCase())) {
      return refuse(403, 'FORBIDDEN_ORIGIN', `Origin ${origin} is refused: only Berth's own pages may use its control API.`);
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const fromProtocol = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
    const authorization = req.headers.authorization;
    const fromHeader = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
    const given = fromHeader ?? fromProtocol;
    const where = `${this.options.home}`;
    if (given === undefined) {
      return refuse(401, 'UNAUTHORIZED', `A token is required: send the content of the file "token" in ${where} as "Authorization: Bearer <token>" or as the WebSocket subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>.`);
    }
    if (!tokensEqual(given, this.options.token)) {
      return refuse(401, 'UNAUTHORIZED', `The token is wrong. It changes each time the engine starts: read it again from the file "token" in ${where}.`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, this);
      this.connections.add(connection);
      ws.on('close', () => {
        connection.close();
        this.connections.delete(connection);
      });
    });
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.ws.close(1001, 'the engine is stopping');
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Connections that do not finish their closing handshake promptly are cut.
    const timer = setTimeout(() => {
      for (const connection of this.connections) connection.ws.terminate();
    }, 1000);
    this.http.closeAllConnections();
    await closed;
    clearTimeout(timer);
    this.wss.close();
  }

  /** Answers one call. */
  async dispatch<M extends Method>(method: M, params: Params<M>, connection: Connection): Promise<Result<M>> {
    return this.handlers[method](params, connection);
  }

  info(): EngineInfo {
    const engine = this.options.engine;
    return {
      version: BERTH_VERSION,
      protocol: PROTOCOL_VERSION,
      pid: process.pid,
      startedAt: engine.startedAt,
      frontUrl: `http://${engine.host.includes(':') ? `[${engine.host}]` : engine.host}:${engine.port}/`,
      controlUrl: this.url,
      home: this.options.home,
      mode: this.options.mode,
      registryFile: engine.registry?.file ?? null,
    };
  }

  private makeHandlers(): Handlers {
    const engine = this.options.engine;
    const hosted = (name: string) => {
      const record = engine.appRecords().find((r) => r.name === name);
      if (!record) engine.appSummary(name); // throws APP_NOT_FOUND with the list of apps
      if (!record!.app) throw new ControlCallError('APP_MISSING', record!.missing?.title ?? `The folder of ${name} is missing.`);
      return record!.app;
    };
    // Debugging failures (no free port, debugging off, worker gone) are the caller's to read, not engine errors.
    const debugCall = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof ControlCallError || error instanceof EngineError) throw error;
        throw new ControlCallError('DEBUG_FAILED', (error as Error).message);
      }
    };
    return {
      'engine.info': () => this.info(),
      'apps.list': () => engine.appSummaries(),
      'apps.get': ({ app }) => engine.appDetail(app),
      'apps.add': async ({ folder, name, start }) => {
        const app = await engine.addApp(folder, { ...(name !== undefined ? { name } : {}), start: start ?? true });
        return start === false ? engine.appSummary(app.name) : engine.startApp(app.name);
      },
      'apps.remove': async ({ app }) => {
        const persisted = engine.appSummary(app).persisted;
        await engine.removeApp(app);
        return { app, persisted };
      },
      'apps.enable': ({ app }) => engine.setEnabled(app, true),
      'apps.disable': ({ app }) => engine.setEnabled(app, false),
      'apps.start': ({ app }) => engine.startApp(app),
      'apps.stop': ({ app }) => engine.stopApp(app),
      'apps.restart': ({ app }) => engine.restartApp(app),
      'apps.recycle': ({ app, reason }) => engine.recycleApp(app, reason ?? 'asked through the control API'),
      'config.get': ({ app }) => engine.effectiveConfig(app),
      'config.set': ({ app, settings }) => engine.writeSettings(app, settings),
      'logs.get': ({ app, lines, streams }) => selectLines(hosted(app).tail.lines(), lines ?? 100, streams),
      'metrics.get': ({ app }) => {
        if (app !== undefined) engine.appSummary(app);
        return engine.metrics.latest(app);
      },
      'metrics.history': ({ app, seconds }) => {
        engine.appSummary(app);
        return engine.metrics.history(app, seconds);
      },
      'events.subscribe': ({ app }, connection) => {
        if (app !== undefined) engine.appSummary(app);
        return { subscription: connection.subscribeEvents(app) };
      },
      'logs.subscribe': ({ app, lines, streams }, connection) => {
        const tail = hosted(app).tail;
        // The history is taken and the subscription made in the same turn: no line falls between the two.
        const history = selectLines(tail.lines(), lines ?? 0, streams);
        const subscription = connection.subscribeLogs(app, tail, streams);
        return { subscription, lines: history };
      },
      'metrics.subscribe': ({ app }, connection) => {
        if (app !== undefined) engine.appSummary(app);
        return { subscription: connection.subscribeMetrics(app) };
      },
      unsubscribe: ({ subscription }, connection) => {
        if (!connection.unsubscribe(subscription)) {
          throw new ControlCallError('SUBSCRIPTION_NOT_FOUND', `There is no subscription "${subscription}" on this connection (it may have ended already).`);
        }
        return { subscription };
      },
      'debug.start': ({ app, break: brk, mode }) =>
        debugCall(async () => {
          const target = hosted(app);
          await target.startDebugging({ brk: brk ?? false, mode: mode ?? 'exclusive' });
          return debugInfo(target);
        }),
      'debug.stop': ({ app }) =>
        debugCall(async () => {
          const target = hosted(app);
          await target.stopDebugging();
          return debugInfo(target);
        }),
      'debug.info': ({ app }) => debugInfo(hosted(app)),
      'debug.heapSnapshot': ({ app, worker }) =>
        debugCall(async () => {
          const written = await hosted(app).heapSnapshot(path.join(this.options.home, 'snapshots'), worker);
          return { file: written.path, bytes: written.size, pid: written.pid };
        }),
      'debug.cpuProfile': ({ app, worker, seconds }) =>
        debugCall(async () => {
          const written = await hosted(app).cpuProfile(path.join(this.options.home, 'snapshots'), seconds ?? 10, worker);
          return { file: written.path, bytes: written.size, pid: written.pid };
        }),
    };
  }

  get engine(): Engine {
    return this.options.engine;
  }

  reportInternal(error: unknown): void {
    this.options.onInternalError?.(error);
  }
}

function selectLines(all: readonly LogLine[], count: number, streams: readonly LogStream[] | undefined): LogLine[] {
  const wanted = streams && streams.length < 2 ? all.filter((l) => streams.includes(l.stream)) : all;
  return count <= 0 ? [] : wanted.slice(-Math.min(count, MAX_LOG_LINES)).map(copyLine);
}

function copyLine(line: LogLine): LogLine {
  return { seq: line.seq, time: line.time, pid: line.pid, stream: line.stream, text: line.text, ...(line.cut ? { cut: true } : {}) };
}

export interface ConnectionStats {
  subscriptions: number;
  /** Bytes waiting to be sent now, and the most there ever were. */
  bufferedBytes: number;
  peakBufferedBytes: number;
  queuedEvents: number;
}

interface TailLike {
  subscribe(options: { lines?: number }, callback: (batch: { lines: LogLine[]; dropped: number }) => void | Promise<unknown>): () => void;
}

interface Subscription {
  id: string;
  topic: Topic;
  /** The app it follows, if one. */
  app: string | undefined;
  stop: () => void;
  /** Pushes (or events) not delivered to this slow subscriber since its last push. */
  dropped: number;
  /** Deliveries held until the response that opened the subscription has been sent. */
  held: (() => void)[] | undefined;
}

/** One client's connection: its requests, subscriptions and outgoing backlog. */
class Connection {
  private readonly subs = new Map<string, Subscription>();
  private nextSub = 1;
  private closed = false;
  /** Events waiting for a slow client, in order. */
  private readonly eventQueue: { sub: Subscription; event: EngineEvent }[] = [];
  private drainWaiters: (() => void)[] = [];
  /** Subscriptions opened by the call being dispatched (collected while its handler runs). */
  private opening: Subscription[] | undefined;
  private readonly onEngineEvent = (event: EngineEvent) => {
    if (event.type === 'app-removed') this.endFor(event.app);
  };

  constructor(
    readonly ws: WebSocket,
    private readonly server: ControlServer,
  ) {
    ws.on('message', (data, isBinary) => {
      this.onMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary).catch((error: unknown) => {
        this.server.reportInternal(error);
        this.error(null, 'INTERNAL', `Berth failed unexpectedly: ${error instanceof Error ? error.message : String(error)}. The engine goes on; please report this.`);
      });
    });
    ws.on('error', () => undefined);
    server.engine.on('event', this.onEngineEvent);
    this.send({ kind: 'hello', protocol: PROTOCOL_VERSION, version: BERTH_VERSION, pid: process.pid });
  }

  private peakBuffered = 0;

  private send(message: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(message), () => this.onSent());
    if (this.ws.bufferedAmount > this.peakBuffered) this.peakBuffered = this.ws.bufferedAmount;
  }

  stats(): ConnectionStats {
    return { subscriptions: this.subs.size, bufferedBytes: this.ws.bufferedAmount, peakBufferedBytes: this.peakBuffered, queuedEvents: this.eventQueue.length };
  }

  private get congested(): boolean {
    return this.ws.bufferedAmount > HIGH_WATER_BYTES;
  }

  private onSent(): void {
    if (this.congested && !this.closed) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    this.flushEvents();
  }

  /** Resolves once the client has read enough of what was sent (or the connection ended). */
  private whenDrained(): Promise<void> {
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
    // A subscription's first pushes must not overtake the response that tells the client its id.
    this.opening = [];
    let opened: Subscription[] = [];
    try {
      const pending = this.server.dispatch(method, checked as never, this);
      opened = this.opening;
      this.opening = undefined;
      const result = await pending;
      this.send({ kind: 'response', id: requestId, ok: true, result } as ServerMessage);
    } catch (error) {
      opened = this.opening ?? opened;
      this.opening = undefined;
      const body = errorBody(error);
      if (body.code === 'INTERNAL') this.server.reportInternal(error);
      this.send({ kind: 'response', id: requestId, ok: false, error: body });
    }
    for (const sub of opened) {
      const held = sub.held ?? [];
      sub.held = undefined;
      for (const deliver of held) deliver();
    }
  }

  private add(topic: Topic, app: string | undefined, start: (sub: Subscription) => () => void): string {
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      throw new ControlCallError('TOO_MANY_SUBSCRIPTIONS', `A connection may hold at most ${MAX_SUBSCRIPTIONS} subscriptions; unsubscribe from some first.`);
    }
    const sub: Subscription = { id: `s${this.nextSub++}`, topic, app, stop: () => undefined, dropped: 0, held: [] };
    this.opening?.push(sub);
    if (!this.opening) sub.held = undefined;
    sub.stop = start(sub);
    this.subs.set(sub.id, sub);
    return sub.id;
  }

  private push<T extends Topic>(sub: Subscription, data: Topics[T]): void {
    if (sub.held) {
      sub.held.push(() => this.push(sub, data));
      return;
    }
    const dropped = sub.dropped;
    sub.dropped = 0;
    this.send({ kind: 'push', subscription: sub.id, topic: sub.topic, data, ...(dropped ? { dropped } : {}) } as ServerMessage);
  }

  subscribeEvents(app: string | undefined): string {
    const engine = this.server.engine;
    return this.add('events', app, (sub) => {
      const listener = (event: EngineEvent) => {
        if (app !== undefined && (!('app' in event) || event.app !== app)) return;
        if (!this.subs.has(sub.id)) return;
        if (sub.held) sub.held.push(() => this.deliverEvent(sub, event));
        else this.deliverEvent(sub, event);
      };
      engine.on('event', listener);
      return () => engine.off('event', listener);
    });
  }

  /** Events go out in order; while the client is slow they queue (bounded: the oldest are dropped and counted). */
  private deliverEvent(sub: Subscription, event: EngineEvent): void {
    if (!this.eventQueue.length && !this.congested) return this.push(sub, event);
    this.eventQueue.push({ sub, event });
    if (this.eventQueue.length > MAX_QUEUED_EVENTS) {
      const lost = this.eventQueue.shift()!;
      lost.sub.dropped++;
    }
  }

  private flushEvents(): void {
    while (this.eventQueue.length && !this.congested && !this.closed) {
      const { sub, event } = this.eventQueue.shift()!;
      if (this.subs.has(sub.id)) this.push(sub, event);
    }
  }

  subscribeLogs(app: string, tail: TailLike, streams: readonly LogStream[] | undefined): string {
    return this.add('logs', app, (sub) =>
      tail.subscribe({ lines: 0 }, (batch) => {
        if (!this.subs.has(sub.id)) return undefined;
        const lines = streams && streams.length < 2 ? batch.lines.filter((l) => streams.includes(l.stream)) : batch.lines;
        if (lines.length || batch.dropped) this.push<'logs'>(sub, { lines: lines.map(copyLine), dropped: batch.dropped });
        // A slow client holds further batches: the tail keeps a bounded backlog and counts what it drops.
        return this.congested ? this.whenDrained() : undefined;
      }),
    );
  }

  subscribeMetrics(app: string | undefined): string {
    const engine = this.server.engine;
    return this.add('metrics', app, (sub) => {
      const listener = (batch: MetricsBatch) => {
        if (this.congested) {
          sub.dropped++;
          return;
        }
        this.push<'metrics'>(sub, app === undefined ? batch : { t: batch.t, apps: batch.apps.filter((a) => a.app === app) });
      };
      engine.on('metrics', listener);
      return () => engine.off('metrics', listener);
    });
  }

  unsubscribe(id: string): boolean {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.subs.delete(id);
    sub.stop();
    return true;
  }

  /** Ends the log and metrics subscriptions that follow a removed app. */
  private endFor(app: string): void {
    for (const sub of [...this.subs.values()]) {
      if (sub.app !== app || sub.topic === 'events') continue;
      this.unsubscribe(sub.id);
      this.send({ kind: 'end', subscription: sub.id, reason: `The app ${app} was removed.` });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.engine.off('event', this.onEngineEvent);
    for (const sub of this.subs.values()) sub.stop();
    this.subs.clear();
    this.eventQueue.length = 0;
    this.onSent();
  }
}

const ENGINE_CODES: Partial<Record<string, ErrorCode>> = {
  NOT_A_FOLDER: 'NOT_A_FOLDER',
  ALREADY_ADDED: 'ALREADY_ADDED',
  APP_NOT_FOUND: 'APP_NOT_FOUND',
  NAME_TAKEN: 'NAME_TAKEN',
  INVALID_NAME: 'INVALID_NAME',
  APP_NOT_RUNNING: 'APP_NOT_RUNNING',
  APP_MISSING: 'APP_MISSING',
  WRITE_FAILED: 'WRITE_FAILED',
  ENGINE_STOPPING: 'ENGINE_STOPPING',
};

function errorBody(error: unknown): ErrorBody {
  if (error instanceof ControlCallError) return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  if (error instanceof SettingsFileError) return { code: error.code, message: error.message, details: error.details };
  if (error instanceof EngineError) {
    const code = ENGINE_CODES[error.code];
    if (code) return { code, message: error.message };
  }
  return { code: 'INTERNAL', message: `Berth failed unexpectedly: ${error instanceof Error ? error.message : String(error)}. The engine goes on; please report this.` };
}

/** What a client needs to attach to an app's debug session (active: false when none runs). */
function debugInfo(app: App): DebugInfo {
  const session = app.debugSession;
  if (!session) return { app: app.name, active: false };
  const pid = session.generation.workers()[0]?.pid;
  return {
    app: app.name,
    active: true,
    mode: session.mode,
    break: session.brk,
    ...(pid !== undefined ? { pid } : {}),
    port: session.info.port,
    webSocketUrl: session.info.webSocketUrl,
    devtoolsUrl: session.info.devtoolsUrl,
    inspectPage: session.info.inspectPage,
    vscode: session.info.vscode,
    ...(session.mode === 'cookie' ? { cookie: `${DEBUG_COOKIE}=${session.cookie}` } : {}),
  };
}
