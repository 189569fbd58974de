/**
 * Where the renderer finds the engine. In the desktop app the preload knows (main started the engine); in a browser
 * the engine served this page, so the control API is on the same host, and the token came in the URL's fragment
 * (`#token=…`, which browsers never send to a server). The token is then kept in sessionStorage and removed from
 * the address bar, so a screenshot or a copied URL does not carry it.
 */
import type { BerthBridge, EngineEndpoint } from '../../../core/shared/bridge.js';

export type EndpointSource = () => Promise<EngineEndpoint>;

const STORAGE_KEY = 'berth.endpoint';

export interface LocationLike {
  protocol: string;
  host: string;
  hash: string;
  pathname: string;
  search: string;
}

/** Reads `token` (and an optional `engine` URL, for a renderer served by another server in development). */
export function endpointFromLocation(location: LocationLike, storage?: Pick<Storage, 'getItem' | 'setItem'>): EngineEndpoint | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = params.get('engine') ?? `${scheme}//${location.host}/control`;
  if (token) {
    const endpoint = { url, token };
    storage?.setItem(STORAGE_KEY, JSON.stringify(endpoint));
    return endpoint;
  }
  const saved = storage?.getItem(STORAGE_KEY);
  if (!saved) return undefined;
  try {
    const parsed = JSON.parse(saved) as EngineEndpoint;
    return typeof parsed.url === 'string' && typeof parsed.token === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The endpoint source for this page: the desktop bridge when present, else the page's own URL. */
export function pageEndpointSource(bridge: BerthBridge | undefined, win: Window = window): EndpointSource {
  if (bridge) return () => bridge.engine();
  const endpoint = endpointFromLocation(win.location, win.sessionStorage);
  if (win.location.hash.includes('token=')) {
    win.history.replaceState(null, '', win.location.pathname + win.location.search);
  }
  return async () => {
    if (!endpoint) throw new Error('This page needs the engine\'s token. Open the link that `berth ui` prints (it ends with #token=…).');
    return endpoint;
  };
}
