/**
 * The charts' scale and geometry (pure, so it is tested without a DOM), shared by MemoryChart and SeriesChart:
 * samples over the last `windowMs` become an SVG path in a width × height box, time on x (now at the right edge),
 * value on y from 0 to a rounded maximum.
 */
export interface Point {
  t: number;
  v: number;
}

/** Where a chart's points go: the right edge's time, the time window shown, the value at the top, the box. */
export interface ChartScale {
  now: number;
  windowMs: number;
  max: number;
  width: number;
  height: number;
}

export interface ScaleOptions {
  /** The clock (it ticks once a second); a sample from later than that moves the right edge to it. */
  now: number;
  /** The longest window shown (the history the engine keeps). */
  historyMs: number;
  /** The top is at least this (a quiet series does not fill the chart; charts shown together share a peak). */
  floor: number;
  /** The top is a round number of these (MemoryChart: megabytes); default 1. */
  unit?: number;
  width: number;
  height: number;
}

const MINUTE = 60_000;

/**
 * The scale of a chart of `points` (oldest first): the window is what there is, rounded up to whole minutes, from one
 * minute up to `historyMs` (a young worker's line does not hug the right edge); the top is the largest value (or
 * `floor`) rounded up by `niceMax`, in `unit`s.
 */
export function chartScale(points: readonly Point[], options: ScaleOptions): ChartScale {
  const now = Math.max(options.now, points[points.length - 1]?.t ?? 0);
  const first = points[0]?.t ?? now;
  const windowMs = Math.min(options.historyMs, Math.max(MINUTE, Math.ceil((now - first) / MINUTE) * MINUTE));
  const unit = options.unit ?? 1;
  let top = options.floor;
  for (const p of points) if (p.v > top) top = p.v;
  return { now, windowMs, max: niceMax(top / unit) * unit, width: options.width, height: options.height };
}

/** The left end of the time axis: "10 min ago". */
export function windowLabel(windowMs: number): string {
  return `${Math.round(windowMs / MINUTE)} min ago`;
}

/** The y axis top: the largest value rounded up to 1, 2 or 5 × 10^n, so the label is a round number. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const step of [1, 2, 5, 10]) if (value <= step * base) return step * base;
  return 10 * base;
}

export function linePath(points: readonly Point[], options: ChartScale): string {
  const { now, windowMs, max, width, height } = options;
  const from = now - windowMs;
  let d = '';
  for (const p of points) {
    if (p.t < from) continue;
    const x = ((p.t - from) / windowMs) * width;
    const y = height - (Math.min(p.v, max) / max) * height;
    d += `${d ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
  }
  return d;
}

/** The same line closed down to the x axis, for a filled area under it. */
export function areaPath(points: readonly Point[], options: ChartScale): string {
  const line = linePath(points, options);
  if (!line) return '';
  const from = options.now - options.windowMs;
  const visible = points.filter((p) => p.t >= from);
  const firstX = ((visible[0]!.t - from) / options.windowMs) * options.width;
  const lastX = ((visible[visible.length - 1]!.t - from) / options.windowMs) * options.width;
  return `${line}L${lastX.toFixed(1)},${options.height}L${firstX.toFixed(1)},${options.height}Z`;
}
