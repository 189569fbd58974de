/** Which app a request's Host header names. Pure, so it is unit-tested without sockets. */
import { hostOfHeader } from './util/host-names.js';

export interface Routable {
  host: string;
}

/** Hosts that name the machine rather than an app: they reach the app when exactly one is hosted. */
export function isMachineHost(host: string): boolean {
  return (
    host === '' ||
    host === 'localhost' ||
    host === '[::1]' ||
    host === '::1' ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ||
    host.startsWith('[') ||
    !host.includes('.')
  );
}

/**
 * The app a request goes to: the app whose host matches exactly; for a machine host (localhost, an IP address,
 * the computer's name) the only app, when exactly one is hosted; otherwise none.
 */
export function routeByHost<T extends Routable>(hostHeader: string | undefined, apps: readonly T[]): T | undefined {
  const host = hostOfHeader(hostHeader ?? '');
  for (const app of apps) if (app.host === host) return app;
  if (apps.length === 1 && isMachineHost(host)) return apps[0];
  return undefined;
}

/**
 * routeByHost with a per-Host-header cache, for the request path: most requests repeat a handful of Host values.
 * The cache is dropped whenever the apps or their hosts change.
 */
export class HostRouter<T extends Routable> {
  private cache = new Map<string, T | undefined>();
  private apps: readonly T[] = [];

  update(apps: readonly T[]): void {
    this.apps = apps;
    this.cache.clear();
  }

  route(hostHeader: string | undefined): T | undefined {
    const key = hostHeader ?? '';
    let app = this.cache.get(key);
    if (app === undefined && !this.cache.has(key)) {
      app = routeByHost(key, this.apps);
      // Unknown Host values are not cached: a client could otherwise grow the cache without bound.
      if (app !== undefined && this.cache.size < 1024) this.cache.set(key, app);
    }
    return app;
  }
}
