/**
 * Getting a new connection to a worker's pipe for an exchange: waits for a starting worker within the start-up
 * budget (iisnode's maxNamedPipeConnectionRetry × namedPipeConnectionRetryDelay), retries refused connections, and
 * says precisely why it could not connect. (Pooled connections are taken by the exchange itself.)
 */
import net from 'node:net';
import { endpointConnectOptions } from '../platform/platform.js';
import { connectFailedPage, startTimeoutPage } from './failure-pages.js';
import type { ProxyApp, ProxyWorker, Unavailable } from './proxy-app.js';
import { wireUpstream, type UpstreamSocket } from './upstream-link.js';

/** The exchange a connection is for. */
export interface ConnectingExchange {
  readonly app: ProxyApp;
  readonly worker: ProxyWorker | null;
  readonly startedAt: number;
  /** Failed attempts so far (the iisnode-debug header reports them). */
  connectAttempts: number;
  /** The exchange is over: a connection that arrives now goes to the pool. */
  readonly ended: boolean;
  connected(socket: UpstreamSocket): void;
  cannotConnect(page: Unavailable): void;
  /** The worker exited (or could not be spawned). */
  workerGone(): void;
}

function budgetMs(app: ProxyApp): number {
  return app.connectRetries * app.connectRetryDelayMs;
}

/** Connects to the exchange's worker, once it is ready, retrying within the start-up budget. */
export function connectToWorker(exchange: ConnectingExchange): void {
  if (exchange.ended) return;
  const worker = exchange.worker!;
  if (worker.state === 'exited') {
    exchange.workerGone();
    return;
  }
  if (worker.state === 'starting') {
    const remaining = budgetMs(exchange.app) - (Date.now() - exchange.startedAt);
    worker.whenReady(Math.max(0, remaining)).then(
      () => openSocket(exchange, worker),
      (error: Error) => (error.message === 'timeout' ? exchange.cannotConnect(startTimeoutPage(exchange.app, worker, budgetMs(exchange.app))) : exchange.workerGone()),
    );
    return;
  }
  openSocket(exchange, worker);
}

function openSocket(exchange: ConnectingExchange, worker: ProxyWorker): void {
  if (exchange.ended) return;
  const socket = net.connect(endpointConnectOptions(worker.endpoint));
  const onError = (error: NodeJS.ErrnoException) => {
    socket.destroy();
    connectFailed(exchange, worker, error);
  };
  socket.once('error', onError);
  socket.once('connect', () => {
    socket.off('error', onError);
    const upstream = wireUpstream(socket, worker.pool);
    if (exchange.ended) worker.pool.put(upstream);
    else exchange.connected(upstream);
  });
}

function connectFailed(exchange: ConnectingExchange, worker: ProxyWorker, error: NodeJS.ErrnoException): void {
  if (exchange.ended) return;
  exchange.connectAttempts++;
  if (worker.state === 'exited') {
    exchange.workerGone();
    return;
  }
  if (exchange.connectAttempts > exchange.app.connectRetries) {
    exchange.cannotConnect(connectFailedPage(exchange.app, worker, exchange.connectAttempts, error));
    return;
  }
  setTimeout(() => connectToWorker(exchange), exchange.app.connectRetryDelayMs);
}

/** A fresh connection to a worker that was ready, to replay a request a stale connection lost (retried as above). */
export function reconnectToWorker(exchange: ConnectingExchange): void {
  const worker = exchange.worker!;
  if (worker.state === 'exited') {
    exchange.workerGone();
    return;
  }
  const socket = net.connect(endpointConnectOptions(worker.endpoint));
  // A fresh connection to a live worker can fail for a moment (a refused connect under load; on Windows a pipe with
  // no free instance, or an error libuv does not map, `connect UNKNOWN`): the same retry budget as a first connect,
  // rather than a "worker gone" page while the worker is still there. Its exit still ends the exchange at once.
  const onError = (error: NodeJS.ErrnoException) => {
    socket.destroy();
    connectFailed(exchange, worker, error);
  };
  socket.once('error', onError);
  socket.once('connect', () => {
    socket.off('error', onError);
    const upstream = wireUpstream(socket, worker.pool);
    if (exchange.ended) worker.pool.put(upstream);
    else exchange.connected(upstream);
  });
}
