/** The libuv stream handle behind a net.Socket (node does not expose it; cluster's hand-off uses the same field). */
import type net from 'node:net';

export interface StreamHandle {
  reading?: boolean;
  readStop?: () => number;
}

export function handleOf(socket: net.Socket): StreamHandle | null {
  return ((socket as unknown as { _handle?: StreamHandle | null })._handle ?? null) as StreamHandle | null;
}
