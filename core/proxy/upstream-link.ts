/**
 * A connection to a worker's pipe, as the proxy uses it: its listeners are attached once and follow whichever
 * exchange currently uses it (connections are pooled and reused), and it carries its own response framing.
 */
import type net from 'node:net';
import { ResponseFraming } from './response-framing.js';
import type { UpstreamPool } from './upstream-pool.js';

/** The exchange using a worker connection: it gets the connection's events. */
export interface UpstreamUser {
  upstreamData(chunk: Buffer): void;
  /** The connection drained after a full write. */
  upstreamDrained(): void;
  /** The connection ended or failed (called once per connection). */
  upstreamClosed(socket: UpstreamSocket): void;
}

export type UpstreamSocket = net.Socket & { exchange?: UpstreamUser | null; framing: ResponseFraming };

/** Makes a connected socket a worker connection; an idle connection that closes leaves `pool`. */
export function wireUpstream(plain: net.Socket, pool: UpstreamPool): UpstreamSocket {
  const socket = plain as UpstreamSocket;
  socket.framing = new ResponseFraming();
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
  return socket;
}
