/**
 * "latency": what one trip through Berth adds to a request when nothing queues. One connection sends requests one
 * after another to the hello app with 1 worker, against the same app run as plain `node server.js`.
 * Target: the median adds ≤ 0.06 ms.
 */
import { bothLanes } from '../lib/load-scenario.js';
import { figure } from '../lib/scenario.js';

const [fast, proxy] = bothLanes({
  name: 'latency',
  description: 'one connection, sequential requests, hello app with 1 worker; Berth vs plain node',
  app: 'hello-single',
  reference: { kind: 'node' },
  connections: 1,
  figures: (ref, berth) => [
    figure('p50 latency', 'ms', ref.p50Ms!, berth.p50Ms!, 'added', { kind: 'added-at-most', value: 0.06 }),
    figure('p99 latency', 'ms', ref.p99Ms!, berth.p99Ms!, 'added'),
    figure('throughput', 'req/s', ref.rps!, berth.rps!, 'ratio'),
  ],
});

export default fast;
export { proxy };
