/**
 * The Chromium the browser tests drive: CHROME_PATH when set (Chrome or Edge on a developer's machine), else Debian's
 * /usr/bin/chromium. The flags keep it from reaching out to Google's services, which this machine's closed network
 * refuses (many at a time) and which a test has no use for.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What to do when no usable browser is found. */
export const BROWSER_FIX = "Install Debian's chromium package, or set CHROME_PATH to a Chrome or Edge executable.";

export function chromiumPath(): string {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/lib/chromium/chromium'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium found (looked at ${candidates.join(', ')}). ${BROWSER_FIX}`);
  return found;
}
