/**
 * The engine's apps, workers, configuration and debug sessions as the control protocol shows them: plain,
 * serialisable snapshots (see protocol.ts), built on demand from the live records the engine hands out. The engine
 * itself knows nothing of the protocol; this is where its state becomes the wire format.
 */
import os from 'node:os';
import { DEBUG_COOKIE, type AppProblem, type DebugSession } from '../app/app.js';
import { appLane, chooseLane } from '../app/lane.js';
import { formatIssue, type LoadedConfig, type SettingSource as LoadedSource } from '../config/load.js';
import { defaultSettings, SETTING_NAMES, SETTINGS, type SettingDef, type SettingName, type Settings } from '../config/schema.js';
import type { AppRecordView, Engine, RecycleOutcome } from '../engine.js';
import type { AppDetail, AppSummary, ConfigView, DebugInfo, MetricsBatch, Problem, RecycleResult, SettingSource, SettingView, WorkerInfo } from './protocol.js';
import type { Worker } from '../worker/worker.js';
import { leakHint } from '../debug/leak.js';

export type { AppRecordView };

/** Every app the engine knows, in the order added. */
export function appSummaries(engine: Engine): AppSummary[] {
  const latest = engine.metrics.latest();
  return engine.appRecords().map((r) => summaryOf(r, engine.appUrl(r), latest));
}

/** One app (APP_NOT_FOUND from the engine when there is none). */
export function appSummary(engine: Engine, app: string | AppRecordView): AppSummary {
  const record = typeof app === 'string' ? engine.appRecord(app) : app;
  return summaryOf(record, engine.appUrl(record), engine.metrics.latest(record.name));
}

export async function appDetail(engine: Engine, name: string): Promise<AppDetail> {
  const record = engine.appRecord(name);
  const state = await engine.appConfig(name);
  const config = configView(state.record, state.loaded, state.writesTo, state.problem);
  return detailOf(record, engine.appUrl(record), engine.metrics.latest(name), config, state.loaded?.settings);
}

/** The configuration the app runs with, and where each value comes from. */
export async function appConfigView(engine: Engine, name: string): Promise<ConfigView> {
  const state = await engine.appConfig(name);
  return configView(state.record, state.loaded, state.writesTo, state.problem);
}

export function recycleResult(engine: Engine, outcome: RecycleOutcome): RecycleResult {
  const { record, problem } = outcome;
  return { app: appSummary(engine, record), ok: !problem, ...(problem ? { problem: problemView(problem) } : {}) };
}

/** What a client needs to attach to an app's debug session (active: false when none runs). */
export function debugInfo(app: string, session: DebugSession | undefined): DebugInfo {
  if (!session) return { app, active: false };
  const pid = session.generation.workers()[0]?.pid;
  return {
    app,
    active: true,
    mode: session.mode,
    break: session.brk,
    ...(pid !== undefined ? { pid } : {}),
    port: session.info.port,
    webSocketUrl: session.info.webSocketUrl,
    devtoolsUrl: session.info.devtoolsUrl,
    inspectPage: session.info.inspectPage,
    vscode: session.info.vscode,
    ...(session.mode === 'cookie' ? { cookie: `${DEBUG_COOKIE}=${session.cookie}` } : {}),
  };
}

export function problemView(problem: AppProblem): Problem {
  return { title: problem.title, detail: problem.detail, ...(problem.stderr ? { stderr: problem.stderr } : {}) };
}

/**
 * `settings`: what a stopped app would start with, when known better than the app has it (read from its files now:
 * an app not loaded yet has only the defaults).
 */
export function summaryOf(record: AppRecordView, url: string, metrics: MetricsBatch, settings?: Settings): AppSummary {
  const app = record.app;
  const workers = app?.workers() ?? [];
  const latest = metrics.apps.find((a) => a.app === record.name);
  // Memory and CPU from the workers' latest reports (fresher than the last sample, and there before the first one).
  let rss = 0;
  let cpu = 0;
  for (const worker of workers) {
    rss += worker.metrics?.rss ?? 0;
    cpu += worker.metrics?.cpuPercent ?? 0;
  }
  const expected = app ? app.settings.nodeProcessCountPerApplication || os.availableParallelism() : 0;
  const lane = app ? appLane(app, settings ?? app.settings) : chooseLane(settings ?? defaultSettings(), { siteApp: false, debugging: false });
  const summary: AppSummary = {
    name: record.name,
    folder: record.folder,
    url,
    state: app ? app.state : 'missing',
    enabled: record.enabled,
    persisted: record.persisted,
    generation: app?.generation?.id ?? null,
    workers: workers.length,
    readyWorkers: workers.filter((w) => w.state === 'ready').length,
    expectedWorkers: app?.generation?.size ?? expected,
    rss,
    cpuPercent: Math.round(cpu * 10) / 10,
    requestsPerSecond: latest?.sample.requestsPerSecond ?? 0,
    activeRequests: app?.generation?.activeRequests ?? 0,
    restarts: record.restarts.reduce((sum, n) => sum + n, 0),
    lane: lane.lane,
    laneReasons: lane.lane === 'proxy' ? lane.reasons : [],
  };
  const problem = app ? app.problem : record.missing;
  if (problem && (summary.state === 'errored' || summary.state === 'missing')) summary.problem = problemView(problem);
  if (app?.lastUpgradeProblem) summary.lastUpgradeProblem = problemView(app.lastUpgradeProblem);
  return summary;
}

export function workerInfo(worker: Worker, restarts: readonly number[], now = Date.now()): WorkerInfo {
  const metrics = worker.metrics;
  const stats = worker.stats.snapshot();
  return {
    pid: worker.pid ?? null,
    slot: worker.index,
    generation: worker.generation,
    state: worker.state,
    startedAt: worker.startedAt,
    uptimeMs: now - worker.startedAt,
    restarts: restarts[worker.index] ?? 0,
    activeRequests: worker.active,
    totalRequests: worker.totalRequests,
    memory: metrics ? { rss: metrics.rss, heapUsed: metrics.heapUsed, heapTotal: metrics.heapTotal, external: metrics.external } : null,
    cpuPercent: metrics ? metrics.cpuPercent : null,
    eventLoopDelayMs: metrics ? { p50: metrics.eventLoopDelayMs.p50, p99: metrics.eventLoopDelayMs.p99 } : null,
    status4xx: stats.status4xx,
    status5xx: stats.status5xx,
    latencyP50: stats.latencyP50,
    latencyP99: stats.latencyP99,
    ...(metrics?.heapAfterGc?.length ? { leak: leakHint(metrics.heapAfterGc) } : {}),
  };
}

export function detailOf(record: AppRecordView, url: string, metrics: MetricsBatch, config: ConfigView, settings?: Settings): AppDetail {
  const app = record.app;
  return {
    ...summaryOf(record, url, metrics, settings),
    host: app?.host ?? '',
    entry: app?.generation?.version.entry.file ?? app?.entry?.file ?? null,
    configFile: config.file,
    workerList: (app?.workers() ?? []).map((w) => workerInfo(w, record.restarts)),
    config,
  };
}

/** Registry overrides reach the loader as BERTH_<setting> variables; shown as what they are. */
function sourceView(name: SettingName, source: LoadedSource, overrides: AppRecordView['overrides']): SettingSource {
  if (source.kind === 'env' && overrides[name] !== undefined && source.name.toUpperCase() === `BERTH_${name.toUpperCase()}`) return { kind: 'registry' };
  return source;
}

function settingView(name: SettingName, value: unknown, source: SettingSource): SettingView {
  const def: SettingDef = SETTINGS[name];
  return {
    name,
    value: value as SettingView['value'],
    default: def.default,
    source,
    kind: def.kind,
    ...(def.kind === 'enum' ? { values: [...def.values] } : {}),
    ...(def.kind === 'uint' && def.unit ? { unit: def.unit } : {}),
    ...(def.kind === 'uint' && def.min !== undefined ? { min: def.min } : {}),
    ...(def.kind === 'uint' && def.max !== undefined ? { max: def.max } : {}),
    description: def.description,
    support: def.support,
    ...(def.note ? { note: def.note } : {}),
    ...(def.notInFile ? { notInFile: true } : {}),
  };
}

/**
 * The configuration view: the loaded configuration when there is one (the serving version's), else the defaults and
 * the error that keeps the app from starting.
 */
export function configView(record: AppRecordView, loaded: LoadedConfig | undefined, writesTo: string, error?: AppProblem): ConfigView {
  if (loaded) {
    return {
      file: loaded.file ?? null,
      writesTo,
      settings: SETTING_NAMES.map((name) => settingView(name, loaded.settings[name], sourceView(name, loaded.sources[name], record.overrides))),
      // Names and lines only: values may be secrets and never leave the engine.
      env: loaded.file ? Object.keys(loaded.env).map((name) => ({ name, file: loaded.file!, line: loaded.envLines[name] ?? 0 })) : [],
      warnings: loaded.warnings.map(formatIssue),
    };
  }
  const defaults = defaultSettings();
  const file = error?.issues?.find((i) => i.file)?.file ?? null;
  return {
    file,
    writesTo,
    settings: SETTING_NAMES.map((name) => settingView(name, defaults[name], { kind: 'default' })),
    env: [],
    warnings: [],
    ...(error ? { error: problemView(error) } : {}),
  };
}
