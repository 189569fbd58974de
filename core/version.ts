import { readFileSync } from 'node:fs';

/** Berth's version, from package.json (read once at start-up). */
export const BERTH_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** The iisnode release whose behaviour Berth reproduces; workers see it as IISNODE_VERSION. */
export const IISNODE_COMPAT_VERSION = '0.2.27';
