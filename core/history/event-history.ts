/**
 * The engine's memory of what happened to each app: its last events (at most `perApp`), each with the time it
 * happened, and its last crash with the output that explains it, kept apart so that a burst of later events never
 * pushes the reason an app is `errored` out of sight. It outlives the window (the UI reads it when it opens) and, with
 * a file, the engine itself: the file in the Berth home is written atomically, at most once per `debounceMs`, and
 * bounded (events per app, apps, and the length of every text in an event).
 */
import { readFile } from 'node:fs/promises';
import type { EngineEvent } from '../events.js';
import { writeFileAtomic } from '../registry/atomic-write.js';

/** One remembered event. */
export interface HistoryEntry {
  /** Increases by one per remembered event of the engine (across apps and restarts). */
  seq: number;
  /** Epoch ms. */
  time: number;
  event: EngineEvent;
  /** For crashes: the app's last output lines before it (stdout and stderr, oldest first). */
  output?: { stream: 'stdout' | 'stderr'; text: string }[];
}

export interface AppHistory {
  app: string;
  /** Oldest first. */
  events: HistoryEntry[];
  /** The last crash (a worker that exited unasked, or an app error), null when there was none. */
  lastCrash: HistoryEntry | null;
}

export interface EventHistoryOptions {
  /** Where the history is kept between engine runs; none: in memory only. */
  file?: string;
  /** Events kept per app (default 200). */
  perApp?: number;
  /** At most one write per this many ms (default 1000). */
  debounceMs?: number;
  /** Told when the file cannot be written (the history keeps working in memory). */
  onWriteError?: (error: Error) => void;
}

/** Apps remembered at most (the oldest-touched ones are forgotten first). */
const MAX_APPS = 200;
/** Longest text kept in an event field, and output lines kept with a crash. */
const MAX_TEXT = 4000;
const MAX_OUTPUT_LINES = 40;
const FILE_VERSION = 1;

interface FileShape {
  version: number;
  seq: number;
  apps: Record<string, { events: HistoryEntry[]; lastCrash: HistoryEntry | null }>;
}

/** A worker that exited without being asked, or an error that keeps the app from serving. */
export function isCrash(event: EngineEvent): boolean {
  return (event.type === 'worker-exit' && !event.expected) || event.type === 'app-error' || event.type === 'recycle-failed';
}

/** Long texts are cut (keeping their end, where a stack trace's message usually is not, but the latest lines are). */
function bounded(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `…${value.slice(-MAX_TEXT)}` : value;
  if (Array.isArray(value)) return value.slice(-MAX_OUTPUT_LINES).map(bounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bounded(v)]));
  return value;
}

/** The app's last output lines before a crash (for a worker's exit: that worker's), for `record`. */
export function crashOutput(
  app: { tail: { lines(n?: number): readonly { pid: number; stream: 'stdout' | 'stderr'; text: string }[] } } | undefined,
  event: EngineEvent,
): { stream: 'stdout' | 'stderr'; text: string }[] {
  if (!app) return [];
  const pid = event.type === 'worker-exit' ? event.pid : undefined;
  return app.tail
    .lines(1000)
    .filter((line) => pid === undefined || line.pid === pid)
    .slice(-MAX_OUTPUT_LINES)
    .map(({ stream, text }) => ({ stream, text }));
}

export class EventHistory {
  private readonly apps = new Map<string, { events: HistoryEntry[]; lastCrash: HistoryEntry | null }>();
  private seq = 0;
  private readonly perApp: number;
  private readonly debounceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly options: EventHistoryOptions = {}) {
    this.perApp = Math.max(1, options.perApp ?? 200);
    this.debounceMs = options.debounceMs ?? 1000;
  }

  /** Reads the file of an earlier run; a missing or damaged file starts an empty history (it is only a history). */
  async load(): Promise<void> {
    if (!this.options.file) return;
    let parsed: FileShape;
    try {
      parsed = JSON.parse(await readFile(this.options.file, 'utf8')) as FileShape;
    } catch {
      return;
    }
    if (parsed?.version !== FILE_VERSION || typeof parsed.apps !== 'object' || parsed.apps === null) return;
    this.seq = Math.max(this.seq, Number.isInteger(parsed.seq) ? parsed.seq : 0);
    for (const [app, kept] of Object.entries(parsed.apps)) {
      if (!Array.isArray(kept?.events)) continue;
      // Events recorded since the engine started (before load finished) come after the loaded ones.
      const current = this.apps.get(app);
      const events = [...kept.events, ...(current?.events ?? [])].slice(-this.perApp);
      this.apps.set(app, { events, lastCrash: current?.lastCrash ?? kept.lastCrash ?? null });
    }
  }

  /** Remembers one event. `output` gives the app's recent output lines (asked only for crashes). */
  record(event: EngineEvent, output?: () => { stream: 'stdout' | 'stderr'; text: string }[]): void {
    if (!('app' in event)) return;
    if (event.type === 'app-removed') {
      this.apps.delete(event.app);
      this.changed();
      return;
    }
    const entry: HistoryEntry = { seq: ++this.seq, time: Date.now(), event: bounded(event) as EngineEvent };
    let kept = this.apps.get(event.app);
    if (kept) this.apps.delete(event.app); // re-inserted last: the map's order is least recently touched first
    kept ??= { events: [], lastCrash: null };
    this.apps.set(event.app, kept);
    if (isCrash(event)) {
      const lines = output?.() ?? [];
      if (lines.length) entry.output = bounded(lines) as HistoryEntry['output'];
      kept.lastCrash = entry;
    }
    kept.events.push(entry);
    if (kept.events.length > this.perApp) kept.events.splice(0, kept.events.length - this.perApp);
    if (this.apps.size > MAX_APPS) this.apps.delete(this.apps.keys().next().value!);
    this.changed();
  }

  /** The app's history: its last `limit` events (default all kept), oldest first, and its last crash. */
  of(app: string, limit?: number): AppHistory {
    const kept = this.apps.get(app);
    const events = kept?.events ?? [];
    return { app, events: limit === undefined ? [...events] : events.slice(-limit), lastCrash: kept?.lastCrash ?? null };
  }

  /** Writes pending changes now (the engine calls it when it stops). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
  }

  private changed(): void {
    if (!this.options.file) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.debounceMs).unref();
  }

  private write(): Promise<void> {
    // Writes run one after the other; each writes the state at its own start.
    this.writing = this.writing.then(async () => {
      if (!this.dirty || !this.options.file) return;
      this.dirty = false;
      const shape: FileShape = { version: FILE_VERSION, seq: this.seq, apps: Object.fromEntries(this.apps) };
      try {
        await writeFileAtomic(this.options.file, JSON.stringify(shape), { mode: 0o600 });
      } catch (error) {
        this.options.onWriteError?.(error as Error);
      }
    });
    return this.writing;
  }
}
