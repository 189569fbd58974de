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
 * The tier-up thresholds, ten times V8's: V8 optimizes a function (Maglev, then TurboFan) once it has run a few
 * hundred times, a rule made for pages that must be fast within a second. In the engine, what runs that often at
 * start-up is Node's module loader (about 250 modules: path and URL functions called thousands of times), which is
 * never hot again; optimizing it touched about 6 MB of the node binary's compiler code and left it resident
 * (engine with 10 idle apps: 81.5 → 75.8 MB; three times V8's thresholds saved nothing). The request path under load
 * still reaches TurboFan within the benchmark's 2 s warm-up, only after ten times as many calls. The defaults are
 * those of V8 13.6 (node 24, Electron 37).
 */
import v8 from 'node:v8';

const TIER_UP_FACTOR = 10;
const V8_TIER_UP_DEFAULTS: Readonly<Record<string, number>> = {
  'invocation-count-for-maglev': 400,
  'invocation-count-for-maglev-osr': 100,
  'invocation-count-for-turbofan': 3000,
  'invocation-count-for-osr': 500,
  'invocation-count-for-early-optimization': 30,
};

export const ENGINE_V8_FLAGS: readonly string[] = [
  '--semi-space-growth-factor=1',
  ...Object.entries(V8_TIER_UP_DEFAULTS).map(([flag, value]) => `--${flag}=${value * TIER_UP_FACTOR}`),
];

/** Sets ENGINE_V8_FLAGS on this process: first thing, before the engine's modules load. */
export function applyEngineV8Flags(): void {
  for (const flag of ENGINE_V8_FLAGS) v8.setFlagsFromString(flag);
}
