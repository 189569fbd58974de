import type { Socket } from 'node:net';

/** Node's default `server.keepAliveTimeout`; used until the worker reports its own. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5000;
/** Pooled connections are retired this long before the worker's keep-alive timeout would close them. */
const KEEP_ALIVE_MARGIN_MS = 1000;

interface IdleConnection {
  socket: Socket;
  since: number;
}

/**
 * Idle keep-alive connections to one worker, reused last-in first-out (the warmest first, as iisnode did).
 * A connection is never kept past `maxNamedPipePooledConnectionAge` nor past the worker's own keep-alive timeout,
 * the mismatch behind iisnode's "the pipe has been ended" errors.
 */
export class UpstreamPool {
  private readonly idle: IdleConnection[] = [];
  private maxIdleMs: number;

  constructor(
    private readonly maxSize: number,
    private readonly maxAgeMs: number,
  ) {
    this.maxIdleMs = this.limitFor(NODE_DEFAULT_KEEP_ALIVE_MS);
  }

  private limitFor(keepAliveMs: number): number {
    const workerLimit = keepAliveMs > 0 ? Math.max(keepAliveMs - KEEP_ALIVE_MARGIN_MS, keepAliveMs / 2) : Infinity;
    return Math.min(this.maxAgeMs, workerLimit);
  }

  /** The worker told us its server's keepAliveTimeout (0 means it never closes idle connections). */
  setWorkerKeepAlive(ms: number): void {
    this.maxIdleMs = this.limitFor(ms);
  }

  get size(): number {
    return this.idle.length;
  }

  /** A live idle connection, or undefined. Connections idle for too long are closed on the way. */
  take(now = Date.now()): Socket | undefined {
    while (this.idle.length) {
      const entry = this.idle.pop()!;
      if (!entry.socket.destroyed && entry.socket.readyState === 'open' && now - entry.since < this.maxIdleMs) return entry.socket;
      entry.socket.destroy();
    }
    return undefined;
  }

  /** Returns a connection after a complete exchange; closes it when the pool is full or pooling is off. */
  put(socket: Socket, now = Date.now()): void {
    if (this.idle.length >= this.maxSize || this.maxIdleMs <= 0 || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.idle.push({ socket, since: now });
  }

  /** Closes idle connections older than the limit; called periodically so idle sockets do not pile up. */
  sweep(now = Date.now()): void {
    let kept = 0;
    for (const entry of this.idle) {
      if (now - entry.since < this.maxIdleMs && !entry.socket.destroyed) this.idle[kept++] = entry;
      else entry.socket.destroy();
    }
    this.idle.length = kept;
  }

  /** Forgets a connection that closed while idle (the proxy's close listener calls this). */
  remove(socket: Socket): void {
    const i = this.idle.findIndex((e) => e.socket === socket);
    if (i !== -1) this.idle.splice(i, 1);
  }

  destroyAll(): void {
    for (const entry of this.idle.splice(0)) entry.socket.destroy();
  }
}

