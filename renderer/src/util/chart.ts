/**
 * The memory chart's geometry (pure, so it is tested without a DOM): samples over the last `windowMs` become an SVG
 * path in a width × height box, time on x (now at the right edge), value on y from 0 to a rounded maximum.
 */
export interface Point {
  t: number;
  v: number;
}

/** The y axis top: the largest value rounded up to 1, 2 or 5 × 10^n, so the label is a round number. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const step of [1, 2, 5, 10]) if (value <= step * base) return step * base;
  return 10 * base;
}

export function linePath(points: readonly Point[], options: { now: number; windowMs: number; max: number; width: number; height: number }): string {
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
export function areaPath(points: readonly Point[], options: { now: number; windowMs: number; max: number; width: number; height: number }): string {
  const line = linePath(points, options);
  if (!line) return '';
  const from = options.now - options.windowMs;
  const visible = points.filter((p) => p.t >= from);
  const firstX = ((visible[0]!.t - from) / options.windowMs) * options.width;
  const lastX = ((visible[visible.length - 1]!.t - from) / options.windowMs) * options.width;
  return `${line}L${lastX.toFixed(1)},${options.height}L${firstX.toFixed(1)},${options.height}Z`;
}
