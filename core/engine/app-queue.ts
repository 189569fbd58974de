/**
 * The per-app queue: operations that change an app's lifecycle (start, stop, restart, enable, remove, debugging on
 * and off) run one at a time, in the order they were asked for, so two callers never interleave a stop with a
 * recycle. Reads (views, logs, snapshots) do not queue.
 */
import type { App } from '../app/app.js';
import type { EngineEvent } from '../events.js';
import type { AppRecord } from './app-records.js';
import { EngineError } from './errors.js';

/**
 * Runs `work` after every operation queued before it on this app has finished (failed ones included). When the app
 * was removed while the work waited, it does not run and APP_NOT_FOUND is thrown instead.
 */
export function exclusive<T>(record: AppRecord, isCurrent: () => boolean, work: () => Promise<T>): Promise<T> {
  const run = record.queue.catch(() => undefined).then(() => {
    if (!isCurrent()) throw new EngineError('APP_NOT_FOUND', `The app ${record.name} was removed.`);
    return work();
  });
  record.queue = run;
  return run;
}

/** Where the engine's events can be followed. */
export interface EngineEventSource {
  on(type: 'event', listener: (event: EngineEvent) => void): unknown;
  off(type: 'event', listener: (event: EngineEvent) => void): unknown;
}

/** Waits until the app is no longer starting (running, errored or stopped), or `timeoutMs` has passed. */
export function settle(app: App, events: EngineEventSource, timeoutMs: number): Promise<void> {
  if (app.state !== 'starting') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      events.off('event', onEvent);
      resolve();
    };
    const onEvent = (event: EngineEvent) => {
      if (event.type === 'app-state' && event.app === app.name && event.state !== 'starting') done();
    };
    const timer = setTimeout(done, timeoutMs);
    events.on('event', onEvent);
  });
}
