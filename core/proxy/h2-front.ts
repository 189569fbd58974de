/**
 * HTTP/2 on the HTTPS front. Workers speak HTTP/1.1 only, so each h2 stream becomes one HTTP/1.1 request on a worker
 * connection: the same routing, `Exchange`, pool and per-request features (per-process cap, X-Forwarded-*, server
 * variables, iisnode-debug header, sticky cookie, graceful drain) as an HTTP/1.1 client gets. The stream plays the
 * part of the client connection (`ExchangeClient`); the worker's response is translated back (h2-response.ts).
 * A stream the client resets ends its exchange, which destroys the worker connection (never pooled half-used).
 */
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ClientEnding, type ExchangeClient } from './exchange-client.js';
import { Exchange, Phase } from './exchange.js';
import { clientErrorResponse } from './failure-pages.js';
import type { ClientInfo } from './forwarding.js';
import { H1ToH2Response, h2Headers } from './h2-response.js';
import { HttpParseError, parseRequestHead, type RequestHead } from './http-parse.js';
import { htmlResponse, renderUnknownHostPage } from './pages.js';
import { isLoopback, type LocalResponse, type ProxyApp, type RequestTotals, type Router } from './proxy-app.js';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_PROTOCOL_ERROR } = http2.constants;
/** A session without any frame for this long is closed (as an idle HTTP/1.1 connection is). */
const SESSION_IDLE_MS = 65_000;
/** Request fields that describe an HTTP/2 or HTTP/1.1 connection, not the request: never sent to the worker. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

/** The HTTP/2 sessions of the HTTPS front. */
export class H2Front {
  private readonly sessions = new Set<ServerHttp2Session>();
  private closing = false;

  constructor(
    private readonly router: Router,
    private readonly totals: RequestTotals,
  ) {}

  /** A TLS socket whose client chose `h2` by ALPN. */
  accept(socket: TLSSocket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const session = http2.performServerHandshake(socket, { settings: { maxConcurrentStreams: 128 } });
    const info: ClientInfo = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      secure: true,
    };
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', () => undefined); // 'close' follows
    session.setTimeout(SESSION_IDLE_MS, () => session.close());
    session.on('stream', (stream, headers) => new H2Request(stream, info, this.router, this.totals).start(headers));
  }

  /** Stops taking sessions; open ones finish their streams (GOAWAY) and close. */
  close(): void {
    this.closing = true;
    for (const session of this.sessions) session.close();
  }

  destroySessions(): void {
    for (const session of this.sessions) session.destroy();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }
}

/** One h2 stream: a request routed to its app and, through an `Exchange`, to one of its workers. */
class H2Request implements ExchangeClient {
  readonly loopback: boolean;
  private exchange: Exchange | null = null;
  private readonly response: H1ToH2Response;
  /** The request body is sent with chunked framing (an h2 body of unannounced length). */
  private chunkedBody = false;
  private head: RequestHead | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly clientInfo: ClientInfo,
    private readonly router: Router,
    private readonly totals: RequestTotals,
  ) {
    this.loopback = isLoopback(clientInfo.remoteAddress);
    this.response = new H1ToH2Response({
      respond: (headers) => this.stream.respond(headers),
      data: (bytes) => this.stream.write(bytes),
    });
    stream.on('error', () => undefined); // 'close' follows
    stream.on('drain', () => this.exchange?.resumeUpstream());
    // A reset (or a session that went away) before the exchange is over ends the worker's request.
    stream.on('close', () => this.exchange?.clientGone());
  }

  start(headers: IncomingHttpHeaders): void {
    const method = headers[':method'] ?? 'GET';
    if (method === 'CONNECT') {
      this.sendBuffer(clientErrorResponse(501, 'Berth does not tunnel CONNECT over HTTP/2.'));
      return;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(this.requestHeadText(headers));
    } catch (error) {
      this.sendBuffer(error instanceof HttpParseError ? clientErrorResponse(error.status, error.message) : clientErrorResponse(400, 'The request could not be read.'));
      return;
    }
    this.head = head;
    const app = this.router.route(head);
    if (!app) {
      this.sendBuffer(htmlResponse(404, renderUnknownHostPage(head.host, this.router.hostedApps(), this.clientInfo.localPort)));
      return;
    }
    const headLength = head.text.length + 4;
    if (headLength > app.maxRequestBufferSize) {
      this.sendBuffer(clientErrorResponse(431, `The request headers are ${headLength} bytes, more than maxRequestBufferSize (${app.maxRequestBufferSize}) allows for this app.`));
      return;
    }
    this.dispatch(app, head);
  }

  /** The HTTP/1.1 request head (without its blank line) for the stream's header block. */
  private requestHeadText(headers: IncomingHttpHeaders): string {
    const authority = headers[':authority'] ?? headers.host;
    let text = `${headers[':method']} ${headers[':path'] ?? '/'} HTTP/1.1`;
    if (authority !== undefined) text += `\r\nHost: ${String(authority)}`;
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(':') || NOT_FORWARDED.has(name) || value === undefined) continue;
      // HTTP/2 may split cookies into several fields; HTTP/1.1 wants them in one (RFC 9113 §8.2.3).
      if (name === 'cookie') text += `\r\ncookie: ${Array.isArray(value) ? value.join('; ') : value}`;
      else for (const one of Array.isArray(value) ? value : [value]) text += `\r\n${name}: ${one}`;
    }
    // A body of unannounced length goes to the worker chunked (HTTP/1.1 has no other way to frame it).
    if (!this.stream.endAfterHeaders && headers['content-length'] === undefined) {
      this.chunkedBody = true;
      text += '\r\nTransfer-Encoding: chunked';
    }
    return text;
  }

  private dispatch(app: ProxyApp, head: RequestHead): void {
    const local = app.intercept(head, this.clientInfo, this.loopback);
    if (!local) {
      this.exchange = new Exchange(this, app, head, Buffer.from(`${head.text}\r\n\r\n`, 'latin1'), this.totals);
      this.exchange.begin();
      return;
    }
    if (!(local instanceof Promise)) {
      this.sendLocal(local);
      return;
    }
    local.then(
      (answer) => ('pick' in answer ? this.dispatch(answer, head) : this.sendLocal(answer)),
      (error: unknown) => this.sendBuffer(clientErrorResponse(500, `Berth could not answer this request: ${(error as Error).message}`)),
    );
  }

  /** A response Berth made itself (an error page), in HTTP/1.1 bytes. */
  private sendBuffer(bytes: Buffer): void {
    if (this.stream.destroyed || this.stream.headersSent) return;
    try {
      this.response.push(bytes);
      this.stream.end();
    } catch {
      this.stream.close(NGHTTP2_INTERNAL_ERROR);
    }
  }

  /** A response Berth makes for a URL it owns (diagnostics, log files). */
  private sendLocal(local: LocalResponse): void {
    if (this.stream.destroyed) return;
    if (local.abort) {
      this.stream.close(NGHTTP2_CANCEL);
      return;
    }
    const headers: OutgoingHttpHeaders = h2Headers(local.status, Object.entries(local.headers));
    const body = local.body;
    if (this.head?.method === 'HEAD' || body === undefined) {
      (body as Readable | undefined)?.destroy?.();
      this.stream.respond(headers, { endStream: true });
      return;
    }
    if (typeof body === 'string' || body instanceof Buffer) {
      this.stream.respond(headers);
      this.stream.end(body);
      return;
    }
    const stream = body as Readable;
    this.stream.respond(headers);
    stream.on('error', () => this.stream.close(NGHTTP2_INTERNAL_ERROR));
    this.stream.once('close', () => stream.destroy());
    stream.pipe(this.stream);
  }

  // ---- ExchangeClient ----

  write(bytes: Buffer): boolean {
    if (this.stream.destroyed) return true;
    try {
      return this.response.push(bytes);
    } catch {
      // The worker's response cannot be put into HTTP/2 (a malformed head or chunk): the client sees a reset.
      this.stream.close(NGHTTP2_INTERNAL_ERROR);
      return true;
    }
  }

  pauseReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    this.stream.resume();
  }

  requestSent(hasBody: boolean): void {
    if (!hasBody) return;
    const exchange = this.exchange!;
    const chunked = this.chunkedBody;
    this.stream.on('data', (chunk: Buffer) => {
      if (exchange.phase !== Phase.RequestBody) return;
      exchange.forwardBody(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, Buffer.from('\r\n', 'latin1')]) : chunk);
    });
    this.stream.on('end', () => {
      if (exchange.phase !== Phase.RequestBody) return;
      if (chunked) exchange.forwardBody(Buffer.from('0\r\n\r\n', 'latin1'));
      // Fewer bytes than its Content-Length said: the request cannot be completed.
      else this.stream.close(NGHTTP2_PROTOCOL_ERROR);
    });
  }

  unread(): void {
    // More body than the stream's content-length announced.
    this.stream.close(NGHTTP2_PROTOCOL_ERROR);
  }

  takeBuffered(): Buffer | null {
    return null;
  }

  exchangeEnded(ending: ClientEnding, response?: Buffer): void {
    this.exchange = null;
    if (this.stream.destroyed) return;
    switch (ending) {
      case ClientEnding.KeepAlive:
      case ClientEnding.Close:
      case ClientEnding.TunnelClosed:
        if (!this.stream.headersSent) this.stream.respond({ ':status': 502 }, { endStream: true });
        else this.stream.end();
        break;
      case ClientEnding.Respond:
        this.sendBuffer(response!);
        break;
      case ClientEnding.Destroy:
        this.stream.close(NGHTTP2_INTERNAL_ERROR);
        break;
      case ClientEnding.Gone:
        break;
    }
  }
}
