import type { LoadedConfig } from '../config/load.js';
import type { AppLogCapture } from '../logs/capture.js';
import type { UpstreamPool } from '../proxy/upstream-pool.js';
import type { Worker } from '../worker/worker.js';
import type { DetectedEntry } from './entry.js';

/** A worker as the app layer runs it: with the proxy's pool of idle connections to it (made by spawner.ts). */
export type AppWorker = Worker<UpstreamPool>;

/** One version of an app: the configuration and entry its workers were started with. */
export interface AppVersion {
  config: LoadedConfig;
  entry: DetectedEntry;
}

export type Balancing = 'roundRobin' | 'leastBusy';

/** The balancer's answer: a worker, or why there is none. */
export type Choice = { worker: AppWorker; slot: number } | { none: 'full' | 'no-workers' };

/**
 * The workers of one version of an app, one per slot. Upgrades start a new generation and drain the old one;
 * routing always asks the current generation.
 */
export class Generation {
  /** Worker per slot; a slot is empty while its crashed worker waits to be replaced. */
  readonly slots: (AppWorker | undefined)[];
  /** Where this generation's workers' output goes. */
  logs: AppLogCapture | undefined;
  /** Set for a debug generation: its worker runs with the inspector on this port. */
  debug: { port: number; brk: boolean } | undefined;
  /**
   * Every worker it started that has not exited: the slots' workers plus replaced ones still retiring. Closing the
   * generation waits for all of them, since any of them writes to its logs.
   */
  readonly running = new Set<AppWorker>();
  /** Set once it is being closed (its workers stopped, then its logs closed): no worker starts in it any more. */
  closing: Promise<void> | undefined;
  /** The redirect of the app's listen() was already reported for this generation (spawner.ts). */
  redirectReported = false;
  /** Engine.io traffic reached this generation (lane.ts): it keeps to the proxy lane. */
  realtimeSeen = false;
  private cursor = 0;

  constructor(
    readonly id: number,
    size: number,
    readonly version: AppVersion,
  ) {
    this.slots = new Array<AppWorker | undefined>(size).fill(undefined);
  }

  get size(): number {
    return this.slots.length;
  }

  workers(): AppWorker[] {
    return this.slots.filter((w): w is AppWorker => w !== undefined);
  }

  /**
   * Chooses a worker for a request. A worker that is still starting takes its turn (the request waits for it, as in
   * iisnode); empty slots and stopping workers are skipped, and so is a worker already holding `cap` requests, so a
   * request goes to another worker with room before the app is declared full (iisnode answered 503 at once).
   *
   * - `roundRobin`: iisnode's order: the cursor moves first, so with two workers the first request goes to slot 1,
   *   then 0, 1, 0…
   * - `leastBusy`: the worker with the fewest active requests; ties go to the next one in round-robin order.
   * - `preferredSlot` (sticky sessions): that slot when it can take the request, else the policy above.
   */
  choose(balancing: Balancing, cap: number, preferredSlot?: number): Choice {
    const n = this.slots.length;
    let sawLive = false;
    if (preferredSlot !== undefined && n > 0) {
      const slot = preferredSlot % n;
      const worker = this.slots[slot];
      if (worker && isLive(worker)) {
        if (worker.active < cap) return { worker, slot };
        sawLive = true;
      }
    }
    let best = -1;
    let bestActive = Infinity;
    for (let step = 1; step <= n; step++) {
      const slot = (this.cursor + step) % n;
      const worker = this.slots[slot];
      if (!worker || !isLive(worker)) continue;
      sawLive = true;
      if (worker.active >= cap) continue;
      if (balancing === 'roundRobin') {
        best = slot;
        break;
      }
      if (worker.active < bestActive) {
        best = slot;
        bestActive = worker.active;
        if (bestActive === 0) break;
      }
    }
    if (best === -1) return { none: sawLive ? 'full' : 'no-workers' };
    this.cursor = best;
    return { worker: this.slots[best]!, slot: best };
  }

  /**
   * Chooses a ready worker to hand a whole client connection to (the fast lane): its handed connections and proxied
   * requests together must stay under `cap`. `leastBusy` counts both; `roundRobin` shares the cursor with `choose`.
   * Undefined when no ready worker has room (the connection then takes the proxy lane, which waits or says why).
   */
  chooseConnection(balancing: Balancing, cap: number): AppWorker | undefined {
    const n = this.slots.length;
    let best = -1;
    let bestLoad = Infinity;
    for (let step = 1; step <= n; step++) {
      const slot = (this.cursor + step) % n;
      const worker = this.slots[slot];
      if (!worker || worker.state !== 'ready') continue;
      const load = worker.active + worker.handed;
      if (load >= cap) continue;
      if (balancing === 'roundRobin') {
        best = slot;
        break;
      }
      if (load < bestLoad) {
        best = slot;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    if (best === -1) return undefined;
    this.cursor = best;
    return this.slots[best];
  }

  /** Whether this generation serves engine.io (socket.io): its traffic was seen, or a worker loaded it. */
  get realtime(): boolean {
    if (this.realtimeSeen) return true;
    for (const worker of this.slots) if (worker?.usesEngineIo) return true;
    return false;
  }

  get activeRequests(): number {
    let sum = 0;
    for (const worker of this.slots) if (worker) sum += worker.active;
    return sum;
  }
}

function isLive(worker: AppWorker): boolean {
  return worker.state === 'ready' || worker.state === 'starting';
}
