/**
 * "cpu": an app that does real work. Each request burns 0.5 ms of CPU in the worker, so the workers, not the
 * proxy, should be the bottleneck; what remains visible is the proxy's CPU taken from the workers and how evenly
 * requests are spread. Targets: throughput ≥ 0.97× cluster's, p99 latency ≤ 1.5× cluster's.
 */
import { bothLanes } from '../lib/load-scenario.js';
import { figure } from '../lib/scenario.js';

const [fast, proxy] = bothLanes({
  name: 'cpu',
  description: '0.5 ms of CPU per request, 2 workers, 50 keep-alive connections; Berth vs node cluster with 2 workers',
  app: 'cpu',
  reference: { kind: 'cluster', workers: 2 },
  connections: 50,
  figures: (ref, berth) => [
    figure('throughput', 'req/s', ref.rps!, berth.rps!, 'ratio', { kind: 'ratio-at-least', value: 0.97 }),
    figure('p50 latency', 'ms', ref.p50Ms!, berth.p50Ms!, 'ratio'),
    figure('p99 latency', 'ms', ref.p99Ms!, berth.p99Ms!, 'ratio', { kind: 'ratio-at-most', value: 1.5 }),
  ],
});

export default fast;
export { proxy };
