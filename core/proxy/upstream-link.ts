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
  /**
   * A write failed because the worker closed the connection (it answered early and stopped reading): true when the
   * exchange keeps the connection to read the answer the worker may have sent first, and writes nothing more.
   */
  upstreamWriteFailed(): boolean;
}

/** Write errors that mean the worker closed its side: what it wrote before can still be read. */
const PEER_CLOSED = new Set(['EPIPE', 'ECONNRESET', 'ECONNABORTED', 'EOF']);

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
  keepReadingAfterWriteError(socket);
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

/**
 * A worker that answers before reading the whole request body (a 400 to an upload it refuses) and closes makes a
 * later body write fail, often before its answer has been read: node would destroy the socket on that error, drop
 * the unread answer, and the client would get a 502. So a write that fails because the worker closed completes
 * quietly when the exchange still waits for an answer (it then stops writing): reading goes on until the answer is
 * complete or the worker's side ends, which settles the exchange as usual ('end'/'close' below).
 */
function keepReadingAfterWriteError(socket: UpstreamSocket): void {
  type Done = (error?: Error | null) => void;
  const guard =
    (done: Done): Done =>
    (error) => {
      const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
      if (code !== undefined && PEER_CLOSED.has(code) && socket.readable && socket.exchange?.upstreamWriteFailed()) done();
      else done(error);
    };
  // The stream passes the same callback to every _write: its guard is made once, not per write (the hot path).
  let lastDone: Done | undefined;
  let lastGuarded: Done = () => undefined;
  const guarded = (done: Done): Done => {
    if (done !== lastDone) {
      lastDone = done;
      lastGuarded = guard(done);
    }
    return lastGuarded;
  };
  const write = socket._write.bind(socket);
  const writev = socket._writev?.bind(socket);
  socket._write = (chunk, encoding, done) => write(chunk, encoding, guarded(done));
  if (writev) socket._writev = (chunks, done) => writev(chunks, guard(done));
}
