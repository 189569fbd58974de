/**
 * The control API's server: one WebSocket endpoint on loopback (`ws://127.0.0.1:<port>/control`) speaking the protocol
 * of protocol.ts. The parts, one job each:
 *
 * - handshake.ts: the guards checked before a WebSocket is accepted (path, loopback Host, Origin, token);
 * - connection.ts: one client's frames, calls and answers;
 * - subscriptions.ts: its pushes (events, log lines, metrics) and the slow-reader bounds of limits.ts;
 * - handlers.ts: what each call does, through the `Engine` only; views.ts: what the answers show.
 *
 * This file holds the HTTP server they hang on, and the set of live connections.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../util/node-http.js';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Engine } from '../engine.js';
import { BERTH_VERSION } from '../version.js';
import { Connection, type ConnectionHost, type ConnectionStats } from './connection.js';
import { makeHandlers, type Handlers } from './handlers.js';
import { checkHandshake, isLoopbackHost, ownOrigins, refuse } from './handshake.js';
import { CONTROL_PATH, MAX_MESSAGE_BYTES, PROTOCOL_NAME, PROTOCOL_VERSION, type EngineInfo, type Method, type Params } from './protocol.js';
import type { Subscriptions } from './subscriptions.js';

export { ControlCallError } from './call-errors.js';
export type { ConnectionStats } from './connection.js';
export { isLoopbackHost } from './handshake.js';

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
  serveHttp?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export class ControlServer implements ConnectionHost {
  private readonly http: Server;
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
    this.handlers = makeHandlers({ engine: options.engine, home: options.home, info: () => this.info() });
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

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refusal = checkHandshake(req, { origins: ownOrigins(this.port, this.options.allowedOrigins), token: this.options.token, home: this.options.home });
    if (refusal) return refuse(socket, refusal);
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
  dispatch<M extends Method>(method: M, params: Params<M>, subs: Subscriptions): ReturnType<Handlers[M]> {
    return this.handlers[method](params, subs) as ReturnType<Handlers[M]>;
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
      platform: engine.platform,
    };
  }

  get engine(): Engine {
    return this.options.engine;
  }

  reportInternal(error: unknown): void {
    this.options.onInternalError?.(error);
  }
}
