/**
 * The metrics Berth samples, as the collector (collector.ts) makes them and the control protocol sends them
 * (protocol.ts re-exports these types): one second of a worker, one second of an app, a batch of every app's latest
 * second, and an app's history. Types only, so the browser bundle may use them through the protocol.
 */

/** One second of one worker. */
export interface WorkerSample {
  /** Epoch ms. */
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Percent of one core. */
  cpuPercent: number;
  eventLoopP50: number;
  eventLoopP99: number;
  activeRequests: number;
  requestsPerSecond: number;
  /** Cumulative since the worker started. */
  totalRequests: number;
  status4xx: number;
  status5xx: number;
  /** ms, over the worker's latest 1024 requests. */
  latencyP50: number;
  latencyP99: number;
}

/** One second of one app: sums over its workers (latency and event-loop delay: the slowest worker's). */
export interface AppSample {
  t: number;
  workers: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  cpuPercent: number;
  eventLoopP50: number;
  eventLoopP99: number;
  activeRequests: number;
  requestsPerSecond: number;
  /** Cumulative since the app was added (across workers and generations). */
  totalRequests: number;
  status4xx: number;
  status5xx: number;
  latencyP50: number;
  latencyP99: number;
}

export interface WorkerMetrics {
  pid: number;
  slot: number;
  generation: number;
  sample: WorkerSample;
}

export interface AppMetrics {
  app: string;
  sample: AppSample;
  workers: WorkerMetrics[];
}

/** Every app's latest second (pushed once a second to metrics subscribers). */
export interface MetricsBatch {
  t: number;
  apps: AppMetrics[];
}

export interface MetricsHistory {
  app: string;
  /** Oldest first, one per second, at most 600 (10 minutes). */
  samples: AppSample[];
  workers: { pid: number; slot: number; generation: number; samples: WorkerSample[] }[];
}
