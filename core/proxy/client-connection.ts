/**
 * One client's TCP connection to the front server: reads request heads, routes each request to its app, answers
 * what Berth answers itself, and hands the rest to an `Exchange` with one of the app's workers, one request at a
 * time (pipelined requests wait in `buffered`). Keep-alive, half-close and closing after an unread body live here.
 */
import type net from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ClientEnding, type ExchangeClient } from './exchange-client.js';
import { Exchange, Phase } from './exchange.js';
import { clientErrorResponse } from './failure-pages.js';
import type { ClientLimits } from './client-limits.js';
import type { ClientInfo } from './forwarding.js';
import { canHandOff } from './handoff.js';
import { findHeadEnd, HttpParseError, parseRequestHead, type RequestHead } from './http-parse.js';
import { htmlResponse, renderUnknownHostPage } from './pages.js';
import { isLoopback, type LocalResponse, type ProxyApp, type RequestTotals, type Router } from './proxy-app.js';
import { localResponseHead } from './response-framing.js';

/** The most header bytes read before the app (and its maxRequestBufferSize) is known. */
const HARD_HEAD_LIMIT = 1024 * 1024;
/** A client connection idle this long between requests (or stuck in a head) is closed. */
const CLIENT_IDLE_MS = 65_000;
/** How long a closing connection keeps reading (and dropping) an unread request body. */
const DISCARD_MS = 5000;

export class ClientConnection implements ExchangeClient {
  /** Bytes received but not yet consumed (the next request, or body bytes waiting for a worker connection). */
  private buffered: Buffer | null = null;
  private exchange: Exchange | null = null;
  private closeAfterResponse = false;
  readonly loopback: boolean;
  private info: ClientInfo | undefined;
  /** A response Berth makes itself is being prepared (it reads files). */
  private localPending = false;
  /** No request has been dispatched yet: the connection may still take the fast lane. */
  private firstRequest = true;
  /** The socket is on its way to a worker (the fast lane): this connection must not touch it. */
  private handingOff = false;
  /** When the first byte of an incomplete request head arrived (0: no head pending); see `checkDeadlines`. */
  private headSince = 0;
  /** Body chunks forwarded so far, and the count the last deadline check saw: a body stands still when they match. */
  private bodyChunks = 0;
  private bodyChunksSeen = 0;
  /** Since when the deadline checks have seen the request body stand still (0: it moved, or none is being read). */
  private bodyStillSince = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly router: Router,
    private readonly totals: RequestTotals,
    private readonly limits: ClientLimits,
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
      // A TLS socket from the HTTPS front (see https-front.ts).
      secure: (this.socket as Partial<TLSSocket>).encrypted === true,
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
        this.bodyChunks++;
        exchange.forwardBody(chunk);
        return;
      }
    }
    this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    this.pump();
  }

  /** No request is being handled: a new one may start. */
  private get idle(): boolean {
    return this.exchange === null && !this.localPending && !this.handingOff;
  }

  private onEnd(): void {
    // The client finished sending. A request in flight still gets its response (half-close: the listener is
    // allowHalfOpen), then we close.
    if (this.exchange && this.exchange.phase !== Phase.Done) {
      if (this.exchange.phase === Phase.Tunnel) this.exchange.clientEnded();
      this.closeAfterResponse = true;
    } else if (this.localPending || this.handingOff) this.closeAfterResponse = true;
    else {
      this.headSince = 0;
      this.socket.end();
    }
  }

  /**
   * Called by the front server's sweep (about once a second, one timer for all connections): a request head that
   * has not completed within headersTimeout of its first byte, or a body that stood still for bodyIdleTimeout while
   * Berth was reading it, gets a 408 and the connection closes. Nothing here runs per byte or per request.
   */
  checkDeadlines(now: number): void {
    if (this.headSince !== 0) {
      if (now - this.headSince >= this.limits.headersTimeoutMs) {
        this.headSince = 0;
        this.reject(408, `The request head did not arrive within headersTimeout (${seconds(this.limits.headersTimeoutMs)}).`);
      }
      return;
    }
    const exchange = this.exchange;
    // Only a body Berth is reading can stall: not while it waits for a worker connection or the worker reads slowly.
    if (exchange === null || exchange.phase !== Phase.RequestBody || this.socket.isPaused()) {
      this.bodyStillSince = 0;
      return;
    }
    if (this.bodyChunks !== this.bodyChunksSeen) {
      this.bodyChunksSeen = this.bodyChunks;
      this.bodyStillSince = 0;
    } else if (this.bodyStillSince === 0) this.bodyStillSince = now;
    else if (now - this.bodyStillSince >= this.limits.bodyIdleTimeoutMs) {
      this.bodyStillSince = 0;
      exchange.clientStalled(`The request body stopped arriving for bodyIdleTimeout (${seconds(this.limits.bodyIdleTimeoutMs)}).`);
    }
  }

  closeWhenIdle(): void {
    this.closeAfterResponse = true;
    if (this.idle) this.socket.end();
  }

  /** Consumes buffered bytes: body for the current exchange, or the next request. */
  private pump(): void {
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
      else if (this.headSince === 0) this.headSince = Date.now(); // headersTimeout counts from the first byte
      return;
    }
    this.headSince = 0;
    let head: RequestHead;
    try {
      head = parseRequestHead(buf.toString('latin1', start, end));
    } catch (error) {
      if (error instanceof HttpParseError) this.reject(error.status, error.message);
      else this.reject(400, 'The request could not be read.');
      return;
    }
    const app = this.router.route(head);
    if (!app) {
      this.buffered = null;
      this.closeAfterResponse = true; // the body, if any, was not read
      const info = this.clientInfo;
      this.respond(htmlResponse(404, renderUnknownHostPage(head.host, this.router.hostedApps(), info.secure ? info.localPort : undefined)));
      return;
    }
    const headLength = end + 4 - start;
    if (headLength > app.maxRequestBufferSize) {
      this.reject(431, `The request headers are ${headLength} bytes, more than maxRequestBufferSize (${app.maxRequestBufferSize}) allows for this app.`);
      return;
    }
    const rest = end + 4 < buf.length ? buf.subarray(end + 4) : null;
    this.buffered = rest;
    this.dispatch(app, head, buf.subarray(start, end + 4), rest);
  }

  /**
   * Hands a parsed, routed request to its app: its own answer (a local response), or an exchange with one of its
   * workers. `rest`: the bytes received after the head (body, or the next request).
   */
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
    const first = this.firstRequest;
    this.firstRequest = false;
    if (first && this.handOff(app, head, headBytes, rest)) return;
    this.startExchange(app, head, headBytes, rest);
  }

  /**
   * The fast lane: when the app's lane allows it, the whole connection (with the bytes read so far) goes to one of
   * its workers, which serves it directly from then on (core/proxy/handoff.ts, core/app/lane.ts). True when the
   * connection left this path; a worker that cannot take it gives it back, and the request goes on as usual.
   */
  private handOff(app: ProxyApp, head: RequestHead, headBytes: Buffer, rest: Buffer | null): boolean {
    const taker = this.router.connectionTaker?.(app, head);
    if (!taker || !canHandOff(this.socket)) return false;
    this.handingOff = true;
    this.buffered = null;
    taker.takeConnection(this.socket, rest ? Buffer.concat([headBytes, rest]) : headBytes, (outcome) => {
      if (outcome !== 'kept') return; // taken, or lost with the worker: the socket is closed
      this.handingOff = false;
      this.startExchange(app, head, headBytes, rest);
    });
    return true;
  }

  private startExchange(app: ProxyApp, head: RequestHead, headBytes: Buffer, rest: Buffer | null): void {
    this.buffered = rest;
    const exchange = new Exchange(this, app, head, headBytes, this.totals);
    this.exchange = exchange;
    // A body waits in the socket until a worker connection is there. (Requests without one are not paused:
    // pausing costs a system call per request, and pipelined bytes are held in `buffered` anyway.)
    if (head.contentLength > 0 || head.chunked) this.socket.pause();
    exchange.begin();
  }

  /** A Berth-made response for a request that never reached a worker; the connection closes after it. */
  private reject(status: number, message: string): void {
    this.buffered = null;
    this.closeAfterResponse = true;
    this.respond(clientErrorResponse(status, message));
  }

  /** Writes a response Berth made itself, then goes on with the next request (or closes). */
  private sendLocal(local: LocalResponse, head: RequestHead): void {
    if (local.abort) {
      this.socket.destroy();
      return;
    }
    const close = this.closeAfterResponse || head.close;
    const body = local.body;
    const sized = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Buffer ? body : undefined;
    const headBytes = localResponseHead(local, sized, close);
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
    this.goOn(!close);
  }

  private respond(bytes: Buffer): void {
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

  /** After a response: the next request (keep-alive), or closing. */
  private goOn(keepAlive: boolean): void {
    if (!keepAlive) this.closeAfterResponse = true;
    if (this.socket.destroyed) return;
    if (this.closeAfterResponse) {
      this.endAndDiscard();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered !== null) this.pump();
  }

  // ---- ExchangeClient: what the current exchange may ask of this connection ----

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  requestSent(hasBody: boolean): void {
    if (hasBody) this.socket.resume();
    this.pump();
  }

  unread(bytes: Buffer): void {
    this.buffered = this.buffered === null ? bytes : Buffer.concat([bytes, this.buffered]);
    this.socket.pause();
  }

  takeBuffered(): Buffer | null {
    const bytes = this.buffered;
    this.buffered = null;
    return bytes;
  }

  exchangeEnded(ending: ClientEnding, response?: Buffer): void {
    this.exchange = null;
    switch (ending) {
      case ClientEnding.KeepAlive:
        this.goOn(true);
        break;
      case ClientEnding.Close:
        this.goOn(false);
        break;
      case ClientEnding.Respond:
        // The request body, if any, was not read: the connection cannot carry another request.
        this.closeAfterResponse = true;
        this.buffered = null;
        this.respond(response!);
        break;
      case ClientEnding.Destroy:
        this.socket.destroy();
        break;
      case ClientEnding.TunnelClosed:
        this.closeAfterResponse = true; // what the client sends now is dropped
        this.socket.end();
        break;
      case ClientEnding.Gone:
        this.closeAfterResponse = true;
        break;
    }
  }
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
