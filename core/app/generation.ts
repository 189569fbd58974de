import type { Worker } from '../worker/worker.js';

/**
 * The workers of one version of an app, one per slot. Upgrades (a later issue) start a new generation and drain
 * the old one; routing always asks the current generation.
 */
export class Generation {
  /** Worker per slot; a slot is empty while its crashed worker waits to be replaced. */
  readonly slots: (Worker | undefined)[];
  private cursor = 0;

  constructor(
    readonly id: number,
    size: number,
  ) {
    this.slots = new Array<Worker | undefined>(size).fill(undefined);
  }

  get size(): number {
    return this.slots.length;
  }

  workers(): Worker[] {
    return this.slots.filter((w): w is Worker => w !== undefined);
  }

  /**
   * Round robin in iisnode's order: the cursor moves first, so with two workers the first request goes to slot 1,
   * then 0, 1, 0… A worker that is still starting keeps its turn (the request waits for it, as in iisnode); empty
   * slots and stopping workers are skipped.
   */
  pick(): Worker | undefined {
    const n = this.slots.length;
    for (let tries = 0; tries < n; tries++) {
      this.cursor = (this.cursor + 1) % n;
      const worker = this.slots[this.cursor];
      if (worker && (worker.state === 'ready' || worker.state === 'starting')) return worker;
    }
    return undefined;
  }

  get activeRequests(): number {
    let sum = 0;
    for (const worker of this.slots) if (worker) sum += worker.active;
    return sum;
  }
}
