/**
 * Reading Berth's command line (pure): folders to add (`Berth.exe C:\work\shop`, Explorer's "Open with", a second
 * launch) and `--hidden` (started at login: stay in the tray).
 */
import path from 'node:path';

export interface LaunchArgs {
  folders: string[];
  hidden: boolean;
}

/**
 * `argv` as Electron gives it: the executable first; in development (`electron .`) the app path second. Flags
 * (anything starting with `-`, Chromium's included) are not folders.
 */
export function parseLaunchArgs(argv: readonly string[], options: { packaged: boolean; cwd: string; platform?: NodeJS.Platform }): LaunchArgs {
  const p = options.platform === 'win32' ? path.win32 : options.platform ? path.posix : path;
  const rest = argv.slice(options.packaged ? 1 : 2);
  const folders: string[] = [];
  let hidden = false;
  for (const arg of rest) {
    if (arg === '--hidden') hidden = true;
    else if (arg.startsWith('-') || arg === '') continue;
    else folders.push(p.resolve(options.cwd, arg));
  }
  return { folders, hidden };
}

export const HIDDEN_FLAG = '--hidden';
