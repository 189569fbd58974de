/**
 * Which URL-supplied names may be looked up in the log folder. Pure, with the platform injected, so the Windows
 * rules are tested on any machine.
 *
 * The log folder is reachable over HTTP, so a name taken from a URL must never lead anywhere else. Windows has more
 * ways to do that than POSIX: `\` is a separator, `C:x` is relative to drive C's current folder, `CON`/`NUL`/`COM1`
 * (with any extension) open devices, `name::$DATA` opens an alternate data stream, and trailing dots and spaces are
 * silently stripped (`index.html.` is `index.html`). Device names and drive letters are refused on every platform:
 * a log URL should mean the same thing wherever Berth runs, and no Berth log file has such a name.
 */
import path from 'node:path';
import type { Platform } from '../platform/platform.js';

/** Windows device names, which open a device in any folder and with any extension (`nul.txt` is NUL). */
const DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\..*)?$/i;

export function isWindowsDeviceName(name: string): boolean {
  // Windows ignores trailing dots and spaces before deciding, so `NUL .txt` and `con.` count too.
  const base = name.replace(/[. ]+$/, '');
  const stem = base.split('.')[0]!.replace(/ +$/, '');
  return DEVICE.test(base) || DEVICE.test(stem);
}

/**
 * Why the raw (still percent-encoded) path remainder after the log prefix is refused, or undefined when it may be
 * decoded. Encoded separators and NUL are refused before decoding, because decoding would turn them into the very
 * characters the later checks look for, and a proxy or file API further on could decode a second time.
 */
export function rawPathProblem(raw: string): string | undefined {
  if (/%2f|%5c/i.test(raw)) return 'encoded path separator';
  if (/%00|\0/.test(raw)) return 'NUL byte';
  if (raw.includes('\\')) return 'backslash';
  if (/%25/i.test(raw)) return 'double encoding';
  return undefined;
}

/**
 * Why a decoded single path segment cannot name a file in the log folder, or undefined when it may be looked up.
 * Only a plain name is accepted: no separators, no `.`/`..`, no drive letters, no device names, no control
 * characters; on Windows also no `:` (alternate data streams) and no trailing dots or spaces.
 */
export function segmentProblem(name: string, platform: Platform): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'not a file name';
  if (/[/\\]/.test(name)) return 'path separator';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  if (isWindowsDeviceName(name)) return 'device name';
  if (name.includes(':')) return 'colon';
  if (platform === 'win32' && /[. ]$/.test(name)) return 'trailing dot or space';
  if (platform === 'win32' && /[<>"|?*]/.test(name)) return 'character Windows refuses in file names';
  return undefined;
}

/**
 * Whether `child` (a real path) lies directly inside `folder` (a real path). Windows and macOS compare names
 * case-insensitively, so a different case must not pass as "outside" or "inside" by accident.
 */
export function isDirectlyInside(folder: string, child: string, platform: Platform): boolean {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const fold = (s: string) => (platform === 'win32' || platform === 'darwin' ? s.toLowerCase() : s);
  const parent = p.dirname(p.normalize(child));
  return fold(p.normalize(folder).replace(/[\\/]+$/, '')) === fold(parent.replace(/[\\/]+$/, '')) && p.basename(child) !== '';
}
