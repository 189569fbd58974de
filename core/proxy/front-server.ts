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
import type { RequestTotals, Router } from './proxy-app.js';

export type { ConnectionTaker, Dispatch, ExchangeFacts, LocalResponse, ProxyApp, RequestTotals, Router, Unavailable } from './proxy-app.js';
export { isLoopback } from './proxy-app.js';
export { REASONS } from './pages.js';

export class FrontServer implements RequestTotals {
  readonly server: net.Server;
  private readonly connections = new Set<ClientConnection>();
  private closing = false;
  /** Requests handed to workers since start (iisnode's worker_total_req); each exchange counts its own. */
  totalRequests = 0;

  constructor(readonly router: Router) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** A client connection: from this listener, or a TLS socket speaking HTTP/1.1 from the HTTPS front. */
  accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new ClientConnection(socket, this.router, this);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
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
