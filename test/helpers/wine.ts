/**
 * Wine detection for the Windows lane (test/windows/lane.ts). A few things Wine does not do as Windows does
 * (taskkill /T, symlinks, netstat's owning PIDs, ...); tests that need them are skipped under Wine only, with the
 * reason, and still run on Linux and on a real Windows machine. Keep the list short: docs/WINDOWS.md names each one.
 */
import { execFileSync } from 'node:child_process';

function detectWine(): boolean {
  if (process.platform !== 'win32') return false;
  // Every Wine prefix has this key; a real Windows never does. `reg` is a built-in of both.
  try {
    execFileSync('reg', ['query', 'HKCU\\Software\\Wine'], { stdio: 'ignore', windowsHide: true });
    return true;
  } catch {
    return false;
  }
}

/** True when this process is the Windows build of Node running under Wine. */
export const UNDER_WINE = detectWine();

/** For a test's options: `{ skip: skipUnderWine('why') }` skips it under Wine only, printing the reason. */
export function skipUnderWine(reason: string): string | false {
  return UNDER_WINE ? `Wine lacks this: ${reason}` : false;
}

/**
 * How many times longer a wait for state may take: under Wine every system call is translated and the lane runs
 * several test files at once, so a worker that starts in 300 ms on Linux can take seconds (and a `berth serve` over a
 * minute on the 2-core lane machine while other work loads it). Tests still wait on events and state, never on time;
 * only their give-up point moves.
 */
export const PATIENCE = UNDER_WINE ? 6 : 1;
