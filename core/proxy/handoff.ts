/**
 * The fast lane's question on the proxy side: may this client socket be handed to a worker now? The sending itself
 * is the worker's (`core/worker/handoff.ts`, behind `ConnectionTaker.takeConnection`).
 */
import type net from 'node:net';
import { handleOf } from '../util/socket-handle.js';

/** How a hand-off ended: the worker has the socket; the engine still has it (go on with the proxy); it is lost. */
export type HandoffOutcome = 'taken' | 'kept' | 'lost';

/**
 * Whether the socket can be handed over now: a plain TCP socket (not TLS: the worker could not read it) that is
 * still open, with nothing read but not yet consumed (bytes in the stream's buffer would be lost in the move).
 */
export function canHandOff(socket: net.Socket): boolean {
  if ((socket as { encrypted?: boolean }).encrypted) return false;
  if (socket.destroyed || !socket.readable || !socket.writable) return false;
  return handleOf(socket) !== null && socket.readableLength === 0 && socket.writableLength === 0;
}
