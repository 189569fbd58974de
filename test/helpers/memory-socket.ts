/**
 * In-memory connections for unit tests of the proxy: one end stands in for the `net.Socket` the proxy holds (with
 * the few socket members it uses), the other is the peer a test drives. Backpressure, half-close and destroy behave
 * as on a stream pair.
 */
import type net from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';

export interface MemoryConnection {
  /** The proxy's end. */
  socket: net.Socket;
  /** The test's end: what a client (or a worker) would read and write. */
  peer: Duplex;
  /** Everything the peer has received so far, as latin1 text. */
  received(): string;
  /** Resolves with everything received once it contains `text`. */
  until(text: string): Promise<string>;
  /** Resolves when the proxy's end has ended or been destroyed (the peer's readable side ends). */
  ended: Promise<void>;
}

export function memoryConnection(remoteAddress = '127.0.0.1'): MemoryConnection {
  const [proxySide, peer] = duplexPair();
  Object.assign(proxySide, {
    remoteAddress,
    remotePort: 50_000,
    localAddress: '127.0.0.1',
    localPort: 8080,
    readyState: 'open',
    setTimeout: () => proxySide,
    setNoDelay: () => proxySide,
  });
  // Destroying one end ends the other's readable side, as a socket's peer sees the connection close. Node 24's
  // duplexPair does this itself; Node 22 (which Berth also supports, and the Windows lane runs) does not.
  const endOnClose = (closed: Duplex, other: Duplex) => closed.once('close', () => !other.destroyed && other.push(null));
  endOnClose(proxySide, peer);
  endOnClose(peer, proxySide);
  let text = '';
  const waiters: { text: string; resolve: (all: string) => void }[] = [];
  peer.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const waiter of waiters.splice(0)) {
      if (text.includes(waiter.text)) waiter.resolve(text);
      else waiters.push(waiter);
    }
  });
  const ended = new Promise<void>((resolve) => peer.once('end', () => resolve()));
  return {
    socket: proxySide as unknown as net.Socket,
    peer,
    received: () => text,
    until: (wanted) => (text.includes(wanted) ? Promise.resolve(text) : new Promise((resolve) => waiters.push({ text: wanted, resolve }))),
    ended,
  };
}
