/**
 * What an exchange (one request/response with a worker) needs from the client connection it serves, and how it
 * tells that connection it is over. The exchange never touches the client's socket or buffers directly.
 */
import type { ClientInfo } from './forwarding.js';

/** How an exchange ended, for its client connection. */
export const enum ClientEnding {
  /** The response is complete; the connection may carry the next request. */
  KeepAlive,
  /** The response is complete; the connection closes (an unread body is drained for a while). */
  Close,
  /** Berth answers instead (`response`: an error page); the connection closes after it. */
  Respond,
  /** The response was cut short: the client must see it, the connection is destroyed. */
  Destroy,
  /** The worker closed its side of a tunnel: the client's side ends too. */
  TunnelClosed,
  /** The client connection closed. */
  Gone,
}

/** What an exchange needs from its client connection. */
export interface ExchangeClient {
  readonly loopback: boolean;
  readonly clientInfo: ClientInfo;
  /** Writes response bytes; false when the client's buffer is full (its drain calls `Exchange.resumeUpstream`). */
  write(bytes: Buffer): boolean;
  pauseReading(): void;
  resumeReading(): void;
  /** The request head is sent: read the body (buffered bytes first), or hold a pipelined request. */
  requestSent(hasBody: boolean): void;
  /** Bytes past the end of the request: the next (pipelined) request, held until this exchange ends. */
  unread(bytes: Buffer): void;
  /** Takes the bytes received but not consumed (after an upgrade request: the first bytes of the new protocol). */
  takeBuffered(): Buffer | null;
  /** The exchange is over (called once). */
  exchangeEnded(ending: ClientEnding, response?: Buffer): void;
}
