/**
 * The fast lane's sending side: handing an accepted client socket, with the bytes already read from it, to a worker
 * over its IPC channel (node's `send(message, socket)`, the way the cluster module hands out connections; it works
 * for TCP sockets on Windows too). The worker's bootstrap pushes the bytes back into the socket and gives it to the
 * app's HTTP server as a new connection; from then on the engine is out of that connection's path. Whether a
 * socket can be handed over at all is the proxy's question (`core/proxy/handoff.ts`).
 */
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { handleOf } from '../util/socket-handle.js';

/** How a hand-off ended: the worker has the socket; the engine still has it (go on with the proxy); it is lost. */
export type HandoffOutcome = 'taken' | 'kept' | 'lost';

/**
 * Stops reading from the socket in the kernel, not only in the stream: node drops whatever its handle reads once
 * the handle is being sent, and a send waits while the previous hand-off to the same worker is unacknowledged.
 */
function stopReading(socket: net.Socket): void {
  socket.pause();
  const handle = handleOf(socket);
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
}

/**
 * Sends `socket` and `bytesRead` (everything read from it so far) to the worker behind `channel`. The socket must
 * have passed the proxy's `canHandOff`; the caller stops using it. `done` says how it ended; on `kept` the socket is
 * paused and still the caller's.
 */
export function sendConnection(channel: ChildProcess, socket: net.Socket, bytesRead: Buffer, done: (outcome: HandoffOutcome) => void): void {
  stopReading(socket);
  // Not tracked by node for the front server (`socket.server`): the front server's close must not wait for the
  // workers' connections, which the workers' own drain and shutdown close.
  const owner = socket as unknown as { server: unknown };
  const server = owner.server;
  owner.server = null;
  const message = { berth: 'connection', head: bytesRead.toString('base64') };
  let sent: boolean;
  try {
    sent = channel.send(message, socket, { keepOpen: false }, (error) => finish(error ?? null));
  } catch (error) {
    finish(error as Error);
    return;
  }
  void sent; // false only means the channel is backed up; the callback still comes
  function finish(error: Error | null): void {
    if (!error) {
      // node took the handle and closes it when the worker acknowledges; the husk closes (the front server forgets it).
      socket.destroy();
      done('taken');
    } else if (handleOf(socket) !== null) {
      owner.server = server;
      done('kept');
    } else {
      socket.destroy();
      done('lost');
    }
  }
}
