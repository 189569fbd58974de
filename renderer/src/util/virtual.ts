/**
 * Which rows of a fixed-row-height list are on screen: the log view renders only those (plus a small overscan), so
 * 20 000 buffered lines cost as much to draw as 40.
 */
export interface VirtualWindow {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Offset of the first rendered row from the top of the content, px. */
  offsetTop: number;
  /** Height of all rows, px. */
  totalHeight: number;
}

export function virtualWindow(rowCount: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 8): VirtualWindow {
  const totalHeight = rowCount * rowHeight;
  if (rowCount === 0 || rowHeight <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first - overscan, rowCount - 1));
  const end = Math.min(rowCount, first + visible + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/** True when the view shows the last row (within one row): following mode keeps it so. */
export function isAtBottom(scrollTop: number, viewportHeight: number, scrollHeight: number, rowHeight: number): boolean {
  return scrollHeight - (scrollTop + viewportHeight) <= rowHeight;
}

/**
 * The same for rows of different heights (wrapped lines, an opened JSON line): `tops[i]` is where row i starts and
 * `tops[rowCount]` the total height (a prefix sum). A binary search finds the first row on screen.
 */
export function variableWindow(tops: ArrayLike<number>, scrollTop: number, viewportHeight: number, overscan = 8): VirtualWindow {
  const rowCount = tops.length - 1;
  const totalHeight = rowCount > 0 ? tops[rowCount]! : 0;
  if (rowCount <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight };
  const top = Math.max(0, scrollTop);
  let lo = 0;
  let hi = rowCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tops[mid]! <= top) lo = mid;
    else hi = mid - 1;
  }
  let last = lo;
  while (last < rowCount && tops[last]! < top + viewportHeight) last++;
  const start = Math.max(0, lo - overscan);
  const end = Math.min(rowCount, last + overscan);
  return { start, end, offsetTop: tops[start]!, totalHeight };
}

/** How many visual rows a line of `chars` characters takes when wrapped at `perRow` characters (at least one). */
export function wrappedRows(chars: number, perRow: number): number {
  return perRow > 0 ? Math.max(1, Math.ceil(chars / perRow)) : 1;
}
