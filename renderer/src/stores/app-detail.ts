/**
 * The app the detail view shows: its `apps.get` snapshot (workers, configuration) refetched after the app's own
 * events, and the last 10 minutes of each worker's samples for the memory charts (`metrics.history` once, then one
 * sample per second from the metrics feed). Worker rows take their live figures from those samples, so the table
 * moves every second without refetching.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, triggerRef } from 'vue';
import { errorMessage } from '../api/control-client.js';
import { isNotConnected, useConnection } from './connection.js';
import { useFeed } from './feed.js';
import type { AppDetail, AppSample, EngineEvent, MetricsBatch, WorkerSample } from '../../../core/control/protocol.js';

/** 10 minutes of one-second samples. */
export const HISTORY_MAX = 600;
export const HISTORY_WINDOW_MS = HISTORY_MAX * 1000;
const REFRESH_DEBOUNCE_MS = 150;
const POLL_MS = 5000;

export interface WorkerSeries {
  pid: number;
  slot: number;
  generation: number;
  samples: WorkerSample[];
}

export const useAppDetail = defineStore('app-detail', () => {
  const name = ref<string | null>(null);
  const detail = ref<AppDetail | null>(null);
  const error = ref('');
  const loading = ref(false);
  /** Per worker pid; shallow (600 samples × workers need no deep reactivity), triggered by hand. */
  const series = shallowRef(new Map<number, WorkerSeries>());
  /** The app's own seconds (requests per second, p99 latency), the same 10 minutes; replaced, never mutated. */
  const appSamples = shallowRef<AppSample[]>([]);
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let attached = false;

  function attach(): void {
    if (attached) return;
    attached = true;
    const feed = useFeed();
    feed.attach();
    feed.onEvent(onEvent);
    feed.onMetrics(onMetrics);
    useConnection().onConnected(async () => {
      if (name.value) await load(name.value);
    });
  }

  /**
   * Some facts change without an event (uptime is computed here, but the leak hint follows garbage collections):
   * while an app is shown its snapshot is refetched every few seconds.
   */
  let pollTimer: ReturnType<typeof setInterval> | undefined;

  async function open(app: string): Promise<void> {
    attach();
    clearInterval(pollTimer);
    pollTimer = setInterval(() => void reload(), POLL_MS);
    if (name.value !== app) {
      name.value = app;
      detail.value = null;
      series.value = new Map();
      appSamples.value = [];
    }
    await load(app);
  }

  function close(): void {
    clearInterval(pollTimer);
    pollTimer = undefined;
    name.value = null;
    detail.value = null;
    series.value = new Map();
    appSamples.value = [];
  }

  async function load(app: string): Promise<void> {
    loading.value = true;
    try {
      const client = useConnection().client();
      const [next, history] = await Promise.all([client.call('apps.get', { app }), client.call('metrics.history', { app, seconds: HISTORY_MAX })]);
      if (name.value !== app) return;
      detail.value = next;
      error.value = '';
      const map = new Map<number, WorkerSeries>();
      for (const w of history.workers) map.set(w.pid, { pid: w.pid, slot: w.slot, generation: w.generation, samples: w.samples.slice(-HISTORY_MAX) });
      series.value = map;
      appSamples.value = history.samples.slice(-HISTORY_MAX);
    } catch (e) {
      if (name.value === app && !isNotConnected(e)) error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
  }

  /** Refetches the snapshot only (the chart history keeps growing from the feed). */
  async function reload(): Promise<void> {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
    const app = name.value;
    if (!app) return;
    try {
      const next = await useConnection().client().call('apps.get', { app });
      if (name.value === app) {
        detail.value = next;
        error.value = '';
      }
    } catch (e) {
      if (name.value === app && !isNotConnected(e)) error.value = errorMessage(e);
    }
  }

  function onEvent(event: EngineEvent): void {
    if (!name.value || !('app' in event) || event.app !== name.value) return;
    if (event.type === 'app-removed') {
      error.value = `${event.app} was removed.`;
      return;
    }
    if (!refreshTimer) refreshTimer = setTimeout(() => void reload(), REFRESH_DEBOUNCE_MS);
  }

  function onMetrics(batch: MetricsBatch): void {
    const app = batch.apps.find((a) => a.app === name.value);
    if (!app) return;
    const map = series.value;
    const current = new Set<number>();
    for (const w of app.workers) {
      current.add(w.pid);
      let s = map.get(w.pid);
      if (!s) map.set(w.pid, (s = { pid: w.pid, slot: w.slot, generation: w.generation, samples: [] }));
      const last = s.samples[s.samples.length - 1];
      // A new array, not a push: the chart gets it as a prop and re-renders when the reference changes.
      if (!last || last.t < w.sample.t) s.samples = [...s.samples.slice(-(HISTORY_MAX - 1)), w.sample];
    }
    // Workers that are gone keep no chart.
    for (const pid of [...map.keys()]) if (!current.has(pid)) map.delete(pid);
    triggerRef(series);
    const lastApp = appSamples.value[appSamples.value.length - 1];
    if (!lastApp || lastApp.t < app.sample.t) appSamples.value = [...appSamples.value.slice(-(HISTORY_MAX - 1)), app.sample];
    // Live figures into the table rows.
    const d = detail.value;
    if (!d) return;
    d.rss = app.sample.rss;
    d.cpuPercent = app.sample.cpuPercent;
    d.requestsPerSecond = app.sample.requestsPerSecond;
    d.activeRequests = app.sample.activeRequests;
    for (const row of d.workerList) {
      const w = app.workers.find((x) => x.pid === row.pid);
      if (!w) continue;
      row.memory = { rss: w.sample.rss, heapUsed: w.sample.heapUsed, heapTotal: w.sample.heapTotal, external: w.sample.external };
      row.cpuPercent = w.sample.cpuPercent;
      row.activeRequests = w.sample.activeRequests;
      row.totalRequests = w.sample.totalRequests;
    }
  }

  return { name, detail, error, loading, series, appSamples, attach, open, close, load, reload, onEvent, onMetrics };
});
