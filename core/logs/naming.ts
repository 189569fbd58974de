/**
 * Log file names, iisnode's way: `<COMPUTERNAME>-<pid>-<stdout|stderr>-<epoch ms>.txt`, one file per worker, stream
 * and roll-over. Existing tools (and people's habits) read these names, so Berth keeps them exactly; everything that
 * decides whether a file is "one of ours" (quotas, index.html, HTTP serving) goes through `parseLogFileName`.
 */
import os from 'node:os';
import path from 'node:path';
import type { Platform } from '../platform/platform.js';

import type { LogStream } from '../shared/types.js';
export type { LogStream } from '../shared/types.js';

export interface LogFileName {
  computer: string;
  pid: number;
  stream: LogStream;
  /** Epoch ms from the name: when the file was started. */
  created: number;
}

/** The index page's file name, next to the logs. */
export const INDEX_FILE = 'index.html';

/**
 * iisnode's pattern, anchored at both ends (iisnode's own regex was not anchored at the start, which let any prefix
 * through). The computer part may contain dashes (`WEB-01`); the greedy `.+` still leaves pid, stream and time intact
 * because those parts are digits and fixed words.
 */
const LOG_FILE = /^([A-Za-z0-9_.-]+)-(\d{1,10})-(stdout|stderr)-(\d{1,16})\.txt$/;

/**
 * COMPUTERNAME (Windows sets it; iisnode used it) or the host name, reduced to characters that are safe in a file
 * name on every system and in a URL path segment without escaping.
 */
export function computerNameFor(env: NodeJS.ProcessEnv = process.env, hostname: () => string = os.hostname): string {
  const raw = env.COMPUTERNAME?.trim() || safeHostname(hostname);
  return safeComputerName(raw);
}

function safeHostname(hostname: () => string): string {
  try {
    return hostname();
  } catch {
    return '';
  }
}

/** Anything outside `[A-Za-z0-9_.-]` becomes `_`; leading dots go (no hidden files); empty becomes `localhost`. */
export function safeComputerName(raw: string): string {
  const safe = raw.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '').slice(0, 64);
  return safe || 'localhost';
}

export function logFileName(computer: string, pid: number, stream: LogStream, created: number): string {
  return `${computer}-${pid}-${stream}-${created}.txt`;
}

/** The parts of one of Berth's (or iisnode's) log file names, or undefined for any other file. */
export function parseLogFileName(name: string): LogFileName | undefined {
  const m = LOG_FILE.exec(name);
  if (!m) return undefined;
  return { computer: m[1]!, pid: Number(m[2]), stream: m[3] as LogStream, created: Number(m[4]) };
}

export function isLogFileName(name: string): boolean {
  return LOG_FILE.test(name);
}

/**
 * The log folder: `logDirectory` resolved against the app's base folder (the entry's folder) unless absolute, with
 * the platform's own path rules (a Windows `C:\logs` is absolute only on Windows).
 */
export function resolveLogDirectory(baseDir: string, logDirectory: string, platform: Platform = process.platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  return p.resolve(baseDir, logDirectory || 'iisnode');
}

/**
 * The URL path under which an app's logs are served, e.g. `/iisnode` (no trailing slash), or undefined when the log
 * folder is not inside the app's folder (absolute `logDirectory`, or one that climbs out with `..`): such a folder
 * has no natural URL, and serving it would expose a folder the app's URL space never contained. `mountPath` is the
 * app's optional mount path (`/shop`).
 */
export function logUrlPrefix(logDirectory: string, mountPath = '', platform: Platform = process.platform): string | undefined {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const dir = logDirectory || 'iisnode';
  if (p.isAbsolute(dir) || /^[A-Za-z]:/.test(dir)) return undefined;
  const parts = dir.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) return undefined;
  const mount = mountPath.replace(/\/+$/, '');
  return `${mount}/${parts.map(encodeURIComponent).join('/')}`;
}

/**
 * A timestamp for a new file that is later than the previous one of the same writer, so that two roll-overs in the
 * same millisecond still get distinct names and the names keep sorting in creation order.
 */
export function nextFileStamp(now: number, previous: number | undefined): number {
  return previous !== undefined && now <= previous ? previous + 1 : now;
}
