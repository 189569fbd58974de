/**
 * When the engine's start-up ends, for its V8 flags (v8-flags.ts): once no app is starting any more (each one is
 * running, errored, stopped or asleep), or at the first request (`HostTable.route`), whichever comes first. From then
 * on V8 optimizes what is hot: a log flood or a request burst is served by optimized code as before.
 */
import type { EngineEvent } from '../events.js';
import type { AppState } from '../shared/types.js';
import { endEngineStartUp } from './v8-flags.js';

/** What this reads of the engine. */
export interface StartingEngine {
  appRecords(): readonly { readonly app: { readonly state: AppState } | undefined }[];
  on(name: 'event', listener: (event: EngineEvent) => void): unknown;
  off(name: 'event', listener: (event: EngineEvent) => void): unknown;
}

/** Ends start-up (`end`) once the engine's apps have all left `starting` (call it after adding the first apps). */
export function endStartUpWhenAppsSettle(engine: StartingEngine, end: () => void = endEngineStartUp): void {
  const settled = () => engine.appRecords().every((record) => record.app?.state !== 'starting');
  if (settled()) return end();
  const onEvent = (event: EngineEvent) => {
    if (event.type !== 'app-state' || !settled()) return;
    engine.off('event', onEvent);
    end();
  };
  engine.on('event', onEvent);
}
