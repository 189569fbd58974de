/**
 * Per-worker request statistics kept by the proxy: totals by status class and the latest latencies for
 * percentiles. Recording is a few array writes, cheap enough for every request.
 */

/** Latencies kept for percentiles. */
const SAMPLES = 1024;

export interface RequestStatsSnapshot {
  total: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** Milliseconds, over the latest samples (0 without samples). */
  latencyP50: number;
  latencyP99: number;
}

export class RequestStats {
  total = 0;
  private readonly byClass = [0, 0, 0, 0, 0, 0];
  private readonly latencies = new Float64Array(SAMPLES);
  private next = 0;
  private filled = 0;

  record(status: number, latencyMs: number): void {
    this.total++;
    const statusClass = Math.floor(status / 100);
    if (statusClass >= 1 && statusClass <= 5) this.byClass[statusClass]!++;
    this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % SAMPLES;
    if (this.filled < SAMPLES) this.filled++;
  }

  snapshot(): RequestStatsSnapshot {
    const sorted = Array.from(this.latencies.subarray(0, this.filled)).sort((a, b) => a - b);
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
    return {
      total: this.total,
      status2xx: this.byClass[2]!,
      status3xx: this.byClass[3]!,
      status4xx: this.byClass[4]!,
      status5xx: this.byClass[5]!,
      latencyP50: at(0.5),
      latencyP99: at(0.99),
    };
  }
}
