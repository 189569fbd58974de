/** The charts' shared scale (util/chart.ts): the time window, the right edge, and the round top in units. */
import { describe, expect, it } from 'vitest';
import { chartScale, windowLabel, type Point } from '../src/util/chart.js';

const MINUTE = 60_000;
const HISTORY = 10 * MINUTE;
const box = { width: 400, height: 70 };

/** One point per second from `from` to `to` (ms), each with value `v`. */
function series(from: number, to: number, v: (t: number) => number = () => 1): Point[] {
  const points: Point[] = [];
  for (let t = from; t <= to; t += 1000) points.push({ t, v: v(t) });
  return points;
}

describe('chart scale', () => {
  it('shows at least a minute, rounded up to whole minutes, and at most the history', () => {
    const now = 100 * MINUTE;
    expect(chartScale(series(now - 10_000, now), { now, historyMs: HISTORY, floor: 1, ...box }).windowMs).toBe(MINUTE);
    expect(chartScale(series(now - 2.5 * MINUTE, now), { now, historyMs: HISTORY, floor: 1, ...box }).windowMs).toBe(3 * MINUTE);
    expect(chartScale(series(now - 30 * MINUTE, now), { now, historyMs: HISTORY, floor: 1, ...box }).windowMs).toBe(HISTORY);
    expect(chartScale([], { now, historyMs: HISTORY, floor: 1, ...box })).toEqual({ now, windowMs: MINUTE, max: 1, ...box });
  });

  it('puts the right edge at the clock, or at a sample newer than the clock', () => {
    expect(chartScale(series(0, 5000), { now: 9000, historyMs: HISTORY, floor: 1, ...box }).now).toBe(9000);
    expect(chartScale(series(0, 12_000), { now: 9000, historyMs: HISTORY, floor: 1, ...box }).now).toBe(12_000);
  });

  it('rounds the top up from the largest value or the floor, in units', () => {
    const points = series(0, 5000, (t) => t / 100); // up to 50
    expect(chartScale(points, { now: 5000, historyMs: HISTORY, floor: 1, ...box }).max).toBe(50);
    expect(chartScale(points, { now: 5000, historyMs: HISTORY, floor: 140, ...box }).max).toBe(200);
    const MB = 1024 * 1024;
    const memory = series(0, 3000, () => 73 * MB);
    expect(chartScale(memory, { now: 3000, historyMs: HISTORY, floor: 1, unit: MB, ...box }).max).toBe(100 * MB);
    // Charts shown together share a peak: the floor lifts this quiet one to the others' scale.
    expect(chartScale(memory, { now: 3000, historyMs: HISTORY, floor: 430 * MB, unit: MB, ...box }).max).toBe(500 * MB);
  });

  it('labels the left end in minutes', () => {
    expect(windowLabel(MINUTE)).toBe('1 min ago');
    expect(windowLabel(HISTORY)).toBe('10 min ago');
  });
});
