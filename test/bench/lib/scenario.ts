/**
 * What a scenario is, and the shared runner: it measures the reference and Berth alternately (A B A B ...), so slow
 * drifts of the machine (other work, thermal limits) hit both sides alike, then reports the medians.
 */
import type { LoadTool } from './load.js';

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  /** Seconds of measured load per measurement. */
  seconds: number;
  /** Seconds of unmeasured load just before each measurement: JIT warm-up, pooled connections opened. */
  warmupSeconds: number;
  tool: LoadTool;
  /** Progress output (not the final table). */
  log: (line: string) => void;
}

export type Side = 'reference' | 'berth';

/** One measurement's figures, by name (e.g. rps, p50Ms). Names ending in Ms are milliseconds. */
export type Metrics = Record<string, number>;

export interface Scenario {
  /** Used by --only and in the table. */
  name: string;
  /** One sentence: what is measured and why. */
  description: string;
  /** What Berth is compared with, e.g. "cluster ×2"; "—" when nothing is (see berthOnly). */
  referenceLabel: string;
  /** Nothing to compare with: only Berth is measured, each round, and the reference medians are empty. */
  berthOnly?: boolean;
  /** Number of A/B rounds; options.rounds unless the scenario needs more (cheap, noisy measurements) or fewer. */
  rounds?(options: BenchOptions): number;
  /**
   * Why this scenario cannot be measured here (a feature that has not landed, a platform without the needed
   * counters), or undefined when it can. The table then shows `label` as the scenario's row and `detail` as a note,
   * and the run still counts as successful: nothing failed, there was nothing to measure.
   */
  unavailable?(options: BenchOptions): Unavailable | undefined;
  /** One measurement of one side. Starts everything it needs and stops it again, also on failure. */
  measure(side: Side, options: BenchOptions): Promise<Metrics>;
  /**
   * The rows this scenario adds to the table, from the medians of both sides (and every sample, for figures where
   * one bad round must not hide behind a median, such as failed requests).
   */
  figures(reference: Metrics, berth: Metrics, samples: Record<Side, Metrics[]>): Figure[];
}

export interface Unavailable {
  /** Short, for the table's figure column, e.g. "not available yet". */
  label: string;
  /** One sentence for the note under the table: why, and what would make it measurable. */
  detail: string;
}

/**
 * Thrown by a measurement that finds out only at run time that there is nothing to measure (e.g. the engine does not
 * offer the feature yet): the scenario is then reported like one whose `unavailable()` said so, not as a failure.
 */
export class NotAvailable extends Error {
  constructor(readonly unavailable: Unavailable) {
    super(`${unavailable.label}: ${unavailable.detail}`);
    this.name = 'NotAvailable';
  }
}

/** A goal from the project's issues. Never fails the run: it is reported as met or missed. */
export type TargetKind =
  /** Berth / reference at least `value` (throughput). */
  | 'ratio-at-least'
  /** Berth / reference at most `value` (latency). */
  | 'ratio-at-most'
  /** Berth − reference at most `value`, in the figure's unit (added latency). */
  | 'added-at-most'
  /** Berth's own figure at most `value` (cold start, memory, failures). */
  | 'berth-at-most'
  /** Berth's own figure at least `value` (log bytes per second). */
  | 'berth-at-least';

export interface Figure {
  name: string;
  unit: string;
  reference: number;
  berth: number;
  /** Berth / reference. */
  ratio: number;
  /** Berth − reference. */
  added: number;
  /** Which comparison the table shows. */
  show: 'ratio' | 'added';
  target?: { kind: TargetKind; value: number; text: string; met: boolean };
}

export function figure(name: string, unit: string, reference: number, berth: number, show: 'ratio' | 'added', target?: { kind: TargetKind; value: number }): Figure {
  const ratio = reference > 0 ? berth / reference : Number.NaN;
  const added = berth - reference;
  const result: Figure = { name, unit, reference, berth, ratio, added, show };
  if (target) {
    const { kind, value } = target;
    const checks: Record<TargetKind, [boolean, string]> = {
      'ratio-at-least': [ratio >= value, `≥ ${value.toFixed(2)}×`],
      'ratio-at-most': [ratio <= value, `≤ ${value.toFixed(2)}×`],
      'added-at-most': [added <= value, `≤ +${value} ${unit}`],
      'berth-at-most': [berth <= value, `≤ ${value} ${unit}`],
      'berth-at-least': [berth >= value, `≥ ${value} ${unit}`],
    };
    const [met, text] = checks[kind];
    result.target = { kind, value, text, met };
  }
  return result;
}

/** A figure with nothing to compare with (no reference): its comparison column shows "–". */
export function berthFigure(name: string, unit: string, berth: number, target?: { kind: 'berth-at-most' | 'berth-at-least'; value: number }): Figure {
  return figure(name, unit, Number.NaN, berth, 'ratio', target);
}

/** Sum of one metric over samples (e.g. failed requests over all rounds: a median would hide one bad round). */
export function total(samples: readonly Metrics[], name: string): number {
  return samples.reduce((sum, m) => sum + (m[name] ?? 0), 0);
}

export interface ScenarioResult {
  name: string;
  description: string;
  referenceLabel: string;
  rounds: number;
  /** Every measurement, in the order taken. */
  samples: Record<Side, Metrics[]>;
  /** Median of each metric over the rounds. */
  median: Record<Side, Metrics>;
  figures: Figure[];
  /** Set when the scenario could not run; the other fields then hold whatever was measured before. */
  error?: string;
  /** Set when there was nothing to measure (see Scenario.unavailable); no samples, no figures. */
  unavailable?: Unavailable;
}

export function median(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianMetrics(samples: readonly Metrics[]): Metrics {
  const names = new Set(samples.flatMap((m) => Object.keys(m)));
  return Object.fromEntries([...names].map((name) => [name, median(samples.map((m) => m[name]).filter((v) => v !== undefined))]));
}

/** "23,456 req/s, p50 1.23 ms, ..." for progress lines. */
export function describeMetrics(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([name, value]) => {
      if (name === 'rps') return `${Math.round(value).toLocaleString('en-US')} req/s`;
      if (name.endsWith('Ms')) return `${name.slice(0, -2)} ${formatMs(value)} ms`;
      if (name.endsWith('Mb')) return `${name.slice(0, -2)} ${formatNumber(value)} MB`;
      return `${name} ${formatNumber(value)}`;
    })
    .join(', ');
}

/** Milliseconds with a precision that suits their size (microseconds matter below 1 ms). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 1000) return ms.toFixed(1);
  return Math.round(ms).toLocaleString('en-US');
}

/** A number for tables and progress lines: whole numbers as they are, others with a precision that suits their size. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 10 ? 1 : 2;
  // Whole numbers (also 7.0000001 from a division) without decimals.
  if (Math.abs(value) >= 100 || Number.isInteger(Number(value.toFixed(digits)))) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/**
 * Runs one scenario: rounds × (reference, Berth), or Berth alone, then medians and figures. A failed measurement ends
 * the scenario with `error` set (the figures then come from the rounds measured before, if any).
 */
export async function runScenario(scenario: Scenario, options: BenchOptions): Promise<ScenarioResult> {
  const unavailable = scenario.unavailable?.(options);
  const rounds = unavailable ? 0 : (scenario.rounds?.(options) ?? options.rounds);
  const result: ScenarioResult = {
    name: scenario.name,
    description: scenario.description,
    referenceLabel: scenario.referenceLabel,
    rounds,
    samples: { reference: [], berth: [] },
    median: { reference: {}, berth: {} },
    figures: [],
  };
  if (unavailable) {
    result.unavailable = unavailable;
    options.log(`  ${scenario.name}: ${unavailable.label}: ${unavailable.detail}`);
    return result;
  }
  const sides: readonly Side[] = scenario.berthOnly ? ['berth'] : ['reference', 'berth'];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const side of sides) {
        const label = side === 'berth' ? 'Berth' : scenario.referenceLabel;
        const metrics = await scenario.measure(side, options);
        result.samples[side].push(metrics);
        options.log(`  ${scenario.name} round ${round}/${rounds}, ${label}: ${describeMetrics(metrics)}`);
      }
    }
  } catch (error) {
    if (error instanceof NotAvailable) {
      options.log(`  ${scenario.name}: ${error.message}`);
      return { ...result, rounds: 0, samples: { reference: [], berth: [] }, unavailable: error.unavailable };
    }
    result.error = error instanceof Error ? error.message : String(error);
  }
  if (result.samples.berth.length && (scenario.berthOnly || result.samples.reference.length)) {
    result.median = { reference: medianMetrics(result.samples.reference), berth: medianMetrics(result.samples.berth) };
    result.figures = scenario.figures(result.median.reference, result.median.berth, result.samples);
  }
  return result;
}
