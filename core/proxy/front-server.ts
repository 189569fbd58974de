/**
 * The front server: one TCP listener for every app. Each request is routed by its Host header to an app, handed to
 * one of the app's workers over a pooled keep-alive connection to the worker's pipe, and the response is streamed
 * back. Bytes are forwarded as they came; only the heads are read, to route and to find where messages end. This
 * is what keeps the proxy cheap per request (see docs/PERFORMANCE.md).
 *
 * The parts: this listener; `ClientConnection` (one client, its requests in turn); `Exchange` (one request with a
 * worker); `response-framing` (where responses end); `failure-pages` (what Berth answers when the app cannot).
 */
import net from 'node:net';
import { ClientConnection } from './client-connection.js';
import { DEFAULT_CLIENT_LIMITS, sweepIntervalMs, type ClientLimits } from './client-limits.js';
import { tooManyConnectionsResponse } from './failure-pages.js';
import type { RequestTotals, Router } from './proxy-app.js';

export type { ConnectionTaker, Dispatch, ExchangeFacts, LocalResponse, ProxyApp, RequestTotals, Router, Unavailable } from './proxy-app.js';
export { isLoopback } from './proxy-app.js';
export { REASONS } from './pages.js';
export { DEFAULT_CLIENT_LIMITS, type ClientLimits } from './client-limits.js';

/** How long a refused connection (over maxConnections) may take to read its 503 before it is destroyed. */
const REFUSED_LINGER_MS = 1000;

export class FrontServer implements RequestTotals {
  readonly server: net.Server;
  private readonly connections = new Set<ClientConnection>();
  private closing = false;
  /** Requests handed to workers since start (iisnode's worker_total_req); each exchange counts its own. */
  totalRequests = 0;
  /** Connections refused because maxConnections were open. */
  refusedConnections = 0;
  readonly limits: ClientLimits;
  /** One coarse timer for every connection's head and body deadlines (none per request), while any is open. */
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly router: Router,
    limits: Partial<ClientLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CLIENT_LIMITS, ...limits };
    // allowHalfOpen: a client that sends its request and then shuts down its sending side still gets its response
    // (ClientConnection ends the socket after it).
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  /** A client connection: from this listener, or a TLS socket speaking HTTP/1.1 from the HTTPS front. */
  accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.limits.maxConnections) {
      this.refuse(socket);
      return;
    }
    const connection = new ClientConnection(socket, this.router, this, this.limits);
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      if (this.connections.size === 0) this.stopSweep();
    });
    this.sweepTimer ??= setInterval(() => this.sweep(), sweepIntervalMs(this.limits)).unref();
  }

  /** Over maxConnections: a 503 page, then the connection closes (what the client sent is read and dropped). */
  private refuse(socket: net.Socket): void {
    this.refusedConnections++;
    socket.on('error', () => undefined);
    socket.end(tooManyConnectionsResponse(this.limits.maxConnections));
    socket.resume();
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  }

  /** Cuts off connections whose request head or body is past its time (headersTimeout, bodyIdleTimeout). */
  private sweep(): void {
    const now = Date.now();
    for (const connection of this.connections) connection.checkDeadlines(now);
  }

  private stopSweep(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ port, host, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Stops accepting; idle connections close now, busy ones after their current response. */
  close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) =>
      this.server.close(() => {
        this.stopSweep();
        resolve();
      }),
    );
    for (const connection of this.connections) connection.closeWhenIdle();
    return closed;
  }

  /** Destroys every connection at once (after a graceful close took too long). */
  destroyConnections(): void {
    for (const connection of this.connections) connection.socket.destroy();
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
