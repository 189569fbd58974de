/** Snapshots as the engine sends them, for component and store tests. */
import type { AppDetail, AppSummary, ConfigView, SettingView, WorkerInfo } from '../../core/control/protocol.js';

export function summary(overrides: Partial<AppSummary> = {}): AppSummary {
  return {
    name: 'shop',
    folder: '/home/me/shop',
    url: 'http://shop.localhost:8080/',
    state: 'running',
    enabled: true,
    persisted: true,
    generation: 1,
    workers: 2,
    readyWorkers: 2,
    expectedWorkers: 2,
    rss: 80 * 1024 * 1024,
    cpuPercent: 1.5,
    requestsPerSecond: 0,
    activeRequests: 0,
    restarts: 0,
    lane: 'fast',
    laneReasons: [],
    ...overrides,
  };
}

export function worker(overrides: Partial<WorkerInfo> = {}): WorkerInfo {
  return {
    pid: 4242,
    slot: 0,
    generation: 1,
    state: 'ready',
    startedAt: Date.now() - 65_000,
    uptimeMs: 65_000,
    restarts: 0,
    activeRequests: 0,
    totalRequests: 12,
    memory: { rss: 40 * 1024 * 1024, heapUsed: 8 * 1024 * 1024, heapTotal: 12 * 1024 * 1024, external: 1024 * 1024 },
    cpuPercent: 0.5,
    eventLoopDelayMs: { p50: 1, p99: 3 },
    status4xx: 0,
    status5xx: 0,
    latencyP50: 1,
    latencyP99: 4,
    ...overrides,
  };
}

export function setting(overrides: Partial<SettingView> & Pick<SettingView, 'name' | 'kind'>): SettingView {
  const defaults: Record<SettingView['kind'], SettingView['value']> = { uint: 0, bool: false, string: '', enum: 'roundRobin' };
  const value = overrides.value ?? overrides.default ?? defaults[overrides.kind];
  return { value, default: value, source: { kind: 'default' }, description: `What ${overrides.name} does.`, ...overrides };
}

export function configView(overrides: Partial<ConfigView> = {}): ConfigView {
  return {
    file: '/home/me/shop/berth.yml',
    writesTo: '/home/me/shop/berth.yml',
    settings: [
      setting({ name: 'nodeProcessCountPerApplication', kind: 'uint', value: 2, default: 1, source: { kind: 'file', file: '/home/me/shop/berth.yml', line: 3 } }),
      setting({ name: 'loggingEnabled', kind: 'bool', value: true, default: true }),
      setting({ name: 'loadBalancing', kind: 'enum', value: 'roundRobin', default: 'roundRobin', values: ['roundRobin', 'leastBusy'] }),
      setting({ name: 'logDirectory', kind: 'string', value: 'iisnode', default: 'iisnode' }),
      setting({ name: 'gracefulShutdownTimeout', kind: 'uint', value: 60000, default: 60000, unit: 'ms' }),
    ],
    env: [],
    warnings: [],
    ...overrides,
  };
}

export function detail(overrides: Partial<AppDetail> = {}): AppDetail {
  return {
    ...summary(),
    host: 'shop.localhost',
    entry: '/home/me/shop/server.js',
    configFile: '/home/me/shop/berth.yml',
    workerList: [worker(), worker({ pid: 4243, slot: 1 })],
    config: configView(),
    ...overrides,
  };
}
