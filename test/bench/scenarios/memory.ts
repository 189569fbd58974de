/**
 * "memory": what the engine itself costs in memory when it hosts many apps that do nothing. `berth serve` with 10
 * copies of the hello app (2 workers each: 20 workers), waited for until every app reports running, left to settle,
 * then the engine's resident memory (VmRSS of the `berth serve` process; the workers are separate processes and not
 * counted). Reference: an idle `node` process (no code at all), so the table shows what Berth adds to the runtime.
 * Target: engine RSS ≤ 80 MB. Linux only (/proc); elsewhere the row says "not measured".
 */
import { sleep, withAppCopies } from '../lib/apps.js';
import { withBerth } from '../lib/hosts.js';
import { RSS_MEASURABLE, RSS_NOT_MEASURED, rssMb } from '../lib/procfs.js';
import { startProcess, withProcess } from '../lib/processes.js';
import { figure, type Scenario } from '../lib/scenario.js';

const APPS = 10;
const WORKER_READY = /^\[[^\]]+\] worker \d+ ready/gm;

function settleMs(quick: boolean): number {
  return quick ? 1000 : 3000;
}

const scenario: Scenario = {
  name: 'memory',
  description: `engine RSS with ${APPS} idle apps × 2 workers, after settling; Berth vs an idle node process`,
  referenceLabel: 'idle node',
  rounds: (options) => (options.quick ? 1 : Math.min(2, options.rounds)),
  unavailable: () => (RSS_MEASURABLE ? undefined : RSS_NOT_MEASURED),
  async measure(side, options) {
    if (side === 'reference') {
      const proc = startProcess('idle node', process.execPath, ['-e', 'setInterval(() => {}, 2 ** 30); process.stdout.write("ready\\n")']);
      return withProcess(proc, async () => {
        await proc.waitForOutput(/^ready$/m, 30_000);
        await sleep(settleMs(options.quick));
        return { rssMb: rssMb(proc.child.pid) ?? Number.NaN };
      });
    }
    const copies = Array.from({ length: APPS }, (_, i) => ({ app: 'hello', as: `app-${String(i + 1).padStart(2, '0')}` }));
    return withAppCopies(copies, (folders) =>
      withBerth(folders, async (berth) => {
        const workers = berth.proc.countInStdout(WORKER_READY);
        await sleep(settleMs(options.quick));
        return { rssMb: rssMb(berth.proc.child.pid) ?? Number.NaN, workers };
      }),
    );
  },
  figures: (ref, berth) => [
    figure(`engine RSS, ${APPS} apps, ${berth.workers} workers`, 'MB', ref.rssMb!, berth.rssMb!, 'added', { kind: 'berth-at-most', value: 80 }),
  ],
};

export default scenario;
