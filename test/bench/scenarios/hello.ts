/**
 * "hello": the proxy's own cost. A tiny response from 2 workers under 50 keep-alive connections, so nearly all the
 * time goes into hosting: Berth's front server parses each request and forwards it over a pooled pipe, where node's
 * cluster hands each connection to a worker once and then stays out of the way. Target: ≥ 0.50× cluster's throughput.
 */
import { bothLanes } from '../lib/load-scenario.js';
import { figure } from '../lib/scenario.js';

const [fast, proxy] = bothLanes({
  name: 'hello',
  description: 'tiny response, 2 workers, 50 keep-alive connections; Berth vs node cluster with 2 workers',
  app: 'hello',
  reference: { kind: 'cluster', workers: 2 },
  connections: 50,
  figures: (ref, berth) => [
    figure('throughput', 'req/s', ref.rps!, berth.rps!, 'ratio', { kind: 'ratio-at-least', value: 0.5 }),
    figure('p50 latency', 'ms', ref.p50Ms!, berth.p50Ms!, 'ratio'),
    figure('p99 latency', 'ms', ref.p99Ms!, berth.p99Ms!, 'ratio'),
  ],
});

export default fast;
export { proxy };
