/**
 * The V8 flags the engine process runs with, defined once for both ways it starts: `berth serve` and the desktop
 * app's utility process (electron/engine-entry.ts) both call `applyEngineV8Flags` as their first step. They are set
 * at run time rather than passed as node options because a command cannot choose its own node options, and because
 * V8 ignores a growth factor below 2 given on the command line (it raises it to 2 when it configures the heap).
 *
 * `--semi-space-growth-factor=1`: the young generation stays at its initial size (1 MB a semi-space) instead of
 * doubling up to 32 MB whenever many objects survive a collection. The engine's objects are small and short-lived
 * (a request, a log chunk), so a small young generation costs little CPU, and it keeps the engine's memory where
 * its live data is: about 10 MB less with 10 idle apps, and during a log flood the pipe chunks are collected while
 * still young instead of piling up (the engine's growth during the bench's log flood: 25–44 MB with it, 38–69 MB
 * with V8's default growth, same build, alternating). The price is more frequent young collections on the proxy
 * lane: garbage collection took 6.5–7.3% of the engine's busy time under the `hello-proxy` load against 4.4% with
 * the default growth (node dist/test/bench/profile.js, BERTH_CONNECTIONHANDOFF=off). The flag is read each time V8
 * considers growing the young generation, so setting it at run time works (`--max-semi-space-size`, read only when
 * the heap is set up, would not).
 */
import v8 from 'node:v8';

export const ENGINE_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1'];

/** Sets ENGINE_V8_FLAGS on this process (for `berth serve`; before the engine starts, as early as possible). */
export function applyEngineV8Flags(): void {
  for (const flag of ENGINE_V8_FLAGS) v8.setFlagsFromString(flag);
}
