/** Waiting for an emitter's state to change, bounded: the first of some events, or the time running out. */

interface Emitter {
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves with the name of the first of `events` that `emitter` emits, or 'timeout' after `timeoutMs`. Every
 * listener and the timer are removed either way.
 */
export function firstEvent<E extends string>(emitter: Emitter, events: readonly E[], timeoutMs: number): Promise<E | 'timeout'> {
  return new Promise((resolve) => {
    const listeners = events.map((event) => [event, () => done(event)] as const);
    const done = (outcome: E | 'timeout') => {
      clearTimeout(timer);
      for (const [event, listener] of listeners) emitter.off(event, listener);
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    for (const [event, listener] of listeners) emitter.once(event, listener);
  });
}
