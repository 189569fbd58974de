/** The control server's bounds: what one connection may ask for and hold. */

/** Most lines `logs.get` and `logs.subscribe` return at once (the live tail keeps 5000). */
export const MAX_LOG_LINES = 5000;
/** Most subscriptions one connection may hold. */
export const MAX_SUBSCRIPTIONS = 100;
/**
 * Bytes waiting to be sent to one client above which it counts as slow: its metrics pushes are dropped (and counted),
 * its log batches wait (the live tail keeps a bounded backlog and counts what it drops), its events queue up.
 */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Events queued for one slow subscription before the oldest are dropped (and counted). */
export const MAX_QUEUED_EVENTS = 10_000;
