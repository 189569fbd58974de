/**
 * "upgrade": graceful upgrades under load. A copy of the `versioned` app (2 workers) takes 20 s of load on 50
 * keep-alive connections while its server.js is rewritten 5 times, evenly spread (a real write of the watched file:
 * Berth sees it, starts a new generation, switches to it and drains the old one). Whatever the clients see counts:
 * failed requests (non-2xx responses) and socket errors (connections refused, reset or closed mid-response, timeouts).
 * Targets: 0 and 0, summed over all rounds (a median would hide one bad round). Also reported: how many recycles
 * Berth completed ("upgraded to generation" lines on its stdout), so a run where the watcher missed the changes cannot
 * pass for a clean one. No reference: node's cluster has no upgrade of its own to compare with.
 */
import { sleep, withAppCopies, writeVersion } from '../lib/apps.js';
import { withBerth } from '../lib/hosts.js';
import { runLoad } from '../lib/load.js';
import { berthFigure, total, type Scenario } from '../lib/scenario.js';

const UPGRADED = /^\[[^\]]+\] upgraded to generation \d+/gm;
const UPGRADE_FAILED = /^\[[^\]]+\] upgrade failed/gm;

const scenario: Scenario = {
  name: 'upgrade',
  description: '5 file changes (graceful recycles) during 20 s of load on 50 keep-alive connections, 2 workers; failed requests and socket errors',
  referenceLabel: '—',
  berthOnly: true,
  // Each round is 20 s of load; two of them are enough to see whether failures happen at all.
  rounds: (options) => (options.quick ? 1 : Math.min(2, options.rounds)),
  measure: (_side, options) =>
    withAppCopies([{ app: 'versioned', as: 'upgrade' }], ([folder]) =>
      withBerth([folder!], async (berth) => {
        const seconds = options.quick ? 6 : 20;
        const changes = options.quick ? 2 : 5;
        // The watcher is ready by the time the app runs, but give it a moment on a busy machine.
        await sleep(500);
        const load = runLoad(options.tool, { url: berth.url, connections: 50, seconds });
        const start = performance.now();
        for (let i = 1; i <= changes; i++) {
          // Evenly spread: at 1/6, 2/6 ... 5/6 of the load, so each recycle has time to finish before the next.
          const at = start + (i * seconds * 1000) / (changes + 1);
          await sleep(Math.max(0, at - performance.now()));
          await writeVersion(folder!, `v${i}`);
        }
        const result = await load;
        // A recycle still under way when the load ends is waited for (bounded), then counted.
        const finished = () => berth.proc.countInStdout(UPGRADED) + berth.proc.countInStdout(UPGRADE_FAILED);
        await berth.proc.waitUntil(() => finished() >= changes, 15_000, `finish ${changes} recycles`).catch(() => undefined);
        return {
          failed: result.non2xx,
          socketErrors: result.socketErrors,
          recycles: berth.proc.countInStdout(UPGRADED),
          upgradesFailed: berth.proc.countInStdout(UPGRADE_FAILED),
          changes,
          rps: result.rps,
          requests: result.requests,
        };
      }),
    ),
  figures: (_ref, berth, samples) => [
    berthFigure('failed requests (all rounds)', 'requests', total(samples.berth, 'failed'), { kind: 'berth-at-most', value: 0 }),
    berthFigure('socket errors (all rounds)', 'errors', total(samples.berth, 'socketErrors'), { kind: 'berth-at-most', value: 0 }),
    berthFigure(`recycles done, of ${total(samples.berth, 'changes')} file changes`, 'recycles', total(samples.berth, 'recycles')),
    berthFigure('throughput during upgrades', 'req/s', berth.rps!),
  ],
};

export default scenario;
