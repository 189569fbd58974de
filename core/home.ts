/**
 * The Berth home folder: per-user state that outlives one engine run. It holds the app registry (`apps.yml`), the
 * control API's token (`token`, owner-only), the discovery file of the running engine (`engine.json`), the apps'
 * event history (`events.json`) and the local CA behind the HTTPS front (`ca.pem`, `ca-key.pem` owner-only).
 *
 * Where: `BERTH_HOME` when set; else the system's per-user configuration folder: `%APPDATA%\Berth` on Windows,
 * `~/Library/Application Support/Berth` on macOS, `$XDG_CONFIG_HOME/berth` or `~/.config/berth` elsewhere.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Platform } from './platform/platform.js';

/** The files Berth keeps in its home folder. */
export const HOME_FILES = {
  /** The apps the engine remembers (see core/registry). */
  registry: 'apps.yml',
  /** The control API's secret, readable by this user only. */
  token: 'token',
  /** Where the running engine's control API listens (see core/control/discovery.ts). */
  discovery: 'engine.json',
  /** The apps' last events and crashes, kept across engine runs (see core/history). */
  history: 'events.json',
  /** The local CA's certificate (see core/tls/local-ca.ts; `berth trust` adds it to the user's trusted roots). */
  caCert: 'ca.pem',
  /** The local CA's private key: mode 0600 on POSIX; on Windows it inherits the profile folder's per-user ACL. */
  caKey: 'ca-key.pem',
} as const;

export interface HomeInputs {
  env: NodeJS.ProcessEnv;
  platform: Platform;
  /** The user's home directory (os.homedir()). */
  homedir: string;
  /** For a relative BERTH_HOME (process.cwd()). */
  cwd?: string;
}

/** The Berth home folder for these inputs (pure: the platform and environment are injected). */
export function berthHome(inputs: HomeInputs): string {
  const { env, platform, homedir } = inputs;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const explicit = env.BERTH_HOME?.trim();
  if (explicit) return p.resolve(inputs.cwd ?? process.cwd(), explicit);
  if (platform === 'win32') {
    const appData = envValue(env, 'APPDATA', platform);
    return appData && p.isAbsolute(appData) ? p.join(appData, 'Berth') : p.join(homedir, 'AppData', 'Roaming', 'Berth');
  }
  if (platform === 'darwin') return p.join(homedir, 'Library', 'Application Support', 'Berth');
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG specification says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  return xdg && p.isAbsolute(xdg) ? p.join(xdg, 'berth') : p.join(homedir, '.config', 'berth');
}

/** Environment variable names are case-insensitive on Windows. */
function envValue(env: NodeJS.ProcessEnv, name: string, platform: Platform): string | undefined {
  if (env[name] !== undefined) return env[name];
  if (platform !== 'win32') return undefined;
  const upper = name.toUpperCase();
  for (const [key, value] of Object.entries(env)) if (key.toUpperCase() === upper) return value;
  return undefined;
}

/** The home folder of this process (BERTH_HOME or the platform default). */
export function defaultBerthHome(env: NodeJS.ProcessEnv = process.env): string {
  return berthHome({ env, platform: process.platform, homedir: os.homedir() });
}

/**
 * Creates the home folder when needed, readable by this user only on systems with POSIX permissions (on Windows the
 * per-user profile folder already keeps other users out; Berth does not change ACLs).
 */
export async function ensureHome(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export function homeFile(dir: string, name: keyof typeof HOME_FILES): string {
  return path.join(dir, HOME_FILES[name]);
}
