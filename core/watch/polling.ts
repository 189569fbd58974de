/**
 * Whether an app folder must be polled rather than watched with native notifications. Change notifications do not
 * cross the network reliably (SMB drops them under load, NFS and WSL's 9p never deliver other machines' writes), so
 * iisnode polled UNC paths every `uncFileChangesPollingInterval`; Berth does the same for UNC paths and mapped
 * network drives on Windows, and for network file systems on Linux.
 *
 * The decision is pure; what it needs from the system (the drive type, the file-system type) is looked up by the
 * caller, so every branch is tested on any machine.
 */
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import type { Platform } from '../platform/platform.js';

/** What a drive letter is, as far as Berth can tell. */
export type DriveKind = 'local' | 'network' | 'unknown';

export interface PollingInfo {
  /** Poll whatever the folder is (the `forcePolling` option or `BERTH_FORCE_POLLING=1`). */
  force?: boolean;
  /** Windows: the kind of a drive letter (upper case, no colon). Missing means unknown. */
  driveKind?: (letter: string) => DriveKind;
  /** Linux: the folder's file-system type (`statfs().type`), when known. */
  fsType?: number;
}

export interface PollingDecision {
  polling: boolean;
  /** Why, as a sentence fragment for logs ("UNC path", "drive Z: is a network drive"). */
  reason: string;
}

/** Linux `statfs` magic numbers of file systems whose changes inotify may not see. */
export const NETWORK_FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x01021997, '9p (WSL drives, VM shares)'],
]);

/** A Windows path's root: a UNC share, a drive letter, or neither (relative or unusual paths). */
export function windowsRoot(folder: string): { unc: true } | { drive: string } | null {
  const p = folder.replace(/\//g, '\\');
  // Extended-length and device prefixes: \\?\UNC\server\share is a share, \\?\C:\ and \\.\C:\ are drives.
  const extended = /^\\\\[?.]\\(.*)$/.exec(p);
  if (extended) {
    const rest = extended[1]!;
    if (/^UNC\\/i.test(rest)) return { unc: true };
    const drive = /^([a-zA-Z]):/.exec(rest);
    return drive ? { drive: drive[1]!.toUpperCase() } : null;
  }
  if (/^\\\\[^\\]+\\[^\\]+/.test(p)) return { unc: true };
  const drive = /^([a-zA-Z]):/.exec(p);
  return drive ? { drive: drive[1]!.toUpperCase() } : null;
}

export function needsPolling(folder: string, platform: Platform, info: PollingInfo = {}): PollingDecision {
  if (info.force) return { polling: true, reason: 'polling forced' };
  if (platform === 'win32') {
    const root = windowsRoot(folder);
    if (root && 'unc' in root) return { polling: true, reason: 'UNC path' };
    if (root) {
      const kind = info.driveKind?.(root.drive) ?? 'unknown';
      if (kind === 'network') return { polling: true, reason: `drive ${root.drive}: is a network drive` };
      if (kind === 'unknown') return { polling: false, reason: `drive ${root.drive}: type unknown, assumed local` };
    }
    return { polling: false, reason: 'local folder' };
  }
  if (platform === 'linux' && info.fsType !== undefined) {
    const name = NETWORK_FS_TYPES.get(info.fsType);
    if (name) return { polling: true, reason: `${name} file system` };
  }
  return { polling: false, reason: 'local folder' };
}

/** `BERTH_FORCE_POLLING=1` (or true/yes/on) forces polling, for file systems Berth cannot recognise. */
export function pollingForcedByEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes|on)$/i.test(env['BERTH_FORCE_POLLING']?.trim() ?? '');
}

/**
 * The drive letters `net use` lists as mapped to a share (`OK  Z:  \\server\share  Microsoft Windows Network`).
 * Only the letter and the `\\` that follows are read: the status and network columns are translated per locale.
 */
export function parseNetUse(output: string): Set<string> {
  const letters = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /(?:^|\s)([a-zA-Z]):\s+\\\\\S/.exec(line);
    if (match) letters.add(match[1]!.toUpperCase());
  }
  return letters;
}

/**
 * Windows' drive-kind lookup. `fs.statfs` cannot tell (libuv fills no file-system type on Windows), and treating
 * every letter but C: as remote would poll local data drives every 5 s, so Berth asks `net use`, which lists the
 * current user's mapped drives (the mappings Berth itself sees). If `net use` fails (no Workstation service means no
 * mapped drives either) every letter is unknown, hence treated as local; `forcePolling` covers the rest.
 */
export async function windowsDriveKinds(netUse: () => Promise<string> = runNetUse): Promise<(letter: string) => DriveKind> {
  try {
    const mapped = parseNetUse(await netUse());
    return (letter) => (mapped.has(letter.toUpperCase()) ? 'network' : 'local');
  } catch {
    return () => 'unknown';
  }
}

function runNetUse(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('net', ['use'], { windowsHide: true, timeout: 5000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** Gathers what `needsPolling` needs for a real folder on this machine. Never rejects. */
export async function lookupPollingInfo(folder: string, platform: Platform, force: boolean): Promise<PollingInfo> {
  if (force) return { force };
  if (platform === 'win32') {
    const root = windowsRoot(folder);
    return root && 'drive' in root ? { driveKind: await windowsDriveKinds() } : {};
  }
  if (platform === 'linux') {
    const stats = await statfs(folder).catch(() => null);
    return stats ? { fsType: stats.type } : {};
  }
  return {};
}
