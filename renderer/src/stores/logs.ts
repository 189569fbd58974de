/**
 * The live tail of one app's output. Lines arrive in batches from `logs.subscribe` and go into a bounded ring
 * (memory stays flat at any rate); the filtered view is kept incrementally (each new line is tested once), and only
 * a filter change rebuilds it. Paused: new lines wait aside (also bounded) and the view holds still.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { errorMessage, type Subscription } from '../api/control-client.js';
import { stripAnsi } from '../util/ansi.js';
import { Ring } from '../util/ring.js';
import { useConnection } from './connection.js';
import type { LogLine } from '../../../core/control/protocol.js';

/** Lines kept per view: about 4 MB of text at typical line lengths. */
export const LOG_CAPACITY = 20_000;
/** Lines loaded when the view opens. */
export const BACKLOG_LINES = 1000;

export type StreamFilter = 'all' | 'stdout' | 'stderr';

export interface LogFilter {
  stream: StreamFilter;
  /** Only this worker's lines (pid), or all. */
  pid: number | null;
  /** Case-insensitive text the line must contain. */
  search: string;
}

export function matches(line: LogLine, filter: LogFilter): boolean {
  if (filter.stream !== 'all' && line.stream !== filter.stream) return false;
  if (filter.pid !== null && line.pid !== filter.pid) return false;
  if (filter.search && !stripAnsi(line.text).toLowerCase().includes(filter.search.toLowerCase())) return false;
  return true;
}

export const useLogs = defineStore('logs', () => {
  const app = ref<string | null>(null);
  const error = ref('');
  const paused = ref(false);
  const follow = ref(true);
  /** Long lines wrap (the default), or scroll sideways; remembered in this browser. */
  const wrap = ref(readWrap());
  const filter = ref<LogFilter>({ stream: 'all', pid: null, search: '' });
  /** Every kept line; markRaw: Vue must not wrap 20 000 objects. */
  const all = shallowRef(markRaw(new Ring<LogLine>(LOG_CAPACITY)));
  const view = shallowRef(markRaw(new Ring<LogLine>(LOG_CAPACITY)));
  /** Lines that arrived while paused. */
  const pending = shallowRef(markRaw(new Ring<LogLine>(LOG_CAPACITY)));
  /** Bumped on every change: components depend on it to re-render. */
  const version = ref(0);
  /** Lines the engine skipped because this view read too slowly, plus lines pushed out of a full pause buffer. */
  const missed = ref(0);
  /** Worker pids seen in the output (for the worker filter). */
  const pids = ref<number[]>([]);
  let subscription: Subscription<'logs.subscribe'> | undefined;
  /** The last line received before pausing (by seq). */
  let pausedAfter = -1;
  /** Bumped per subscription: pushes for an older one are ignored. */
  let generation = 0;
  let attached = false;
  const lineCount = computed(() => (version.value, view.value.length));
  const pendingCount = computed(() => (version.value, pending.value.length));

  function attach(): void {
    if (attached) return;
    attached = true;
    useConnection().onConnected(async () => {
      if (app.value) await subscribe(app.value);
    });
  }

  async function open(name: string): Promise<void> {
    attach();
    if (app.value === name && subscription) return;
    await close();
    app.value = name;
    await subscribe(name).catch(() => undefined);
  }

  async function close(): Promise<void> {
    const s = subscription;
    subscription = undefined;
    generation++;
    app.value = null;
    resetBuffers();
    // Gone already (the app was removed, the engine restarted): nothing to end.
    await s?.unsubscribe().catch(() => undefined);
  }

  function resetBuffers(): void {
    all.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    view.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    pending.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    pids.value = [];
    missed.value = 0;
    version.value++;
  }

  async function subscribe(name: string): Promise<void> {
    const mine = ++generation;
    // The backlog comes in the subscribe call's result; pushes may arrive before it is read: hold them until then.
    let backlogRead = false;
    const early: LogLine[] = [];
    try {
      const s = await useConnection().client().subscribe('logs.subscribe', { app: name, lines: BACKLOG_LINES }, (batch) => {
        if (mine !== generation) return;
        missed.value += batch.dropped;
        if (backlogRead) receive(batch.lines);
        else early.push(...batch.lines);
      });
      if (mine !== generation || app.value !== name) {
        await s.unsubscribe().catch(() => undefined);
        return;
      }
      subscription = s;
      // After a reconnect the backlog repeats lines already shown: start over from it.
      resetBuffers();
      receive(s.result.lines);
      backlogRead = true;
      receive(early);
      error.value = '';
    } catch (e) {
      if (mine === generation) error.value = errorMessage(e);
      throw e;
    }
  }

  /** Takes new lines (exported for tests and for the subscription). */
  function receive(lines: readonly LogLine[]): void {
    if (!lines.length) return;
    const known = new Set(pids.value);
    let newPid = false;
    for (const line of lines) {
      all.value.push(line);
      if (!known.has(line.pid)) {
        known.add(line.pid);
        newPid = true;
      }
      if (!matches(line, filter.value)) continue;
      if (paused.value) {
        if (pending.value.length === pending.value.capacity) missed.value++;
        pending.value.push(line);
      } else view.value.push(line);
    }
    if (newPid) pids.value = [...known].sort((a, b) => a - b);
    version.value++;
  }

  function setFilter(patch: Partial<LogFilter>): void {
    filter.value = { ...filter.value, ...patch };
    rebuild();
  }

  /** The view from scratch, after a filter change; while paused, lines that came after the pause stay aside. */
  function rebuild(): void {
    const next = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    const aside = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    const lines = all.value;
    for (let i = 0; i < lines.length; i++) {
      const line = lines.at(i)!;
      if (!matches(line, filter.value)) continue;
      if (paused.value && line.seq > pausedAfter) aside.push(line);
      else next.push(line);
    }
    view.value = next;
    pending.value = aside;
    version.value++;
  }

  function pause(): void {
    paused.value = true;
    follow.value = false;
    pausedAfter = all.value.length ? all.value.at(all.value.length - 1)!.seq : -1;
  }

  function resume(): void {
    paused.value = false;
    view.value.pushAll(pending.value.toArray());
    pending.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    follow.value = true;
    version.value++;
  }

  function clearView(): void {
    view.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    all.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    pending.value = markRaw(new Ring<LogLine>(LOG_CAPACITY));
    version.value++;
  }

  /** The filtered lines as text, for the clipboard. */
  function text(): string {
    // Colour codes are noise in a paste.
    return view.value.toArray().map((l) => stripAnsi(l.text)).join('\n');
  }

  function setFollow(on: boolean): void {
    follow.value = on;
  }

  function setWrap(on: boolean): void {
    wrap.value = on;
    try {
      localStorage.setItem(WRAP_KEY, on ? 'on' : 'off');
    } catch {
      // Storage can be unavailable; the choice then lasts for this window.
    }
  }

  return { wrap, setWrap, app, error, paused, follow, filter, all, view, pending, version, missed, pids, lineCount, pendingCount, open, close, receive, setFilter, pause, resume, clearView, text, setFollow };
});

const WRAP_KEY = 'berth.logs.wrap';

function readWrap(): boolean {
  try {
    return localStorage.getItem(WRAP_KEY) !== 'off';
  } catch {
    return true;
  }
}
