/**
 * Where the window opens: where it was, if that place is still on a screen (a monitor may have been unplugged),
 * else a 1280×800 window centred on the primary display (pure: displays are passed in).
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 800 };
export const MIN_SIZE = { width: 960, height: 600 };

/** How much of the window's title bar must be on a display for the saved place to count as visible. */
const VISIBLE_PX = 80;

function intersects(a: Rect, b: Rect, min: number): boolean {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w >= min && h >= Math.min(min, 32);
}

export function restoreWindowState(saved: unknown, workAreas: readonly Rect[], primary: Rect): WindowState {
  const fallback: WindowState = { bounds: centred(primary), maximized: false };
  if (!saved || typeof saved !== 'object') return fallback;
  const s = saved as Partial<WindowState>;
  const b = s.bounds;
  if (!b || ![b.x, b.y, b.width, b.height].every((n) => typeof n === 'number' && Number.isFinite(n))) return fallback;
  const bounds = { x: Math.round(b.x), y: Math.round(b.y), width: Math.max(MIN_SIZE.width, Math.round(b.width)), height: Math.max(MIN_SIZE.height, Math.round(b.height)) };
  // The title bar (the top strip) must be reachable with the mouse on some display.
  const titleBar = { x: bounds.x, y: bounds.y, width: bounds.width, height: 32 };
  if (!workAreas.some((area) => intersects(titleBar, area, VISIBLE_PX))) return { bounds: centred(primary, bounds), maximized: s.maximized === true };
  return { bounds, maximized: s.maximized === true };
}

function centred(area: Rect, size: { width: number; height: number } = DEFAULT_SIZE): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return { x: Math.round(area.x + (area.width - width) / 2), y: Math.round(area.y + (area.height - height) / 2), width, height };
}
