/**
 * The same hardening for every web contents the app creates: no navigation away from Berth's page, no new windows
 * (web links go to the system browser), no webviews, no permissions (camera, notifications from the page, …).
 * Electron's objects are injected; the decisions are pure functions tested on their own.
 */
import { isAppUrl, isExternalWebUrl } from './origin.js';

export type WindowOpenDecision = { action: 'deny'; openExternally?: string };

/** A new-window request: always denied in the app; a web link is opened in the system browser instead. */
export function decideWindowOpen(url: string): WindowOpenDecision {
  return isExternalWebUrl(url) ? { action: 'deny', openExternally: url } : { action: 'deny' };
}

/** A navigation: allowed only within Berth's own page (a reload, an in-page route). */
export function navigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void; url?: string }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  session: {
    setPermissionRequestHandler(handler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
    setPermissionCheckHandler(handler: ((contents: unknown, permission: string) => boolean) | null): void;
  };
}

export function hardenContents(contents: ContentsLike, openExternal: (url: string) => void): void {
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (navigationAllowed(url)) return;
    event.preventDefault();
    if (isExternalWebUrl(url)) openExternal(url);
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url);
    if (decision.openExternally) openExternal(decision.openExternally);
    return { action: 'deny' };
  });
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}

/** The window's content security policy, also sent as a header by the protocol handler. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  'connect-src ws://127.0.0.1:*',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
