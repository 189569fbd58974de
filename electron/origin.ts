/**
 * The window's own origin: the renderer is served by a privileged custom scheme (`berth://app/`), so it has an origin
 * of its own that no web page and no local HTML file can have. Every IPC message, every navigation and the engine's
 * Origin check are decided against it.
 */
export const APP_SCHEME = 'berth';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/**
 * True for a URL of Berth's own page. Parsed, not prefix-compared (`berth://app.evil/` must not pass); WHATWG gives
 * custom schemes an opaque origin, so scheme and host are compared instead.
 */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** URLs the window may hand to the system browser: web pages only (never file:, javascript:, or custom schemes). */
export function isExternalWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A Chrome DevTools frontend URL aimed at an inspector on loopback (what the engine reports for a debug worker). */
export function isLoopbackDevtoolsUrl(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol !== 'devtools:' || u.host !== 'devtools' || !u.pathname.startsWith('/bundled/')) return false;
    const target = u.searchParams.get('ws') ?? u.searchParams.get('wss');
    if (!target) return false;
    const host = new URL(`ws://${target}`).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}
