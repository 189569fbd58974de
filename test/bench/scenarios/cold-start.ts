/**
 * "cold-start": how long a developer waits after `berth serve <folder>` before the app answers. Measured from
 * spawning the process to the first 200 response (polled every 10 ms), against `node server.js` of the same app.
 * Berth has to load itself, read berth.yml, and start the app's workers (2 for the hello app) before it can answer.
 * Target: ≤ 1.0 s.
 */
import { withHost } from '../lib/hosts.js';
import { figure, type Scenario } from '../lib/scenario.js';

const scenario: Scenario = {
  name: 'cold-start',
  description: 'spawn to first 200 response, hello app (2 workers); Berth vs plain node',
  referenceLabel: 'node app.js',
  // One start-up is short and noisy; more rounds cost little.
  rounds: (options) => (options.quick ? 1 : Math.max(5, options.rounds)),
  measure: (side) => withHost({ kind: side === 'berth' ? 'berth' : 'node', app: 'hello' }, async (host) => ({ firstOkMs: host.firstOkMs })),
  figures: (ref, berth) => [figure('time to first 200', 'ms', ref.firstOkMs!, berth.firstOkMs!, 'ratio', { kind: 'berth-at-most', value: 1000 })],
};

export default scenario;
