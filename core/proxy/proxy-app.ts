/**
 * What the front server needs from the apps it routes to, and what an app hands back for one request. The app
 * side (`core/app/`) implements these; the proxy never imports it.
 */
import type net from 'node:net';
import type { Readable } from 'node:stream';
import type { WorkerState } from '../shared/types.js';
import type { HandoffOutcome } from './handoff.js';
import type { ClientInfo, ForwardingOptions } from './forwarding.js';
import type { RequestHead } from './http-parse.js';
import type { ErrorPage, HostedApp } from './pages.js';
import type { UpstreamPool } from './upstream-pool.js';

/**
 * What the proxy needs from a worker process: where to connect, its pool of idle connections, its state and the
 * output that explains its failure, and the count of requests it holds. `Worker` (core/worker/) satisfies it as it
 * is, with the pool the app layer gives it; the proxy never imports the worker's module.
 */
export interface ProxyWorker {
  readonly pid: number | undefined;
  readonly state: WorkerState;
  /** The private endpoint it listens on (its PORT). */
  readonly endpoint: string;
  readonly pool: UpstreamPool;
  /** How it ended, once it has exited. */
  readonly exitInfo: { spawnError?: string; beforeReady: boolean } | undefined;
  /** Completed requests by status class, and latencies. */
  readonly stats: { record(status: number, ms: number): void };
  /** Resolves when it listens; rejects when it exits first or the time runs out. */
  whenReady(timeoutMs: number): Promise<void>;
  /** Resolves true when it has exited (now or within `timeoutMs`). */
  whenExited(timeoutMs: number): Promise<boolean>;
  /** The output that explains a failure (stderr, else stdout), and the fix for a known start-up mistake in it. */
  failureText(): string;
  failureHint(): string | undefined;
  /** The proxy handed it a request (or WebSocket); `requestDone` follows exactly once. */
  requestStarted(): void;
  requestDone(): void;
}

/** Why an app cannot take a request right now. */
export interface Unavailable extends ErrorPage {
  unavailable: true;
  /** Seconds for the Retry-After header of a 503 (default 5). */
  retryAfter?: number;
  /**
   * The app is starting for this request (it was sleeping, or stopping because it was idle): the exchange waits for
   * this once, then asks again; the connection budget counts from the request's arrival.
   */
  starting?: Promise<void>;
}

/** The worker chosen for a request, and response headers that choice implies (a sticky-session cookie). */
export interface Dispatch {
  worker: ProxyWorker;
  setCookie?: string;
}

/** A response Berth makes itself for a URL it owns on the app's host (diagnostics pages, log files). */
export interface LocalResponse {
  status: number;
  /** A reason phrase other than the standard one (URL Rewrite's CustomResponse). */
  reason?: string;
  headers: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Close the connection without any answer (URL Rewrite's AbortRequest). */
  abort?: boolean;
}

/** Facts about one exchange, for the iisnode-debug header. */
export interface ExchangeFacts {
  host: string;
  connectRetries: number;
  requestTimeMs: number;
  totalRequests: number;
}

/** A worker that takes whole client connections (the fast lane; `Worker` is one). */
export interface ConnectionTaker {
  /** Hands over the socket and every byte read from it so far; `done('kept')` gives it back (paused). */
  takeConnection(socket: net.Socket, bytesRead: Buffer, done: (outcome: HandoffOutcome) => void): void;
}

/** What the proxy needs from an app. */
export interface ProxyApp {
  readonly name: string;
  readonly maxRequestBufferSize: number;
  /** Connection attempts to a starting worker, and the delay between them (iisnode's start-up budget). */
  readonly connectRetries: number;
  readonly connectRetryDelayMs: number;
  /** 0: no limit. */
  readonly requestTimeoutMs: number;
  readonly forwarding: ForwardingOptions;
  /** Whether a Berth error page may show details (stderr, advice) to this caller. */
  showErrorDetails(loopback: boolean): boolean;
  /**
   * A response Berth makes itself for this request (possibly after reading files), or undefined to send it to this
   * app. A promise may also resolve to another app: a web.config site decides per URL which of its apps takes it.
   */
  intercept(head: RequestHead, client: ClientInfo, loopback: boolean): LocalResponse | Promise<LocalResponse | ProxyApp> | undefined;
  pick(head: RequestHead): Dispatch | Unavailable;
  /** debugHeaderEnabled: checked first, so the facts are only gathered when the header is wanted. */
  readonly debugHeaderEnabled: boolean;
  /** The iisnode-debug header value for a response from `worker`. */
  debugHeader(worker: ProxyWorker, facts: ExchangeFacts): string | undefined;
  /** Exit details of a worker, for error pages. */
  describeWorkerExit(worker: ProxyWorker): Record<string, string | number | undefined>;
}

/** Finds the app for a request by its Host header. */
export interface Router {
  route(head: RequestHead): ProxyApp | undefined;
  /**
   * The fast lane: the worker to hand this connection to after its first request `head` (routed to `app`), or
   * undefined when the app's settings need the proxy for every request (core/app/lane.ts) or no worker has room.
   */
  connectionTaker?(app: ProxyApp, head: RequestHead): ConnectionTaker | undefined;
  hostedApps(): HostedApp[];
}

/** Requests handed to workers since start (iisnode's worker_total_req): counted by the exchange, shown by the debug header. */
export interface RequestTotals {
  totalRequests: number;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
