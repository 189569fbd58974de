import type { EngineEvent } from '../../core/events.js';
import { PATIENCE } from './wine.js';

/** Records an engine's events and lets a test wait for one (already seen or still to come). */
export class EventRecorder {
  readonly events: EngineEvent[] = [];
  private readonly waiters = new Set<{ match: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }>();

  /** Pass to `engine.on('event', ...)`. */
  readonly record = (event: EngineEvent): void => {
    this.events.push(event);
    for (const waiter of this.waiters) {
      if (waiter.match(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  };

  /** Resolves with the first event that matches (the timeout is PATIENCE times longer under Wine). */
  waitFor(match: (e: EngineEvent) => boolean, timeoutMs = 15_000): Promise<EngineEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: EngineEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for an event; events so far: ${JSON.stringify(this.events.map((x) => x.type))}`));
      }, timeoutMs * PATIENCE);
      this.waiters.add(waiter);
    });
  }
}
