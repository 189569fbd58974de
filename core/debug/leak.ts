/**
 * The leak hint: heap still growing across the last several garbage collections. Heap size right after a major GC
 * is what the program really holds; if it rises every time, something keeps references.
 */

/** How many post-GC heap sizes in a row must rise. */
export const LEAK_WINDOW = 5;
/** ...by at least this much in total, so noise is not a leak. */
export const LEAK_MIN_GROWTH = 0.1;

export interface LeakHint {
  suspected: boolean;
  /** Heap after each of the last major collections, oldest first (bytes). */
  heapAfterGc: number[];
  /** Growth over the window, as a fraction (0.25 = 25%). */
  growth: number;
}

export function leakHint(heapAfterGc: readonly number[]): LeakHint {
  const recent = heapAfterGc.slice(-LEAK_WINDOW);
  const first = recent[0] ?? 0;
  const last = recent[recent.length - 1] ?? 0;
  const growth = first > 0 ? (last - first) / first : 0;
  const rising = recent.length === LEAK_WINDOW && recent.every((v, i) => i === 0 || v > recent[i - 1]!);
  return { suspected: rising && growth >= LEAK_MIN_GROWTH, heapAfterGc: recent, growth };
}
