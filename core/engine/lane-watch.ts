/**
 * Tells when an app's lane (core/app/lane.ts) changes, as a `lane-changed` event: a debug session starts or stops,
 * a recycle brings settings that need the proxy (or no longer do), a worker reports engine.io. The engine asks after
 * every event of an app, and once a second for what changes without one (engine.io traffic seen by the proxy).
 * An app's first lane is only remembered: whoever reads its view then sees it there.
 */
import { appLane, type LaneApp } from '../app/lane.js';
import type { EngineEvent } from '../events.js';

export class LaneWatch {
  /** Each app's last lane, as `lane: reasons`. */
  private readonly known = new Map<string, string>();

  constructor(private readonly report: (event: EngineEvent) => void) {}

  /** Reports the app's lane when it differs from the last one seen; `app` undefined: it is gone (forgotten). */
  check(name: string, app: LaneApp | undefined): void {
    if (!app) {
      this.known.delete(name);
      return;
    }
    const lane = appLane(app);
    const reasons = lane.lane === 'proxy' ? lane.reasons : [];
    const key = `${lane.lane}: ${reasons.join('; ')}`;
    const last = this.known.get(name);
    this.known.set(name, key);
    if (last !== undefined && last !== key) this.report({ type: 'lane-changed', app: name, lane: lane.lane, reasons });
  }
}
