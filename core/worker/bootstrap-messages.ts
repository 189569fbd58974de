/**
 * What a worker's bootstrap tells the engine over IPC (the protocol is listed in bootstrap.cts), read into typed
 * messages: the worker acts on these and on nothing else it receives.
 */

/** What the bootstrap reports every second. */
export interface WorkerMetrics {
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  cpuPercent: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Heap used right after each of the last major garbage collections, oldest first. */
  heapAfterGc?: number[];
  /** Requests served on handed connections (the fast lane) since the worker started. */
  handedRequests?: number;
  /** The app has loaded engine.io (socket.io): sent until the engine knows. */
  engineIo?: boolean;
}

/** The answer to a heap snapshot or CPU profile request (requests.ts). */
export interface BootstrapAnswer {
  berth: 'heap-snapshot-done' | 'cpu-profile-done';
  id: number;
  error?: string;
  path?: string;
  size?: number;
}

export type BootstrapMessage =
  | BootstrapAnswer
  /** It listens on PORT; `engineIo`: the app has loaded engine.io (socket.io), so it keeps to the proxy lane. */
  | { berth: 'ready'; engineIo?: boolean }
  | { berth: 'connection-closed' }
  | { berth: 'metrics'; metrics: WorkerMetrics }
  /** A server listens on PORT (with its keep-alive timeout), or somewhere else (`elsewhere`: "TCP port 3000"). */
  | { berth: 'listening'; keepAliveTimeout?: number; elsewhere?: string }
  | { berth: 'listen-redirected'; from: string; hint?: string }
  /** Something else: it still proves the worker's event loop runs (the heartbeat). */
  | { berth: 'other' };

/** Reads an IPC message from the bootstrap; undefined when it is not an object at all. */
export function readBootstrapMessage(message: unknown): BootstrapMessage | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const m = message as { berth?: unknown; id?: unknown; engineIo?: unknown; address?: unknown; isEndpoint?: unknown; keepAliveTimeout?: unknown; from?: unknown; hint?: unknown };
  switch (m.berth) {
    case 'heap-snapshot-done':
    case 'cpu-profile-done':
      return typeof m.id === 'number' ? (message as BootstrapAnswer) : { berth: 'other' };
    case 'ready':
      return m.engineIo === true ? { berth: 'ready', engineIo: true } : { berth: 'ready' };
    case 'connection-closed':
      return { berth: m.berth };
    case 'metrics':
      return { berth: 'metrics', metrics: message as WorkerMetrics };
    case 'listening': {
      if (m.isEndpoint) return { berth: 'listening', ...(typeof m.keepAliveTimeout === 'number' ? { keepAliveTimeout: m.keepAliveTimeout } : {}) };
      const a = m.address as { port?: number; host?: string } | string | null;
      return { berth: 'listening', elsewhere: typeof a === 'string' ? a : a ? `TCP port ${a.port}` : 'an unknown address' };
    }
    case 'listen-redirected':
      return { berth: 'listen-redirected', from: String(m.from), ...(typeof m.hint === 'string' ? { hint: m.hint } : {}) };
    default:
      return { berth: 'other' };
  }
}
