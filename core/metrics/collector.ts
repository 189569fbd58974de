/**
 * Metrics: once a second, one sample per worker (memory, CPU and event-loop delay reported by the worker's bootstrap;
 * active requests, requests per second, status counts and latency recorded by the proxy) and one per app (sums over
 * its workers). The last 10 minutes are kept per worker and per app, for charts. Nothing here asks the system about
 * processes (no `wmic`): every figure comes from the worker itself or from the proxy.
 *
 * Requests per second are computed from the proxy's cumulative totals: (total now − total at the last sample) /
 * seconds between the two samples, so no request is missed or counted twice whatever the timer's jitter.
 */
import type { AppMetrics, AppSample, MetricsBatch, MetricsHistory, WorkerMetrics, WorkerSample } from './samples.js';

export type { MetricsBatch };
import type { RequestStatsSnapshot } from '../worker/request-stats.js';
import type { WorkerMetrics as BootstrapMetrics } from '../worker/worker.js';
import { Ring } from './ring.js';

/** 10 minutes of one-second samples. */
export const HISTORY_SAMPLES = 600;

/** What the collector reads from a worker (the engine's Worker has all of it). */
export interface MeteredWorker {
  readonly pid: number | undefined;
  readonly index: number;
  readonly generation: number;
  readonly startedAt: number;
  readonly active: number;
  readonly metrics: BootstrapMetrics | undefined;
  readonly stats: { readonly total: number; snapshot(): RequestStatsSnapshot };
}

/** What the collector reads from an app. */
export interface MeteredApp {
  readonly name: string;
  workers(): readonly MeteredWorker[];
}

interface WorkerState {
  app: string;
  ring: Ring<WorkerSample>;
  lastTotal: number;
  lastT: number;
  stats: RequestStatsSnapshot | undefined;
  seen: number;
}

interface AppState {
  ring: Ring<AppSample>;
  totalRequests: number;
  status4xx: number;
  status5xx: number;
  seen: number;
}

export class MetricsCollector {
  private readonly workers = new Map<MeteredWorker, WorkerState>();
  private readonly apps = new Map<string, AppState>();
  private latestBatch: MetricsBatch = { t: 0, apps: [] };
  private tick = 0;

  constructor(private readonly capacity = HISTORY_SAMPLES) {}

  /** Takes one sample of every app and worker; returns the batch (also kept as `latest`). */
  sample(apps: Iterable<MeteredApp>, now = Date.now()): MetricsBatch {
    const tick = ++this.tick;
    const batch: MetricsBatch = { t: now, apps: [] };
    for (const app of apps) {
      let appState = this.apps.get(app.name);
      if (!appState) {
        appState = { ring: new Ring(this.capacity), totalRequests: 0, status4xx: 0, status5xx: 0, seen: tick };
        this.apps.set(app.name, appState);
      }
      appState.seen = tick;
      const workers: WorkerMetrics[] = [];
      for (const worker of app.workers()) {
        const sample = this.sampleWorker(app.name, worker, appState, now, tick);
        if (sample) workers.push({ pid: worker.pid!, slot: worker.index, generation: worker.generation, sample });
      }
      const sample = aggregate(now, workers, appState);
      appState.ring.push(sample);
      const entry: AppMetrics = { app: app.name, sample, workers };
      batch.apps.push(entry);
    }
    // Workers that exited and apps that were removed are forgotten.
    for (const [worker, state] of this.workers) if (state.seen !== tick) this.workers.delete(worker);
    for (const [name, state] of this.apps) if (state.seen !== tick) this.apps.delete(name);
    this.latestBatch = batch;
    return batch;
  }

  private sampleWorker(app: string, worker: MeteredWorker, appState: AppState, now: number, tick: number): WorkerSample | undefined {
    const reported = worker.metrics;
    if (worker.pid === undefined) return undefined;
    let state = this.workers.get(worker);
    if (!state) {
      // Requests served before the first sample count too: from the worker's start.
      state = { app, ring: new Ring(this.capacity), lastTotal: 0, lastT: worker.startedAt, stats: undefined, seen: tick };
      this.workers.set(worker, state);
    }
    state.seen = tick;
    const total = worker.stats.total;
    // Percentiles sort the latest latencies: only worth it when requests were recorded since the last sample.
    const previous = state.stats;
    if (!previous || previous.total !== total) state.stats = worker.stats.snapshot();
    const stats = state.stats!;
    const delta = Math.max(0, total - state.lastTotal);
    const seconds = Math.max(0.001, (now - state.lastT) / 1000);
    appState.totalRequests += delta;
    appState.status4xx += Math.max(0, stats.status4xx - (previous?.status4xx ?? 0));
    appState.status5xx += Math.max(0, stats.status5xx - (previous?.status5xx ?? 0));
    state.lastTotal = total;
    state.lastT = now;
    // Until the worker's first report (about a second after it starts) there is nothing to chart.
    if (!reported) return undefined;
    const sample: WorkerSample = {
      t: now,
      rss: reported.rss,
      heapUsed: reported.heapUsed,
      heapTotal: reported.heapTotal,
      external: reported.external,
      cpuPercent: reported.cpuPercent,
      eventLoopP50: round2(reported.eventLoopDelayMs.p50),
      eventLoopP99: round2(reported.eventLoopDelayMs.p99),
      activeRequests: worker.active,
      requestsPerSecond: round2(delta / seconds),
      totalRequests: total,
      status4xx: stats.status4xx,
      status5xx: stats.status5xx,
      latencyP50: round2(stats.latencyP50),
      latencyP99: round2(stats.latencyP99),
    };
    state.ring.push(sample);
    return sample;
  }

  /** The latest batch, for every app or one. */
  latest(app?: string): MetricsBatch {
    if (app === undefined) return this.latestBatch;
    return { t: this.latestBatch.t, apps: this.latestBatch.apps.filter((a) => a.app === app) };
  }

  /** The app's and its current workers' samples over the last `seconds` (all kept when omitted), oldest first. */
  history(app: string, seconds = this.capacity): MetricsHistory {
    const appState = this.apps.get(app);
    const workers: MetricsHistory['workers'] = [];
    for (const [worker, state] of this.workers) {
      if (state.app !== app || worker.pid === undefined || !state.ring.length) continue;
      workers.push({ pid: worker.pid, slot: worker.index, generation: worker.generation, samples: state.ring.toArray(seconds) });
    }
    return { app, samples: appState?.ring.toArray(seconds) ?? [], workers };
  }
}

function aggregate(t: number, workers: readonly WorkerMetrics[], appState: AppState): AppSample {
  const sample: AppSample = {
    t,
    workers: workers.length,
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    cpuPercent: 0,
    eventLoopP50: 0,
    eventLoopP99: 0,
    activeRequests: 0,
    requestsPerSecond: 0,
    totalRequests: appState.totalRequests,
    status4xx: appState.status4xx,
    status5xx: appState.status5xx,
    latencyP50: 0,
    latencyP99: 0,
  };
  for (const { sample: w } of workers) {
    sample.rss += w.rss;
    sample.heapUsed += w.heapUsed;
    sample.heapTotal += w.heapTotal;
    sample.external += w.external;
    sample.cpuPercent += w.cpuPercent;
    sample.activeRequests += w.activeRequests;
    sample.requestsPerSecond += w.requestsPerSecond;
    sample.eventLoopP50 = Math.max(sample.eventLoopP50, w.eventLoopP50);
    sample.eventLoopP99 = Math.max(sample.eventLoopP99, w.eventLoopP99);
    sample.latencyP50 = Math.max(sample.latencyP50, w.latencyP50);
    sample.latencyP99 = Math.max(sample.latencyP99, w.latencyP99);
  }
  sample.cpuPercent = round2(sample.cpuPercent);
  sample.requestsPerSecond = round2(sample.requestsPerSecond);
  return sample;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
