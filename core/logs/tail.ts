/**
 * The live tail of one app's output: the recent lines of all its workers, in arrival order, for the UI and the CLI
 * (`berth logs -f`). Independent of log files: it works with `loggingEnabled: false` and while the log folder is
 * failing.
 *
 * Memory is bounded everywhere: the history keeps the last `maxLines` lines and at most `maxBytes` (as bytes in one
 * buffer, decoded only when read: see line-ring.ts); a line is held per worker and stream, and kept, only up to
 * `maxLineBytes` (longer ones are passed on in pieces marked `cut`); and each subscriber's undelivered lines are
 * bounded the same way, the oldest dropped and counted in the next batch's `dropped`, so a slow subscriber (a UI over
 * a slow link) costs memory no matter how fast an app prints. Lines become strings and objects only for subscribers
 * and readers: an app printing with nobody watching costs one copy of its bytes here.
 */
import type { LogLine, LogStream } from '../shared/types.js';
import { LineRing } from './line-ring.js';

/** The engine's name for a tail line (the same type as the protocol's LogLine). */
export type { LogLine as TailLine } from '../shared/types.js';

export interface TailBatch {
  lines: LogLine[];
  /** Lines this subscriber missed since its last batch because it fell too far behind. */
  dropped: number;
}

/** Gets batches in order. Returning a promise holds further batches until it settles (a slow consumer). */
export type TailSubscriber = (batch: TailBatch) => void | Promise<unknown>;

export interface LogTailOptions {
  maxLines?: number;
  maxBytes?: number;
  /** An unfinished line longer than this is passed on in pieces. */
  maxLineBytes?: number;
  /** New lines reach subscribers at most this long after they arrive... */
  batchMs?: number;
  /** ...or at once when this many are waiting. */
  batchLines?: number;
  now?: () => number;
}

interface Subscription {
  callback: TailSubscriber;
  pending: Bounded;
  dropped: number;
  timer: NodeJS.Timeout | undefined;
  immediate: NodeJS.Immediate | undefined;
  busy: boolean;
  closed: boolean;
}

/** A FIFO of lines bounded by count and bytes; drops from the front. O(1) amortised per line. */
class Bounded {
  private items: LogLine[] = [];
  private start = 0;
  private bytes = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.start;
  }

  /** Adds a line; returns how many old lines were dropped to make room. */
  push(line: LogLine): number {
    this.items.push(line);
    this.bytes += lineBytes(line);
    let dropped = 0;
    while (this.length > 0 && (this.length > this.maxLines || (this.bytes > this.maxBytes && this.length > 1))) {
      this.bytes -= lineBytes(this.items[this.start]!);
      this.start++;
      dropped++;
    }
    // Compact now and then, so the array does not grow without end and shifting stays rare.
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return dropped;
  }

  last(n: number): LogLine[] {
    if (n <= 0) return [];
    return this.items.slice(Math.max(this.start, this.items.length - n));
  }

  takeAll(): LogLine[] {
    const all = this.items.slice(this.start);
    this.items = [];
    this.start = 0;
    this.bytes = 0;
    return all;
  }
}

/** Roughly the memory a line costs: its text (UTF-16) and the record around it. */
function lineBytes(line: LogLine): number {
  return line.text.length * 2 + 64;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export class LogTail {
  private readonly history: LineRing;
  private readonly partial = new Map<string, { pid: number; stream: LogStream; pieces: Buffer[]; bytes: number }>();
  private readonly subs = new Set<Subscription>();
  private seq = 0;
  private readonly o: Required<LogTailOptions>;

  constructor(options: LogTailOptions = {}) {
    this.o = {
      maxLines: options.maxLines ?? 5000,
      maxBytes: options.maxBytes ?? 2 * 1024 * 1024,
      maxLineBytes: options.maxLineBytes ?? 64 * 1024,
      batchMs: options.batchMs ?? 50,
      batchLines: options.batchLines ?? 500,
      now: options.now ?? Date.now,
    };
    // maxBytes counts memory as for strings (2 bytes a character): the history keeps half of it in UTF-8 bytes.
    this.history = new LineRing(this.o.maxLines, Math.max(1, Math.floor(this.o.maxBytes / 2)));
  }

  /** A chunk of a worker's output. Complete lines are recorded; an unfinished last line waits for its end. */
  push(pid: number, stream: LogStream, chunk: Buffer): void {
    const time = this.o.now();
    let start = 0;
    let key: string | undefined;
    let held = this.partial.size > 0 ? this.partial.get((key = `${pid}:${stream}`)) : undefined;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (held) {
        this.partial.delete(key!);
        held.pieces.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(held.pieces);
        this.record(pid, stream, time, whole, 0, whole.length, false);
        held = undefined;
      } else {
        this.record(pid, stream, time, chunk, start, nl, false);
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      key ??= `${pid}:${stream}`;
      const rest = chunk.subarray(start);
      held ??= { pid, stream, pieces: [], bytes: 0 };
      // Copied: the caller's buffer may be large, and holding a slice would keep all of it alive.
      held.pieces.push(Buffer.from(rest));
      held.bytes += rest.length;
      this.partial.set(key, held);
      if (held.bytes >= this.o.maxLineBytes) {
        this.partial.delete(key);
        const whole = Buffer.concat(held.pieces);
        this.record(pid, stream, time, whole, 0, whole.length, true);
      }
    }
  }

  /** The worker's streams ended (it exited): its unfinished lines are recorded as they are. */
  end(pid: number, stream?: LogStream): void {
    for (const s of stream ? [stream] : (['stdout', 'stderr'] as const)) {
      const key = `${pid}:${s}`;
      const held = this.partial.get(key);
      if (!held) continue;
      this.partial.delete(key);
      const whole = Buffer.concat(held.pieces);
      this.record(pid, s, this.o.now(), whole, 0, whole.length, false);
    }
  }

  /** The last `n` lines (all kept lines when n is omitted). */
  lines(n = Infinity): LogLine[] {
    return this.history.last(n === Infinity ? this.o.maxLines : n);
  }

  /**
   * Calls `callback` first with the last `lines` lines, then with new lines as they arrive, batched (every
   * `batchMs`, or at once when `batchLines` are waiting). Returns the unsubscribe function. Callbacks are never
   * called synchronously from `subscribe` or `push`.
   */
  subscribe(options: { lines?: number }, callback: TailSubscriber): () => void {
    const sub: Subscription = {
      callback,
      pending: new Bounded(this.o.maxLines, this.o.maxBytes),
      dropped: 0,
      timer: undefined,
      immediate: undefined,
      busy: false,
      closed: false,
    };
    for (const line of this.history.last(options.lines ?? 0)) sub.pending.push(line);
    this.subs.add(sub);
    // The history goes out at once, even when empty: the subscriber learns that it is connected.
    this.deliverSoon(sub);
    return () => {
      sub.closed = true;
      clearTimeout(sub.timer);
      if (sub.immediate) clearImmediate(sub.immediate);
      this.subs.delete(sub);
    };
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Ends every subscription and forgets unfinished lines. */
  close(): void {
    for (const sub of this.subs) {
      sub.closed = true;
      clearTimeout(sub.timer);
      if (sub.immediate) clearImmediate(sub.immediate);
    }
    this.subs.clear();
    this.partial.clear();
  }

  /** Records `bytes[from, to)` as a line; one longer than the whole history as pieces marked cut but the last. */
  private record(pid: number, stream: LogStream, time: number, bytes: Buffer, from: number, to: number, cut: boolean): void {
    if (!cut && to > from && bytes[to - 1] === CR) to--;
    const max = this.history.capacity;
    while (to - from > max) {
      // Cut at a character boundary (not inside a UTF-8 sequence), unless none is near.
      let at = from + max;
      while (at > from + max - 4 && at > from + 1 && (bytes[at]! & 0xc0) === 0x80) at--;
      this.store(pid, stream, time, bytes, from, at, true);
      from = at;
    }
    this.store(pid, stream, time, bytes, from, to, cut);
  }

  private store(pid: number, stream: LogStream, time: number, bytes: Buffer, from: number, to: number, cut: boolean): void {
    const seq = ++this.seq;
    this.history.add(seq, time, pid, stream, cut, bytes, from, to);
    if (this.subs.size === 0) return;
    const line: LogLine = { seq, time, pid, stream, text: bytes.toString('utf8', from, to) };
    if (cut) line.cut = true;
    for (const sub of this.subs) {
      sub.dropped += sub.pending.push(line);
      if (sub.pending.length >= this.o.batchLines) this.deliverSoon(sub);
      else if (!sub.timer && !sub.immediate) {
        sub.timer = setTimeout(() => {
          sub.timer = undefined;
          this.deliver(sub);
        }, this.o.batchMs);
        sub.timer.unref();
      }
    }
  }

  private deliverSoon(sub: Subscription): void {
    if (sub.immediate || sub.busy) return;
    clearTimeout(sub.timer);
    sub.timer = undefined;
    sub.immediate = setImmediate(() => {
      sub.immediate = undefined;
      this.deliver(sub);
    });
  }

  private deliver(sub: Subscription): void {
    if (sub.closed || sub.busy) return;
    const batch: TailBatch = { lines: sub.pending.takeAll(), dropped: sub.dropped };
    sub.dropped = 0;
    let result: void | Promise<unknown>;
    try {
      result = sub.callback(batch);
    } catch {
      // A subscriber's bug must not break the tail for the others (or the worker feeding it).
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      sub.busy = true;
      const resume = () => {
        sub.busy = false;
        if (sub.closed) return;
        if (sub.pending.length >= this.o.batchLines || sub.dropped > 0) this.deliverSoon(sub);
        else if (sub.pending.length > 0 && !sub.timer) {
          sub.timer = setTimeout(() => {
            sub.timer = undefined;
            this.deliver(sub);
          }, this.o.batchMs);
          sub.timer.unref();
        }
      };
      (result as Promise<unknown>).then(resume, resume);
    }
  }
}
