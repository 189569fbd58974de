/**
 * "reload": how long a developer waits after saving a file before the app answers with the new code. A copy of the
 * `versioned` app (2 workers) runs under Berth; its server.js is rewritten with a new version string, and the app is
 * polled every 5 ms (keep-alive) until the body shows that version. The time runs from just before the write to the
 * first response of the new version: the watcher's debounce (300 ms), starting the new workers, and the switch.
 * Repeated several times on one Berth (as a developer saves again and again), waiting for each recycle to finish.
 * Target: median ≤ 1.5 s. No reference.
 */
import http from 'node:http';
import { sleep, withAppCopies, writeVersion } from '../lib/apps.js';
import { withBerth } from '../lib/hosts.js';
import { berthFigure, median, type Scenario } from '../lib/scenario.js';

const UPGRADED = /^\[[^\]]+\] upgraded to generation \d+/gm;
/** One poll: the body of GET url over a keep-alive agent. */
function getBody(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

const POLL_MS = 5;
const GIVE_UP_MS = 30_000;

const scenario: Scenario = {
  name: 'reload',
  description: 'write server.js with a new version → first response from it (polled every 5 ms), 2 workers; median of several writes',
  referenceLabel: '—',
  berthOnly: true,
  // One Berth, several writes in a row: the writes are the rounds here.
  rounds: () => 1,
  measure: (_side, options) =>
    withAppCopies([{ app: 'versioned', as: 'reload' }], ([folder]) =>
      withBerth([folder!], async (berth) => {
        const writes = options.quick ? 3 : 9;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const delays: number[] = [];
        try {
          await sleep(500); // let the watcher settle, as a developer would take a moment before the first save
          for (let i = 1; i <= writes; i++) {
            const version = `v${i}-${Date.now()}`;
            const start = performance.now();
            await writeVersion(folder!, version);
            for (;;) {
              const body = await getBody(berth.url, agent).catch((error: Error) => `(${error.message})`);
              if (body.includes(version)) break;
              if (performance.now() - start > GIVE_UP_MS) throw new Error(`version ${version} was not served within ${GIVE_UP_MS / 1000} s of the write (last answer: ${body}); ${berth.proc.describeExit()}`);
              await sleep(POLL_MS);
            }
            delays.push(performance.now() - start);
            // The next save only once this recycle has completed (its line printed), plus a pause like a developer's.
            await berth.proc.waitUntil(() => berth.proc.countInStdout(UPGRADED) >= i, 15_000, `report upgrade ${i}`);
            await sleep(300);
          }
        } finally {
          agent.destroy();
        }
        options.log(`    reload: ${delays.map((d) => Math.round(d)).join(', ')} ms`);
        return { medianMs: median(delays), minMs: Math.min(...delays), maxMs: Math.max(...delays), writes };
      }),
    ),
  figures: (_ref, berth) => [
    berthFigure(`write → new version answers, median of ${berth.writes}`, 'ms', berth.medianMs!, { kind: 'berth-at-most', value: 1500 }),
    berthFigure('fastest', 'ms', berth.minMs!),
    berthFigure('slowest', 'ms', berth.maxMs!),
  ],
};

export default scenario;
