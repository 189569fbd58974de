/**
 * The V8 flags the engine process runs with, defined once for both ways it starts: `berth serve` (bin/berth.js, for
 * the serve command) and the desktop app's utility process (electron/engine-entry.ts) both call `applyEngineV8Flags`
 * first, before the engine's modules load (loading them is what grows the young generation at start-up). They are
 * set at run time because a command cannot choose its own node options, and because this one did not work as a node
 * option: `node --semi-space-growth-factor=1` still ended with a 16 MB young generation, set at run time it stays at
 * its initial size (measured with v8.getHeapSpaceStatistics, node 24).
 *
 * `--semi-space-growth-factor=1`: the young generation stays at its initial size (1 MB a semi-space) instead of
 * doubling up to 32 MB whenever many objects survive a collection. That saves about 7 MB of an engine with 10 idle
 * apps (95 → 88 MB), and during a log flood the pipe chunks are collected while still young instead of piling up
 * (the engine's growth during a 3 s flood: 25–44 MB with it, 38–69 MB with V8's default growth; same build,
 * alternating, shared machine). The price is more frequent young collections on the proxy lane: garbage collection
 * took 6.5–7.3% of the engine's busy time under the `hello-proxy` load against 4.4% with the default growth
 * (node dist/test/bench/profile.js, BERTH_CONNECTIONHANDOFF=off, alternating). The flag is read each time V8
 * considers growing the young generation, so setting it at run time works (`--max-semi-space-size`, read only when
 * the heap is set up, does not).
 *
 * Until the engine's start-up ends (its first apps have started, or its first request: start-up.ts), V8's optimizing
 * compilers (Maglev, TurboFan) take no function (`--maglev-filter=~`, `--turbo-filter=~`; `endEngineStartUp` lets
 * them take every one again). V8 optimizes a function once it has run a few hundred times, which during start-up is
 * work never hot again: Node's module loader (some 250 modules: path and URL functions called thousands of times),
 * then starting the apps. Optimizing it touches megabytes of the node binary's compiler code, which stays resident:
 * an engine with 10 idle apps took about 5 MB more when TurboFan had compiled even one function (node 24; raising
 * V8's tier-up thresholds tenfold instead left that to chance, one start in two). After start-up the compilers work
 * as V8 means them to, so a log flood or a request burst is served by optimized code as before.
 */
import v8 from 'node:v8';

/** The flags for the engine's whole life. */
export const ENGINE_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1'];
const START_UP_FLAGS = ['--maglev-filter=~', '--turbo-filter=~'];
const SERVING_FLAGS = ['--maglev-filter=*', '--turbo-filter=*'];

/** Sets ENGINE_V8_FLAGS and the start-up flags on this process: first thing, before the engine's modules load. */
export function applyEngineV8Flags(): void {
  for (const flag of [...ENGINE_V8_FLAGS, ...START_UP_FLAGS]) v8.setFlagsFromString(flag);
}

let startUpEnded = false;

/** Start-up is over: V8 optimizes what is hot from now on. Cheap after the first call. */
export function endEngineStartUp(): void {
  if (startUpEnded) return;
  startUpEnded = true;
  for (const flag of SERVING_FLAGS) v8.setFlagsFromString(flag);
}
