/**
 * The front server: one TCP listener for every app. Each request is routed by its Host header to an app, handed to
 * one of the app's workers over a pooled keep-alive connection to the worker's pipe, and the response is streamed
 * back. Bytes are forwarded as they came; only the heads are read, to route and to find where messages end. This
 * is what keeps the proxy cheap per request (see docs/PERFORMANCE.md).
 */
import net from 'node:net';
import { ChunkedScanner, findHeadEnd, HEAD_END, HttpParseError, parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './http-parse.js';
import { htmlResponse, renderErrorPage, renderUnknownHostPage, REASONS, type ErrorPage, type HostedApp } from './pages.js';
import type { Readable } from 'node:stream';
import type { Worker } from '../worker/worker.js';
import type { UpstreamPool } from './upstream-pool.js';
import { needsRewrite, rewriteRequestHead, type ClientInfo, type ForwardingOptions } from './forwarding.js';

/** The most header bytes read before the app (and its maxRequestBufferSize) is known. */
const HARD_HEAD_LIMIT = 1024 * 1024;
/** A client connection idle this long between requests (or stuck in a head) is closed. */
const CLIENT_IDLE_MS = 65_000;
/** Requests up to this size are kept so they can be replayed on a fresh connection if a pooled one was stale. */
const REPLAY_LIMIT = 64 * 1024;
/** How long a closing connection keeps reading (and dropping) an unread request body. */
const DISCARD_MS = 5000;
/** What callers who may not see details read on Berth's 5xx pages. */
const PUBLIC_TITLES: Record<number, string> = {
  500: 'The app could not be started to answer this request.',
  502: 'The app failed while answering this request.',
  503: 'The app is not available right now. Try again in a moment.',
  504: 'The app took too long to answer this request.',
};
/** How long a failed request waits to learn whether its worker exited, for a precise error page. */
const EXIT_GRACE_MS = 300;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Why an app cannot take a request right now. */
export interface Unavailable extends ErrorPage {
  unavailable: true;
  /** Seconds for the Retry-After header of a 503 (default 5). */
  retryAfter?: number;
}

/** The worker chosen for a request, and response headers that choice implies (a sticky-session cookie). */
export interface Dispatch {
  worker: Worker;
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
  debugHeader(worker: Worker, facts: ExchangeFacts): string | undefined;
  /** Exit details of a worker, for error pages. */
  describeWorkerExit(worker: Worker): Record<string, string | number | undefined>;
}

export interface Router {
  route(head: RequestHead): ProxyApp | undefined;
  hostedApps(): HostedApp[];
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

const enum Phase {
  /** Waiting for a worker connection. */
  Connecting,
  /** Forwarding the request body. */
  RequestBody,
  /** The request is sent; waiting for the response to end. */
  Response,
  /** A WebSocket (or other upgrade) tunnel. */
  Tunnel,
  Done,
}

const enum ResponsePhase {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

type UpstreamSocket = net.Socket & { exchange?: Exchange | null };

export class FrontServer {
  readonly server: net.Server;
  private readonly connections = new Set<ClientConnection>();
  private closing = false;
  /** Requests handed to workers since start (iisnode's worker_total_req). */
  totalRequests = 0;

  constructor(readonly router: Router) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new ClientConnection(socket, this);
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

class ClientConnection {
  /** Bytes received but not yet consumed (the next request, or body bytes waiting for a worker connection). */
  buffered: Buffer | null = null;
  exchange: Exchange | null = null;
  closeAfterResponse = false;
  readonly loopback: boolean;
  private info: ClientInfo | undefined;
  /** A response Berth makes itself is being prepared (it reads files). */
  private localPending = false;

  constructor(
    readonly socket: net.Socket,
    readonly front: FrontServer,
  ) {
    this.loopback = isLoopback(socket.remoteAddress);
    socket.setTimeout(CLIENT_IDLE_MS);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.exchange?.resumeUpstream());
    socket.on('end', () => this.onEnd());
    // Idle between requests (or stuck in a head). Busy connections are not timed out: a request may take long.
    socket.on('timeout', () => {
      if (this.idle) socket.destroy();
    });
    socket.on('error', () => undefined); // 'close' follows and does the cleanup
    socket.on('close', () => this.exchange?.clientGone());
  }

  get clientInfo(): ClientInfo {
    this.info ??= {
      remoteAddress: this.socket.remoteAddress ?? '',
      remotePort: this.socket.remotePort ?? 0,
      localAddress: this.socket.localAddress ?? '',
      localPort: this.socket.localPort ?? 0,
      secure: false,
    };
    return this.info;
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange) {
      if (exchange.phase === Phase.Tunnel) {
        exchange.tunnelToUpstream(chunk);
        return;
      }
      if (exchange.phase === Phase.RequestBody && this.buffered === null) {
        exchange.forwardBody(chunk);
        return;
      }
    }
    this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    this.pump();
  }

  /** No request is being handled: a new one may start. */
  private get idle(): boolean {
    return this.exchange === null && !this.localPending;
  }

  private onEnd(): void {
    // The client finished sending. A request in flight still gets its response (half-close), then we close.
    if (this.exchange && this.exchange.phase !== Phase.Done) {
      if (this.exchange.phase === Phase.Tunnel) this.exchange.clientEnded();
      this.closeAfterResponse = true;
    } else this.socket.end();
  }

  closeWhenIdle(): void {
    this.closeAfterResponse = true;
    if (this.idle) this.socket.end();
  }

  /** Consumes buffered bytes: body for the current exchange, or the next request. */
  pump(): void {
    const exchange = this.exchange;
    if (exchange) {
      if (exchange.phase === Phase.RequestBody && exchange.upstream && this.buffered !== null) {
        const bytes = this.buffered;
        this.buffered = null;
        exchange.forwardBody(bytes);
      }
      // Anything still buffered is a pipelined request: hold it until this response is done.
      if (this.buffered !== null && this.exchange) this.socket.pause();
      return;
    }
    if (this.buffered === null || this.localPending) return;
    if (this.closeAfterResponse) {
      this.buffered = null;
      return;
    }
    this.startRequest(this.buffered);
  }

  private startRequest(buf: Buffer): void {
    // RFC 9112 §2.2: ignore empty lines before a request line.
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const end = findHeadEnd(buf, start);
    if (end === -1) {
      if (buf.length - start > HARD_HEAD_LIMIT) this.reject(431, 'The request headers are too large.');
      return;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(buf.toString('latin1', start, end));
    } catch (error) {
      if (error instanceof HttpParseError) this.reject(error.status, error.message);
      else this.reject(400, 'The request could not be read.');
      return;
    }
    const app = this.front.router.route(head);
    if (!app) {
      this.buffered = null;
      this.closeAfterResponse = true; // the body, if any, was not read
      this.respond(htmlResponse(404, renderUnknownHostPage(head.host, this.front.router.hostedApps())));
      return;
    }
    const headLength = end + 4 - start;
    if (headLength > app.maxRequestBufferSize) {
      this.buffered = null;
      this.reject(
        431,
        `The request headers are ${headLength} bytes, more than maxRequestBufferSize (${app.maxRequestBufferSize}) allows for this app.`,
      );
      return;
    }
    const rest = end + 4 < buf.length ? buf.subarray(end + 4) : null;
    this.buffered = rest;
    const headBytes = buf.subarray(start, end + 4);
    this.dispatch(app, head, headBytes, rest);
  }

  /** Hands a parsed request to an app: its own answer (a local response), or an exchange with one of its workers. */
  private dispatch(app: ProxyApp, head: RequestHead, headBytes: Buffer, rest: Buffer | null): void {
    const local = app.intercept(head, this.clientInfo, this.loopback);
    if (local) {
      const hasBody = head.contentLength > 0 || head.chunked;
      if (!(local instanceof Promise)) {
        if (hasBody) this.closeAfterResponse = true; // its body is not read
        this.buffered = this.closeAfterResponse ? null : rest;
        this.sendLocal(local, head);
        return;
      }
      // Hold the body and further bytes (a pipelined request) until the decision is made.
      this.localPending = true;
      this.socket.pause();
      local.then(
        (response) => {
          this.localPending = false;
          if ('pick' in response) {
            this.dispatch(response, head, headBytes, this.buffered);
            return;
          }
          if (hasBody) this.closeAfterResponse = true;
          this.buffered = this.closeAfterResponse ? null : this.buffered;
          this.sendLocal(response, head);
        },
        (error: unknown) => {
          this.localPending = false;
          this.reject(500, `Berth could not answer this request: ${(error as Error).message}`);
        },
      );
      return;
    }
    this.buffered = rest;
    const exchange = new Exchange(this, app, head, headBytes);
    this.exchange = exchange;
    // A body waits in the socket until a worker connection is there. (Requests without one are not paused:
    // pausing costs a system call per request, and pipelined bytes are held in `buffered` anyway.)
    if (head.contentLength > 0 || head.chunked) this.socket.pause();
    exchange.begin();
  }

  /** A Berth-made response for a request that never reached a worker; the connection closes after it. */
  reject(status: number, message: string): void {
    this.buffered = null;
    this.closeAfterResponse = true;
    this.respond(htmlResponse(status, renderErrorPage({ status, title: message, advice: '' }, false)));
  }

  /** Writes a response Berth made itself, then goes on with the next request (or closes). */
  private sendLocal(local: LocalResponse, head: RequestHead): void {
    if (local.abort) {
      this.socket.destroy();
      return;
    }
    const close = this.closeAfterResponse || head.close;
    let text = `HTTP/1.1 ${local.status} ${(local.reason ?? REASONS[local.status] ?? 'OK').replace(/[\r\n]/g, ' ')}\r\n`;
    for (const [name, value] of Object.entries(local.headers)) text += `${name}: ${value}\r\n`;
    const body = local.body;
    const sized = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Buffer ? body : undefined;
    const hasLength = Object.keys(local.headers).some((name) => name.toLowerCase() === 'content-length');
    if (sized && !hasLength) text += `Content-Length: ${sized.length}\r\n`;
    if (close) text += 'Connection: close\r\n';
    text += '\r\n';
    const headBytes = Buffer.from(text, 'latin1');
    const done = () => this.localDone(close);
    if (head.method === 'HEAD' || body === undefined) {
      (body as Readable | undefined)?.destroy?.();
      this.socket.write(headBytes, done);
    } else if (sized) {
      this.socket.write(Buffer.concat([headBytes, sized]), done);
    } else {
      const stream = body as Readable;
      this.socket.write(headBytes);
      stream.on('error', () => this.socket.destroy());
      stream.on('end', done);
      // A file stream must not stay open when the client goes away.
      this.socket.once('close', () => stream.destroy());
      stream.pipe(this.socket, { end: false });
    }
  }

  private localDone(close: boolean): void {
    if (close) this.closeAfterResponse = true;
    this.exchangeDone(!close);
  }

  respond(bytes: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.closeAfterResponse) this.endAndDiscard(bytes);
    else this.socket.write(bytes);
  }

  /**
   * Ends the connection after a response while the client may still be sending a body nobody will read: keep
   * reading (and dropping) it so the client is not stuck on a full window and sees the response, for a while.
   */
  private endAndDiscard(bytes?: Buffer): void {
    if (bytes) this.socket.end(bytes);
    else this.socket.end();
    this.buffered = null;
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), DISCARD_MS).unref();
  }

  /** Called by the exchange when it is over. */
  exchangeDone(keepAlive: boolean): void {
    this.exchange = null;
    if (!keepAlive) this.closeAfterResponse = true;
    if (this.socket.destroyed) return;
    if (this.closeAfterResponse) {
      this.endAndDiscard();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered !== null) this.pump();
  }
}

/** One request/response between a client connection and a worker. */
class Exchange {
  phase = Phase.Connecting;
  upstream: UpstreamSocket | null = null;
  worker: Worker | null = null;
  private responsePhase = ResponsePhase.Head;
  private bodyRemaining: number;
  private readonly bodyScanner: ChunkedScanner | null;
  private responseRemaining = 0;
  private responseScanner: ChunkedScanner | null = null;
  private responseHead: ResponseHead | null = null;
  private responseBuffer: Buffer | null = null;
  /** Bytes of the response already written to the client. */
  private responseStarted = false;
  private pooledConnection = false;
  private retried = false;
  private connectAttempts = 0;
  private readonly startedAt = Date.now();
  /** When the request went to the worker, for the iisnode-debug header's req_time. */
  private sentAt = 0;
  private setCookie: string | undefined;
  private timeout: NodeJS.Timeout | undefined;
  /** The request bytes sent so far, while small enough to replay. */
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  private upstreamPausedClient = false;
  private keepClientDespiteClose = false;
  private clientPausedUpstream = false;

  constructor(
    readonly client: ClientConnection,
    readonly app: ProxyApp,
    readonly head: RequestHead,
    readonly headBytes: Buffer,
  ) {
    this.bodyRemaining = head.chunked ? 0 : Math.max(0, head.contentLength);
    this.bodyScanner = head.chunked ? new ChunkedScanner() : null;
  }

  private get hasBody(): boolean {
    return this.bodyScanner !== null || this.bodyRemaining > 0;
  }

  begin(): void {
    const picked = this.app.pick(this.head);
    if ('unavailable' in picked) {
      this.fail(picked);
      return;
    }
    const worker = picked.worker;
    this.worker = worker;
    this.setCookie = picked.setCookie;
    worker.active++;
    worker.totalRequests++;
    this.client.front.totalRequests++;
    if (this.app.requestTimeoutMs > 0) this.timeout = setTimeout(() => this.timedOut(), this.app.requestTimeoutMs);
    this.acquire();
  }

  /** requestTimeout: the app has not started answering in time. */
  private timedOut(): void {
    if (this.responseStarted || this.phase === Phase.Done || this.phase === Phase.Tunnel) return;
    const seconds = (this.app.requestTimeoutMs / 1000).toFixed(1);
    this.fail({
      unavailable: true,
      status: 504,
      title: `The app did not start answering within requestTimeout (${seconds} s).`,
      advice: 'The request took longer than requestTimeout allows. The app may be stuck, or the limit too low for this request.',
      app: this.app.name,
      ...(this.worker ? { stderr: this.worker.stderrTail.text(), facts: { pid: this.worker.pid } } : {}),
    });
  }

  private acquire(): void {
    const worker = this.worker!;
    if (!this.retried) {
      const pooled = worker.pool.take();
      if (pooled) {
        this.pooledConnection = true;
        this.attach(pooled as UpstreamSocket);
        return;
      }
    }
    this.pooledConnection = false;
    this.connect();
  }

  private budgetMs(): number {
    return this.app.connectRetries * this.app.connectRetryDelayMs;
  }

  private connect(): void {
    if (this.phase === Phase.Done) return;
    const worker = this.worker!;
    if (worker.state === 'exited') {
      this.failWorkerGone();
      return;
    }
    if (worker.state === 'starting') {
      const remaining = this.budgetMs() - (Date.now() - this.startedAt);
      worker.whenReady(Math.max(0, remaining)).then(
        () => this.openSocket(),
        (error: Error) => (error.message === 'timeout' ? this.failStartTimeout() : this.failWorkerGone()),
      );
      return;
    }
    this.openSocket();
  }

  private openSocket(): void {
    if (this.phase === Phase.Done) return;
    const socket = net.connect(this.worker!.endpoint) as UpstreamSocket;
    const onError = (error: NodeJS.ErrnoException) => {
      socket.destroy();
      this.connectFailed(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      wireUpstream(socket, this.worker!.pool);
      this.attach(socket);
    });
  }

  private connectFailed(error: NodeJS.ErrnoException): void {
    if (this.phase === Phase.Done) return;
    const worker = this.worker!;
    this.connectAttempts++;
    if (worker.state === 'exited') {
      this.failWorkerGone();
      return;
    }
    if (this.connectAttempts > this.app.connectRetries) {
      this.fail({
        unavailable: true,
        status: 503,
        title: `Berth could not connect to the app's worker (pid ${worker.pid}) after ${this.connectAttempts} attempts (${error.code ?? error.message}).`,
        advice: 'The worker is running but does not accept connections on process.env.PORT. Check that the app listens on process.env.PORT and is not stuck.',
        app: this.app.name,
        stderr: worker.stderrTail.text(),
      });
      return;
    }
    setTimeout(() => this.connect(), this.app.connectRetryDelayMs);
  }

  private attach(socket: UpstreamSocket): void {
    if (this.phase === Phase.Done) {
      this.worker?.pool.put(socket);
      return;
    }
    socket.exchange = this;
    this.upstream = socket;
    this.sentAt = Date.now();
    const forwarding = this.app.forwarding;
    this.send(
      needsRewrite(this.head, forwarding)
        ? Buffer.from(rewriteRequestHead(this.head, forwarding, this.client.clientInfo), 'latin1')
        : this.headBytes,
    );
    if (this.hasBody) {
      this.phase = Phase.RequestBody;
      this.client.socket.resume();
      this.client.pump();
    } else {
      this.phase = Phase.Response;
      this.client.pump();
    }
  }

  private send(bytes: Buffer): void {
    if (this.replay) {
      this.replayBytes += bytes.length;
      if (this.replayBytes <= REPLAY_LIMIT) this.replay.push(bytes);
      else this.replay = null;
    }
    if (!this.upstream!.write(bytes) && !this.upstreamPausedClient) {
      this.upstreamPausedClient = true;
      this.client.socket.pause();
    }
  }

  /** The upstream drained after a full write: the client may send more body. */
  upstreamDrained(): void {
    if (this.upstreamPausedClient) {
      this.upstreamPausedClient = false;
      if (this.phase === Phase.RequestBody || this.phase === Phase.Tunnel) this.client.socket.resume();
    }
  }

  /** The client drained after a full write: the worker may send more response. */
  resumeUpstream(): void {
    if (this.clientPausedUpstream) {
      this.clientPausedUpstream = false;
      this.upstream?.resume();
    }
  }

  forwardBody(chunk: Buffer): void {
    let used: number;
    if (this.bodyScanner) {
      let end: number;
      try {
        end = this.bodyScanner.scan(chunk);
      } catch (error) {
        this.abortWithClientError(error as HttpParseError);
        return;
      }
      used = end === -1 ? chunk.length : end;
      this.send(used === chunk.length ? chunk : chunk.subarray(0, used));
      if (end !== -1) this.bodyDone();
    } else {
      used = Math.min(this.bodyRemaining, chunk.length);
      this.bodyRemaining -= used;
      this.send(used === chunk.length ? chunk : chunk.subarray(0, used));
      if (this.bodyRemaining === 0) this.bodyDone();
    }
    if (used < chunk.length) {
      // The start of the next (pipelined) request.
      const rest = chunk.subarray(used);
      this.client.buffered = this.client.buffered === null ? rest : Buffer.concat([rest, this.client.buffered]);
      this.client.socket.pause();
    }
  }

  private bodyDone(): void {
    if (this.phase !== Phase.RequestBody) return;
    this.phase = Phase.Response;
    if (this.responsePhase === ResponsePhase.Done) this.complete();
  }

  private abortWithClientError(error: HttpParseError): void {
    this.upstream?.destroy();
    this.release(false);
    this.client.exchange = null;
    this.client.closeAfterResponse = true;
    if (!this.responseStarted) this.client.reject(error.status, error.message);
    else this.client.socket.destroy();
  }

  /** Data from the worker. */
  upstreamData(chunk: Buffer): void {
    if (this.phase === Phase.Tunnel) {
      if (!this.client.socket.write(chunk)) this.pauseUpstreamForClient();
      return;
    }
    if (this.responsePhase === ResponsePhase.Head) {
      this.responseBuffer = this.responseBuffer === null ? chunk : Buffer.concat([this.responseBuffer, chunk]);
      this.readResponseHeads();
      return;
    }
    this.forwardResponseBody(chunk, 0);
  }

  private readResponseHeads(): void {
    for (;;) {
      const buf = this.responseBuffer!;
      const end = buf.indexOf(HEAD_END);
      if (end === -1) {
        if (buf.length > this.app.maxRequestBufferSize) this.badResponse(`The worker's response headers are larger than maxRequestBufferSize (${this.app.maxRequestBufferSize} bytes).`);
        return;
      }
      let head: ResponseHead;
      try {
        head = parseResponseHead(buf.toString('latin1', 0, end));
      } catch (error) {
        this.badResponse((error as Error).message);
        return;
      }
      const headEnd = end + 4;
      if (head.status === 101 && this.head.upgrade) {
        this.responseStarted = true;
        this.responseBuffer = null;
        this.startTunnel(buf);
        return;
      }
      if (head.status < 200) {
        // An interim response (100 Continue, 103 Early Hints): pass it on and read the next head.
        this.responseStarted = true;
        this.writeClient(buf.subarray(0, headEnd));
        if (headEnd === buf.length) {
          this.responseBuffer = null;
          return;
        }
        this.responseBuffer = buf.subarray(headEnd);
        continue;
      }
      this.responseHead = head;
      this.responseBuffer = null;
      const noBody = this.head.method === 'HEAD' || head.status === 204 || head.status === 304;
      if (noBody) this.responsePhase = ResponsePhase.Done;
      else if (head.chunked) {
        this.responsePhase = ResponsePhase.Chunked;
        this.responseScanner = new ChunkedScanner();
      } else if (head.contentLength >= 0) {
        this.responsePhase = head.contentLength === 0 ? ResponsePhase.Done : ResponsePhase.Length;
        this.responseRemaining = head.contentLength;
      } else this.responsePhase = ResponsePhase.UntilClose;
      this.responseStarted = true;
      clearTimeout(this.timeout);
      // A worker that is shutting down (an upgrade drains it) answers `Connection: close`. That is about the worker's
      // connection only: when the response is framed, the client's keep-alive connection stays open for its next
      // request, which goes to the new generation.
      this.keepClientDespiteClose = head.close && !this.head.close && this.responsePhase !== ResponsePhase.UntilClose;
      const extra = this.extraResponseHeaders();
      if (extra || this.keepClientDespiteClose) {
        // Rebuild the head: Berth's headers go in before the blank line; the body bytes follow in the same write.
        let text = buf.toString('latin1', 0, end);
        if (this.keepClientDespiteClose) text = text.replace(/\r\nConnection:[^\r]*/gi, '');
        const rebuilt = Buffer.from(`${text}${extra ? `\r\n${extra}` : ''}\r\n\r\n`, 'latin1');
        this.forwardResponseBody(Buffer.concat([rebuilt, buf.subarray(headEnd)]), rebuilt.length);
        return;
      }
      // Head and the body bytes that came with it go out in one write.
      this.forwardResponseBody(buf, headEnd);
      return;
    }
  }

  /** Writes `buf[0..]` (a head before `from`, if any, plus body bytes from `from`) and tracks where the body ends. */
  private forwardResponseBody(buf: Buffer, from: number): void {
    let end = buf.length;
    switch (this.responsePhase) {
      case ResponsePhase.Length: {
        const take = Math.min(this.responseRemaining, buf.length - from);
        this.responseRemaining -= take;
        end = from + take;
        if (this.responseRemaining === 0) this.responsePhase = ResponsePhase.Done;
        break;
      }
      case ResponsePhase.Chunked: {
        let found: number;
        try {
          found = this.responseScanner!.scan(buf, from);
        } catch (error) {
          this.badResponse(`The worker sent malformed chunked data (${(error as Error).message}).`);
          return;
        }
        if (found !== -1) {
          end = found;
          this.responsePhase = ResponsePhase.Done;
        }
        break;
      }
      case ResponsePhase.Done:
        end = from;
        break;
      default:
        break;
    }
    if (end > 0) this.writeClient(end === buf.length ? buf : buf.subarray(0, end));
    if (this.responsePhase === ResponsePhase.Done) {
      // Bytes after the end of the response mean the worker connection is out of step: do not reuse it.
      if (end < buf.length) this.upstream?.destroy();
      if (this.phase === Phase.Response) this.complete();
      else if (this.phase === Phase.RequestBody) {
        // The app answered before reading the whole body: that connection cannot be reused, nor the client's.
        this.client.closeAfterResponse = true;
        this.upstream?.destroy();
        this.complete();
      }
    }
  }

  /** Header lines Berth adds to the app's response: the sticky-session cookie, the iisnode-debug header. */
  private extraResponseHeaders(): string {
    let extra = this.setCookie ? `Set-Cookie: ${this.setCookie}` : '';
    if (!this.app.debugHeaderEnabled) return extra;
    const debug = this.app.debugHeader(this.worker!, {
      host: this.head.host ?? '',
      connectRetries: this.connectAttempts,
      requestTimeMs: Date.now() - this.sentAt,
      totalRequests: this.client.front.totalRequests,
    });
    if (debug) extra += `${extra ? '\r\n' : ''}iisnode-debug: ${debug}`;
    return extra;
  }

  private writeClient(bytes: Buffer): void {
    if (!this.client.socket.write(bytes)) this.pauseUpstreamForClient();
  }

  private pauseUpstreamForClient(): void {
    if (!this.clientPausedUpstream && this.upstream) {
      this.clientPausedUpstream = true;
      this.upstream.pause();
    }
  }

  /** The worker connection ended or failed (called once per connection; see wireUpstream). */
  upstreamClosed(socket: UpstreamSocket): void {
    if (this.phase === Phase.Done || socket !== this.upstream) return;
    if (this.phase === Phase.Tunnel) {
      this.client.socket.end();
      this.finishTunnel();
      return;
    }
    socket.destroy();
    this.upstream = null;
    if (this.responsePhase === ResponsePhase.UntilClose) {
      this.responsePhase = ResponsePhase.Done;
      this.client.closeAfterResponse = true;
      this.complete();
      return;
    }
    if (this.responseStarted) {
      // Part of the response is out; the client must see it was cut short.
      this.release(false);
      this.client.exchange = null;
      this.client.socket.destroy();
      return;
    }
    // Nothing reached the client yet. A stale pooled connection is retried once, when repeating is safe.
    if (this.pooledConnection && !this.retried && this.replay && IDEMPOTENT.has(this.head.method) && this.phase === Phase.Response) {
      this.retried = true;
      this.pooledConnection = false;
      const replay = this.replay;
      this.replay = [];
      this.replayBytes = 0;
      this.phase = Phase.Connecting;
      this.reconnectAndReplay(replay);
      return;
    }
    // A connection usually drops a moment before the worker's exit is known: wait briefly, so the page can say that
    // the worker exited, with its exit code, rather than only that the connection closed.
    const worker = this.worker!;
    if (worker.state === 'exited') this.failWorkerGone();
    else void worker.whenExited(EXIT_GRACE_MS).then(() => this.failWorkerGone());
  }

  private reconnectAndReplay(replay: Buffer[]): void {
    const worker = this.worker!;
    if (worker.state === 'exited') {
      this.failWorkerGone();
      return;
    }
    const socket = net.connect(worker.endpoint) as UpstreamSocket;
    socket.once('error', () => {
      socket.destroy();
      this.failWorkerGone();
    });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      wireUpstream(socket, this.worker!.pool);
      if (this.phase === Phase.Done) {
        worker.pool.put(socket);
        return;
      }
      socket.exchange = this;
      this.upstream = socket;
      for (const bytes of replay) this.send(bytes);
      this.phase = Phase.Response;
    });
  }

  private startTunnel(buf: Buffer): void {
    this.phase = Phase.Tunnel;
    this.writeClient(buf);
    // Bytes the client sent after its upgrade request belong to the new protocol.
    const early = this.client.buffered;
    this.client.buffered = null;
    if (early) this.tunnelToUpstream(early);
    this.client.socket.resume();
  }

  tunnelToUpstream(chunk: Buffer): void {
    if (this.upstream && !this.upstream.write(chunk) && !this.upstreamPausedClient) {
      this.upstreamPausedClient = true;
      this.client.socket.pause();
    }
  }

  clientEnded(): void {
    this.upstream?.end();
  }

  private finishTunnel(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    clearTimeout(this.timeout);
    this.worker!.requestDone();
    this.upstream?.destroy();
    this.upstream = null;
  }

  /** The client connection closed. */
  clientGone(): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.Tunnel) {
      this.upstream?.end();
      this.finishTunnel();
      return;
    }
    this.upstream?.destroy();
    this.release(false);
  }

  private complete(): void {
    const res = this.responseHead;
    if (res && this.worker) this.worker.stats.record(res.status, Date.now() - this.startedAt);
    const reusable =
      res !== null &&
      !res.close &&
      !this.head.close &&
      this.phase === Phase.Response &&
      this.responsePhase === ResponsePhase.Done &&
      this.worker?.state === 'ready';
    const keepAlive = res !== null && (!res.close || this.keepClientDespiteClose) && !this.head.close && this.phase === Phase.Response;
    this.release(reusable);
    this.client.exchangeDone(keepAlive);
  }

  /** Ends the exchange: the worker connection goes back to the pool or is closed, the worker's count drops. */
  private release(reusable: boolean): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    clearTimeout(this.timeout);
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream) {
      if (upstream.exchange === this) upstream.exchange = null;
      if (this.clientPausedUpstream) upstream.resume();
      if (reusable && !upstream.destroyed && this.worker) this.worker.pool.put(upstream);
      else upstream.destroy();
    }
    if (this.worker) this.worker.requestDone();
  }

  private badResponse(message: string): void {
    this.upstream?.destroy();
    if (this.responseStarted) {
      this.release(false);
      this.client.exchange = null;
      this.client.socket.destroy();
      return;
    }
    this.fail({
      unavailable: true,
      status: 502,
      title: message,
      advice: 'The app wrote something that is not a valid HTTP response.',
      app: this.app.name,
      ...(this.worker ? { stderr: this.worker.stderrTail.text() } : {}),
    });
  }

  private failStartTimeout(): void {
    const worker = this.worker!;
    const seconds = (this.budgetMs() / 1000).toFixed(1);
    this.fail({
      unavailable: true,
      status: 503,
      title: `The app's worker (pid ${worker.pid}) did not start listening on process.env.PORT within ${seconds} s.`,
      advice:
        'An iisnode-style app must call listen(process.env.PORT). If it listens on a fixed port instead, change it to use process.env.PORT. ' +
        'If it is just slow to start, raise maxNamedPipeConnectionRetry or namedPipeConnectionRetryDelay.',
      app: this.app.name,
      stderr: worker.stderrTail.text(),
      facts: { pid: worker.pid, 'waited (ms)': this.budgetMs() },
    });
  }

  private failWorkerGone(): void {
    const worker = this.worker!;
    const exit = worker.exitInfo;
    const beforeReady = exit ? exit.beforeReady : false;
    let page: Unavailable;
    if (exit?.spawnError) {
      page = { unavailable: true, status: 500, title: `The worker could not be started: ${exit.spawnError}`, advice: 'Check nodeProcessCommandLine.', app: this.app.name };
    } else if (beforeReady) {
      page = {
        unavailable: true,
        status: 500,
        title: `The app's worker (pid ${worker.pid}) exited before it listened on process.env.PORT.`,
        advice: 'The app crashed while starting, or finished without calling listen(process.env.PORT). Its last stderr output is below.',
        app: this.app.name,
        stderr: worker.stderrTail.text(),
        facts: this.app.describeWorkerExit(worker),
      };
    } else {
      page = {
        unavailable: true,
        status: 502,
        title: exit
          ? `The app's worker (pid ${worker.pid}) exited while handling this request.`
          : `The app's worker (pid ${worker.pid}) closed the connection without answering.`,
        advice: 'The app crashed or closed the connection while handling the request. Its last stderr output is below.',
        app: this.app.name,
        stderr: worker.stderrTail.text(),
        facts: exit ? this.app.describeWorkerExit(worker) : undefined,
      };
    }
    this.fail(page);
  }

  /**
   * Answers with a Berth error page: the details (advice, stderr) for callers allowed to see them
   * (devErrorsEnabled, loopback unless devErrorsForRemote), a plain page for others.
   */
  private fail(page: Unavailable): void {
    if (this.phase === Phase.Done) return;
    page.publicTitle ??= PUBLIC_TITLES[page.status] ?? 'The app could not answer this request.';
    this.upstream?.destroy();
    this.worker?.stats.record(page.status, Date.now() - this.startedAt);
    this.release(false);
    this.client.exchange = null;
    const details = this.app.showErrorDetails(this.client.loopback);
    const extra: Record<string, string> = page.status === 503 ? { 'Retry-After': String(page.retryAfter ?? 5) } : {};
    // The request body, if any, was not read: the connection cannot carry another request.
    this.client.closeAfterResponse = true;
    this.client.buffered = null;
    this.client.respond(htmlResponse(page.status, renderErrorPage(page, details), extra));
  }
}

/**
 * Listeners are attached once per worker connection and follow whichever exchange currently uses it; an idle
 * connection that closes leaves its pool.
 */
function wireUpstream(socket: UpstreamSocket, pool: UpstreamPool): void {
  socket.setNoDelay?.(true);
  socket.on('data', (chunk: Buffer) => {
    const exchange = socket.exchange;
    if (exchange) exchange.upstreamData(chunk);
    else socket.destroy(); // an idle connection must not talk
  });
  socket.on('drain', () => socket.exchange?.upstreamDrained());
  socket.on('error', () => undefined); // 'close' follows
  const closed = () => {
    const exchange = socket.exchange;
    socket.exchange = null;
    if (exchange) exchange.upstreamClosed(socket);
    else pool.remove(socket);
  };
  // A worker connection that ends is of no further use (the pool never reuses a half-closed one).
  socket.on('end', closed);
  socket.on('close', closed);
}

export { REASONS };
