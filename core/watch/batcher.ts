/**
 * Collects file changes into one recycle trigger. An editor's save, a `git checkout` of 200 files or an `npm run
 * build` are bursts of events; recycling once per event would start generations that are replaced before they are
 * ready. So changes are reported once the file system has been quiet for `debounceMs`, or at the latest `maxWaitMs`
 * after the first change, so that a stream of writes that never pauses (a log file someone matched with `**`) still
 * recycles the app.
 */

export type ChangeKind = 'added' | 'changed' | 'deleted';

export interface ChangeTrigger {
  /** The changed files, relative to the app folder with forward slashes, in the order first seen; capped. */
  files: string[];
  /** The file whose change started this trigger. */
  first: string;
  /** How many distinct files changed (may exceed `files.length`). */
  count: number;
  /** A sentence for logs and notifications: `server.js changed`, `3 files changed (server.js, lib/a.js, lib/b.js)`. */
  reason: string;
}

/** The timer functions the batcher uses, injectable so tests drive time by hand. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatcherOptions {
  debounceMs: number;
  maxWaitMs: number;
  /** At most this many files are listed in a trigger. */
  maxListed?: number;
  timers?: Timers;
}

export const DEFAULT_DEBOUNCE_MS = 300;
export const DEFAULT_MAX_WAIT_MS = 2000;
export const DEFAULT_MAX_LISTED = 100;
/** How many file names the reason sentence shows before `…`. */
const NAMES_IN_REASON = 3;

const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Two events for one file within a batch, as one: created-then-written is still "added", replaced is "changed". */
function mergeKinds(previous: ChangeKind | undefined, next: ChangeKind): ChangeKind {
  if (previous === 'added' && next === 'changed') return 'added';
  if (previous === 'deleted' && next === 'added') return 'changed';
  return next;
}

export function describeChanges(files: readonly string[], count: number, firstKind: ChangeKind): string {
  if (count === 1 && files[0] !== undefined) return `${files[0]} ${firstKind}`;
  const shown = files.slice(0, NAMES_IN_REASON);
  return `${count} files changed (${shown.join(', ')}${count > shown.length ? ', …' : ''})`;
}

export class ChangeBatcher {
  readonly #options: Required<BatcherOptions>;
  readonly #onTrigger: (trigger: ChangeTrigger) => void;
  /** Distinct changed files of the pending batch, in first-seen order, with their merged kind. */
  #pending = new Map<string, ChangeKind>();
  #quietTimer: unknown = undefined;
  #maxTimer: unknown = undefined;
  #cancelled = false;

  constructor(options: BatcherOptions, onTrigger: (trigger: ChangeTrigger) => void) {
    this.#options = {
      debounceMs: options.debounceMs,
      maxWaitMs: options.maxWaitMs,
      maxListed: options.maxListed ?? DEFAULT_MAX_LISTED,
      timers: options.timers ?? systemTimers,
    };
    this.#onTrigger = onTrigger;
  }

  /** True while changes wait for the quiet window. */
  get pending(): boolean {
    return this.#pending.size > 0;
  }

  record(file: string, kind: ChangeKind): void {
    if (this.#cancelled) return;
    const { timers, debounceMs, maxWaitMs } = this.#options;
    this.#pending.set(file, mergeKinds(this.#pending.get(file), kind));
    if (this.#quietTimer !== undefined) timers.clearTimeout(this.#quietTimer);
    this.#quietTimer = timers.setTimeout(() => this.flush(), debounceMs);
    if (this.#maxTimer === undefined) this.#maxTimer = timers.setTimeout(() => this.flush(), Math.max(maxWaitMs, debounceMs));
  }

  /** Reports the pending changes now, if any. */
  flush(): void {
    this.#clearTimers();
    if (!this.#pending.size || this.#cancelled) return;
    const entries = [...this.#pending];
    this.#pending = new Map();
    const [first, firstKind] = entries[0]!;
    const files = entries.slice(0, this.#options.maxListed).map(([file]) => file);
    this.#onTrigger({ files, first, count: entries.length, reason: describeChanges(files, entries.length, firstKind) });
  }

  /** Drops pending changes and ignores any later ones (the watcher is closing). */
  cancel(): void {
    this.#cancelled = true;
    this.#clearTimers();
    this.#pending.clear();
  }

  #clearTimers(): void {
    const { timers } = this.#options;
    if (this.#quietTimer !== undefined) timers.clearTimeout(this.#quietTimer);
    if (this.#maxTimer !== undefined) timers.clearTimeout(this.#maxTimer);
    this.#quietTimer = this.#maxTimer = undefined;
  }
}
