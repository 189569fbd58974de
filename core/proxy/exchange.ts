/**
 * One request/response between a client connection and a worker: picks the worker, gets a connection to it
 * (pooled, or new within the start-up budget), forwards the request, frames the response back, replays a small
 * safe request once when a pooled connection turns out stale, and becomes a byte tunnel after a 101. Every end of
 * an exchange goes through `end`, which settles the worker connection, the worker's count and the client at once.
 */
import { badResponsePage, clientErrorResponse, failureResponse, requestTimeoutPage, workerGonePage } from './failure-pages.js';
import { needsRewrite, rewriteRequestHead } from './forwarding.js';
import { ChunkedScanner, HttpParseError, type RequestHead } from './http-parse.js';
import type { ProxyApp, ProxyWorker, RequestTotals, Unavailable } from './proxy-app.js';
import { Framing, HeadKind, rebuildHead, type ResponseFraming } from './response-framing.js';
import { ClientEnding, type ExchangeClient } from './exchange-client.js';
import type { UpstreamSocket, UpstreamUser } from './upstream-link.js';
import { connectToWorker, reconnectToWorker, type ConnectingExchange } from './worker-connect.js';

/** Requests up to this size are kept so they can be replayed on a fresh connection if a pooled one was stale. */
const REPLAY_LIMIT = 64 * 1024;
/** How long a failed request waits to learn whether its worker exited, for a precise error page. */
const EXIT_GRACE_MS = 300;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export const enum Phase {
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

/** Why `Exchange.end` is called. */
const enum End {
  /** The response is complete: keep-alive follows from both heads. */
  Complete,
  /** The response is complete, but the client connection cannot carry another request. */
  CompleteThenClose,
  /** Part of the response is out and the rest cannot follow. */
  CutShort,
  /** An error page instead of the app's answer. */
  Failed,
  /** The request body is malformed. */
  ClientError,
  /** The client connection closed. */
  ClientGone,
  /** The worker closed a tunnel. */
  TunnelClosed,
}

export class Exchange implements UpstreamUser, ConnectingExchange {
  phase = Phase.Connecting;
  upstream: UpstreamSocket | null = null;
  worker: ProxyWorker | null = null;
  /** The response framing of the worker connection in use. */
  private framing: ResponseFraming | null = null;
  private bodyRemaining: number;
  private readonly bodyScanner: ChunkedScanner | null;
  /** Bytes of the response already written to the client. */
  private responseStarted = false;
  private pooledConnection = false;
  private retried = false;
  connectAttempts = 0;
  readonly startedAt = Date.now();
  /** When the request went to the worker, for the iisnode-debug header's req_time. */
  private sentAt = 0;
  private setCookie: string | undefined;
  private timeout: NodeJS.Timeout | undefined;
  /** The request bytes sent so far, while small enough to replay. */
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  /** The request bytes to send again on the fresh connection being opened. */
  private replaying: Buffer[] | null = null;
  private upstreamPausedClient = false;
  private keepClientDespiteClose = false;
  private clientPausedUpstream = false;
  private waitedForStart = false;
  /** The worker's final head came while the request body was still being sent: the client connection closes after. */
  private answeredEarly = false;
  /** A write to the worker failed (it closed): the rest of the request is read from the client and dropped. */
  private writeFailed = false;

  constructor(
    private readonly client: ExchangeClient,
    readonly app: ProxyApp,
    readonly head: RequestHead,
    private readonly headBytes: Buffer,
    private readonly totals: RequestTotals,
  ) {
    this.bodyRemaining = head.chunked ? 0 : Math.max(0, head.contentLength);
    this.bodyScanner = head.chunked ? new ChunkedScanner() : null;
  }

  private get hasBody(): boolean {
    return this.bodyScanner !== null || this.bodyRemaining > 0;
  }

  begin(): void {
    if (this.phase === Phase.Done) return; // the client left while the app started
    const picked = this.app.pick(this.head);
    if ('unavailable' in picked) {
      if (picked.starting && !this.waitedForStart) {
        this.waitedForStart = true;
        void picked.starting.then(() => this.begin()); // never rejects (IdleStop catches a failed start)
        return;
      }
      this.end(End.Failed, picked);
      return;
    }
    const worker = picked.worker;
    this.worker = worker;
    this.setCookie = picked.setCookie;
    worker.requestStarted();
    this.totals.totalRequests++;
    if (this.app.requestTimeoutMs > 0) this.timeout = setTimeout(() => this.timedOut(), this.app.requestTimeoutMs);
    this.acquire();
  }

  /** requestTimeout: the app has not started answering in time. */
  private timedOut(): void {
    if (this.responseStarted || this.phase === Phase.Tunnel) return;
    this.end(End.Failed, requestTimeoutPage(this.app, this.worker));
  }

  // ---- Getting a worker connection ----

  get ended(): boolean {
    return this.phase === Phase.Done;
  }

  private acquire(): void {
    if (!this.retried) {
      const pooled = this.worker!.pool.take();
      if (pooled) {
        this.pooledConnection = true;
        this.connected(pooled as UpstreamSocket);
        return;
      }
    }
    this.pooledConnection = false;
    connectToWorker(this);
  }

  /** A worker connection for this exchange: the request goes out (again, after a stale pooled connection). */
  connected(socket: UpstreamSocket): void {
    if (this.phase === Phase.Done) {
      this.worker?.pool.put(socket);
      return;
    }
    socket.exchange = this;
    socket.framing.reset();
    this.writeFailed = false;
    this.upstream = socket;
    this.framing = socket.framing;
    const replay = this.replaying;
    if (replay) {
      this.replaying = null;
      for (const bytes of replay) this.send(bytes);
      this.phase = Phase.Response;
      return;
    }
    this.sentAt = Date.now();
    const forwarding = this.app.forwarding;
    this.send(needsRewrite(this.head, forwarding, this.client.clientInfo.secure) ? Buffer.from(rewriteRequestHead(this.head, forwarding, this.client.clientInfo), 'latin1') : this.headBytes);
    const hasBody = this.hasBody;
    this.phase = hasBody ? Phase.RequestBody : Phase.Response;
    this.client.requestSent(hasBody);
  }

  cannotConnect(page: Unavailable): void {
    this.end(End.Failed, page);
  }

  workerGone(): void {
    if (this.phase !== Phase.Done) this.end(End.Failed, workerGonePage(this.app, this.worker!));
  }

  // ---- The request ----

  private send(bytes: Buffer): void {
    if (this.replay) {
      this.replayBytes += bytes.length;
      if (this.replayBytes <= REPLAY_LIMIT) this.replay.push(bytes);
      else this.replay = null;
    }
    if (this.writeFailed) return;
    // (A write that fails because the worker closed sets writeFailed, possibly during the call: no pause then.)
    if (!this.upstream!.write(bytes) && !this.writeFailed && !this.upstreamPausedClient) {
      this.upstreamPausedClient = true;
      this.client.pauseReading();
    }
  }

  /**
   * A write failed because the worker closed (see wireUpstream): while the response may still come, nothing more is
   * written, and the client is read on (its body dropped) so it is not stuck; the worker's answer, or its close, ends
   * the exchange. The connection is not reused.
   */
  upstreamWriteFailed(): boolean {
    if (this.phase !== Phase.RequestBody && this.phase !== Phase.Response) return false;
    this.writeFailed = true;
    this.upstreamDrained();
    return true;
  }

  /** The upstream drained after a full write: the client may send more body. */
  upstreamDrained(): void {
    if (this.upstreamPausedClient) {
      this.upstreamPausedClient = false;
      if (this.phase === Phase.RequestBody || this.phase === Phase.Tunnel) this.client.resumeReading();
    }
  }

  /** The client drained after a full write: the worker may send more response. */
  resumeUpstream(): void {
    if (this.clientPausedUpstream) {
      this.clientPausedUpstream = false;
      this.upstream?.resume();
    }
  }

  /** Request body bytes from the client (phase RequestBody, with a worker connection). */
  forwardBody(chunk: Buffer): void {
    let used: number;
    if (this.bodyScanner) {
      let end: number;
      try {
        end = this.bodyScanner.scan(chunk);
      } catch (error) {
        this.end(End.ClientError, undefined, error as HttpParseError);
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
    if (used < chunk.length) this.client.unread(chunk.subarray(used)); // the start of the next (pipelined) request
  }

  private bodyDone(): void {
    if (this.phase !== Phase.RequestBody) return;
    this.phase = Phase.Response;
    if (this.framing!.phase === Framing.Done) this.end(End.Complete);
  }

  // ---- The response ----

  /** Data from the worker. */
  upstreamData(chunk: Buffer): void {
    if (this.phase === Phase.Tunnel) {
      if (!this.client.write(chunk)) this.pauseUpstreamForClient();
      return;
    }
    const framing = this.framing!;
    if (framing.phase === Framing.Head) this.readResponseHeads(framing, framing.withHeld(chunk));
    else this.forwardResponseBody(chunk, 0);
  }

  private readResponseHeads(framing: ResponseFraming, buf: Buffer): void {
    for (;;) {
      let kind: HeadKind;
      try {
        kind = framing.readHead(buf, this.head, this.app.maxRequestBufferSize);
      } catch (error) {
        this.badResponse((error as Error).message);
        return;
      }
      if (kind === HeadKind.Partial) return;
      const headEnd = framing.headEnd;
      this.responseStarted = true;
      if (kind === HeadKind.Upgrade) {
        this.startTunnel(buf);
        return;
      }
      if (kind === HeadKind.Interim) {
        // An interim response (100 Continue, 103 Early Hints): pass it on and read the next head.
        this.writeClient(buf.subarray(0, headEnd));
        if (headEnd === buf.length) return;
        buf = buf.subarray(headEnd);
        continue;
      }
      clearTimeout(this.timeout);
      // An answer before the end of the request body (a 400 to an upload the app refuses): the client is still
      // sending a body nobody may read, so its connection closes after this response, and the response says so (as
      // node's http server and nginx do).
      this.answeredEarly = this.phase === Phase.RequestBody;
      // A worker that is shutting down (an upgrade drains it) answers `Connection: close`. That is about the worker's
      // connection only: when the response is framed, the client's keep-alive connection stays open for its next
      // request, which goes to the new generation.
      this.keepClientDespiteClose = framing.head!.close && !this.head.close && framing.phase !== Framing.UntilClose && !this.answeredEarly;
      const extra = this.extraResponseHeaders();
      if (extra || this.keepClientDespiteClose || this.answeredEarly) {
        // Berth's headers go in before the blank line; the body bytes follow in the same write.
        const close = this.answeredEarly ? `${extra ? '\r\n' : ''}Connection: close` : '';
        const out = rebuildHead(buf, framing.headTextEnd, headEnd, extra + close, this.keepClientDespiteClose || this.answeredEarly);
        this.forwardResponseBody(out, out.length - (buf.length - headEnd));
        return;
      }
      // Head and the body bytes that came with it go out in one write.
      this.forwardResponseBody(buf, headEnd);
      return;
    }
  }

  /** Writes `buf[0..]` (a head before `from`, if any, plus body bytes from `from`) and tracks where the body ends. */
  private forwardResponseBody(buf: Buffer, from: number): void {
    const framing = this.framing!;
    let end: number;
    try {
      end = framing.bodyEnd(buf, from);
    } catch (error) {
      this.badResponse(`The worker sent malformed chunked data (${(error as Error).message}).`);
      return;
    }
    if (end > 0) this.writeClient(end === buf.length ? buf : buf.subarray(0, end));
    if (framing.phase !== Framing.Done) return;
    // Bytes after the end of the response mean the worker connection is out of step: do not reuse it.
    if (end < buf.length) this.upstream?.destroy();
    if (this.phase === Phase.Response) this.end(this.answeredEarly ? End.CompleteThenClose : End.Complete);
    else if (this.phase === Phase.RequestBody) {
      // The app answered before reading the whole body: that connection cannot be reused, nor the client's.
      this.upstream?.destroy();
      this.end(End.CompleteThenClose);
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
      totalRequests: this.totals.totalRequests,
    });
    if (debug) extra += `${extra ? '\r\n' : ''}iisnode-debug: ${debug}`;
    return extra;
  }

  private writeClient(bytes: Buffer): void {
    if (!this.client.write(bytes)) this.pauseUpstreamForClient();
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
      this.end(End.TunnelClosed);
      return;
    }
    socket.destroy();
    this.upstream = null;
    if (this.framing!.closed()) {
      this.end(End.CompleteThenClose);
      return;
    }
    if (this.responseStarted) {
      this.end(End.CutShort);
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
      this.replaying = replay;
      reconnectToWorker(this);
      return;
    }
    // A connection usually drops a moment before the worker's exit is known: wait briefly, so the page can say that
    // the worker exited, with its exit code, rather than only that the connection closed.
    const worker = this.worker!;
    if (worker.state === 'exited') this.workerGone();
    else void worker.whenExited(EXIT_GRACE_MS).then(() => this.workerGone());
  }

  private badResponse(message: string): void {
    this.upstream?.destroy();
    if (this.responseStarted) this.end(End.CutShort);
    else this.end(End.Failed, badResponsePage(this.app, this.worker, message));
  }

  // ---- The tunnel ----

  private startTunnel(buf: Buffer): void {
    this.phase = Phase.Tunnel;
    this.writeClient(buf);
    // Bytes the client sent after its upgrade request belong to the new protocol.
    const early = this.client.takeBuffered();
    if (early) this.tunnelToUpstream(early);
    this.client.resumeReading();
  }

  tunnelToUpstream(chunk: Buffer): void {
    if (this.upstream && !this.upstream.write(chunk) && !this.upstreamPausedClient) {
      this.upstreamPausedClient = true;
      this.client.pauseReading();
    }
  }

  /** The client finished sending: in a tunnel, the worker's side is ended too. */
  clientEnded(): void {
    this.upstream?.end();
  }

  /**
   * The request body stopped arriving (bodyIdleTimeout): the worker's half-sent request is aborted (its connection
   * destroyed, never pooled) and the client gets a 408 if no response has started.
   */
  clientStalled(message: string): void {
    if (this.phase === Phase.RequestBody) this.end(End.ClientError, undefined, new HttpParseError(408, message));
  }

  /** The client connection closed. */
  clientGone(): void {
    this.end(End.ClientGone);
  }

  // ---- The end ----

  /**
   * Ends the exchange, once: records the outcome, returns the worker connection to the pool or closes it, drops the
   * worker's count of requests, and tells the client how to go on.
   */
  private end(how: End, page?: Unavailable, clientError?: HttpParseError): void {
    const phase = this.phase;
    if (phase === Phase.Done) return;
    this.phase = Phase.Done;
    clearTimeout(this.timeout);
    const worker = this.worker;
    const response = this.framing?.head ?? null;
    let reusable = false;
    if (how === End.Complete || how === End.CompleteThenClose) {
      if (response && worker) worker.stats.record(response.status, Date.now() - this.startedAt);
      reusable =
        !this.writeFailed &&
        response !== null && !response.close && !this.head.close && phase === Phase.Response && this.framing!.phase === Framing.Done && worker?.state === 'ready';
    } else if (how === End.Failed) worker?.stats.record(page!.status, Date.now() - this.startedAt);
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream) {
      if (upstream.exchange === this) upstream.exchange = null;
      // A tunnel's worker side is ended first, so the app sees its WebSocket close.
      if (how === End.ClientGone && phase === Phase.Tunnel) upstream.end();
      if (this.clientPausedUpstream) upstream.resume();
      if (reusable && !upstream.destroyed && worker) worker.pool.put(upstream);
      else upstream.destroy();
    }
    worker?.requestDone();
    switch (how) {
      case End.Complete: {
        const keepAlive = response !== null && (!response.close || this.keepClientDespiteClose) && !this.head.close && phase === Phase.Response;
        this.client.exchangeEnded(keepAlive ? ClientEnding.KeepAlive : ClientEnding.Close);
        break;
      }
      case End.CompleteThenClose:
        this.client.exchangeEnded(ClientEnding.Close);
        break;
      case End.CutShort:
        this.client.exchangeEnded(ClientEnding.Destroy);
        break;
      case End.Failed:
        this.client.exchangeEnded(ClientEnding.Respond, failureResponse(page!, this.app.showErrorDetails(this.client.loopback)));
        break;
      case End.ClientError:
        if (this.responseStarted) this.client.exchangeEnded(ClientEnding.Destroy);
        else this.client.exchangeEnded(ClientEnding.Respond, clientErrorResponse(clientError!.status, clientError!.message));
        break;
      case End.ClientGone:
        this.client.exchangeEnded(ClientEnding.Gone);
        break;
      case End.TunnelClosed:
        this.client.exchangeEnded(ClientEnding.TunnelClosed);
        break;
    }
  }
}
