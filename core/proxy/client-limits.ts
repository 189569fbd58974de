/**
 * The front server's limits on clients, engine-wide (they apply before a request is routed to an app, so they cannot
 * be an app's settings): how long a request head may take, how long a request body may stand still, and how many
 * client connections may be open at once. Like a production server's, so a slow or hostile client (slowloris, a
 * stalled upload) cannot hold a connection forever, and a flood of connections gets a clear 503 instead of the
 * engine running out of file descriptors.
 */

export interface ClientLimits {
  /** A whole request head must arrive within this many ms, counted from its first byte (not reset by each byte). */
  headersTimeoutMs: number;
  /** A request body that receives no byte for this many ms (while Berth is reading it) is ended. */
  bodyIdleTimeoutMs: number;
  /** Client connections open at once; the next one gets a 503 page and is closed. */
  maxConnections: number;
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = {
  headersTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  maxConnections: 10_000,
};

/** How often the front server looks for heads and bodies past their time: often enough for small test limits. */
export function sweepIntervalMs(limits: ClientLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.bodyIdleTimeoutMs) / 4)));
}
