/** Which app a request's Host header names. Pure, so it is unit-tested without sockets. */
import { hostOfHeader } from './app/naming.js';

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
