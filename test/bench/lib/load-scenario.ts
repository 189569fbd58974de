/**
 * The common shape of a throughput/latency scenario: host one app under a reference and under Berth, put the same
 * load on each (warm-up, then the measured run), and compare. A scenario file only states what differs.
 */
import { hostLabel, withHost, type HostSpec } from './hosts.js';
import { runLoad } from './load.js';
import type { Figure, Metrics, Scenario } from './scenario.js';

export interface LoadScenarioDefinition {
  name: string;
  description: string;
  /** Folder under test/bench/apps/; Berth reads the worker count from its berth.yml. */
  app: string;
  /** The reference host (cluster or plain node) running the same app. */
  reference: Omit<HostSpec, 'app'>;
  /** Open keep-alive connections; 1 makes the requests sequential. */
  connections: number;
  /** Environment added for Berth (its settings as BERTH_* variables). */
  berthEnv?: NodeJS.ProcessEnv;
  figures(reference: Metrics, berth: Metrics): Figure[];
}

export function loadScenario(definition: LoadScenarioDefinition): Scenario {
  const referenceSpec: HostSpec = { ...definition.reference, app: definition.app };
  return {
    name: definition.name,
    description: definition.description,
    referenceLabel: hostLabel(referenceSpec),
    figures: definition.figures,
    measure(side, options) {
      const spec: HostSpec = side === 'berth' ? { kind: 'berth', app: definition.app, ...(definition.berthEnv ? { env: definition.berthEnv } : {}) } : referenceSpec;
      return withHost(spec, async (host) => {
        const load = { url: host.url, connections: definition.connections };
        if (options.warmupSeconds > 0) await runLoad(options.tool, { ...load, seconds: options.warmupSeconds });
        const result = await runLoad(options.tool, { ...load, seconds: options.seconds });
        return { rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
      });
    },
  };
}

/**
 * Both of Berth's lanes for one load: the scenario as defined (the default settings: the fast lane, connections
 * handed to the workers) and `<name>-proxy`, the same with `connectionHandoff: off` (every request through Berth's
 * proxy, as with any per-request setting; see docs/PERFORMANCE.md). Each alternates with the same reference.
 */
export function bothLanes(definition: LoadScenarioDefinition): [fast: Scenario, proxy: Scenario] {
  return [
    loadScenario({ ...definition, description: `${definition.description} (fast lane)` }),
    loadScenario({
      ...definition,
      name: `${definition.name}-proxy`,
      description: `${definition.description} (proxy lane: connectionHandoff off)`,
      berthEnv: { ...definition.berthEnv, BERTH_CONNECTIONHANDOFF: 'off' },
    }),
  ];
}
