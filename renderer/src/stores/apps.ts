/**
 * The apps list: a snapshot from `apps.list` after every connect, kept current by engine events (a state change is
 * patched in place; anything that changes workers or the list itself refetches, debounced) and by the metrics feed
 * (memory, CPU and requests per second move every second without a refetch).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { errorMessage } from '../api/control-client.js';
import { useConnection } from './connection.js';
import { useFeed } from './feed.js';
import { useToasts } from './toasts.js';
import type { AppSummary, EngineEvent, HistoryEntry, MetricsBatch } from '../../../core/control/protocol.js';
import { overallState } from '../../../core/shared/overall-state.js';

export type AppAction = 'start' | 'stop' | 'restart' | 'recycle' | 'remove' | 'enable' | 'disable';

/** One line of an app's recent history, as the detail view lists it. */
export interface TimelineEntry {
  time: number;
  kind: 'info' | 'success' | 'warning' | 'error';
  title: string;
  detail?: string;
  stderr?: string[];
}

const TIMELINE_MAX = 100;
const REFRESH_DEBOUNCE_MS = 150;

/** Events after which the list's snapshot is stale (worker counts, generation, state). */
const REFRESHING = new Set<EngineEvent['type']>([
  'app-added',
  'app-removed',
  'app-state',
  'app-error',
  'app-enabled',
  'worker-started',
  'worker-ready',
  'worker-exit',
  'recycle-succeeded',
  'recycle-failed',
  'generation-drained',
  'debug-started',
  'debug-stopped',
  'lane-changed',
]);

export const useApps = defineStore('apps', () => {
  const apps = ref<AppSummary[]>([]);
  const loaded = ref(false);
  /** The action running on each app (buttons show it and wait). */
  const busy = ref<Record<string, AppAction | undefined>>({});
  const timelines = ref<Record<string, TimelineEntry[]>>({});
  /** Each app's last crash as the engine remembers it (with the output before it), once its history was read. */
  const lastCrash = ref<Record<string, HistoryEntry | null>>({});
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let attached = false;
  /** The app whose history a view shows: read again after every (re)connect. */
  let historyShown: string | null = null;

  const byName = computed(() => new Map(apps.value.map((a) => [a.name, a])));
  const overall = computed(() => overallState(apps.value));

  function attach(): void {
    if (attached) return;
    attached = true;
    const feed = useFeed();
    feed.attach();
    useConnection().onConnected(async () => {
      await refresh();
      if (historyShown) await loadHistory(historyShown).catch(() => undefined);
    });
    feed.onEvent(onEvent);
    feed.onMetrics(onMetrics);
  }

  async function refresh(): Promise<void> {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
    apps.value = await useConnection().client().call('apps.list', {});
    loaded.value = true;
  }

  function refreshSoon(): void {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => void refresh().catch(() => undefined), REFRESH_DEBOUNCE_MS);
  }

  function onEvent(event: EngineEvent): void {
    if (event.type === 'app-state') {
      const app = byName.value.get(event.app);
      if (app) app.state = event.state;
    }
    if (event.type === 'app-removed') delete timelines.value[event.app];
    else if ('app' in event && event.app in lastCrash.value && (event.type === 'app-error' || (event.type === 'worker-exit' && !event.expected))) {
      // A crash of an app whose history is shown: read it again for the crash's output lines (the engine recorded
      // the event before sending it). Until the answer comes the live event stands in.
      lastCrash.value[event.app] = { seq: 0, time: Date.now(), event };
      addTimeline(event.app, timelineEntry(event));
      void loadHistory(event.app).catch(() => undefined);
    }
    else if ('app' in event) addTimeline(event.app, timelineEntry(event));
    if (REFRESHING.has(event.type)) refreshSoon();
  }

  /**
   * Reads what the engine remembers of the app (also from before this window opened, and before the engine's last
   * restart). The timeline is rebuilt from it: events that came live meanwhile are in it too.
   */
  async function loadHistory(app: string): Promise<void> {
    const history = await useConnection().client().call('events.history', { app });
    const entries = history.events
      .map((e) => timelineEntry(e.event, e.time))
      .filter((e): e is TimelineEntry => e !== undefined)
      .reverse()
      .slice(0, TIMELINE_MAX);
    timelines.value[app] = entries;
    lastCrash.value[app] = history.lastCrash;
  }

  /** A view shows this app's history (null: none): it is read now when connected, and after every connect. */
  function showHistory(app: string | null): void {
    historyShown = app;
    if (app && useConnection().status === 'connected') void loadHistory(app).catch(() => undefined);
  }

  function addTimeline(app: string, entry: TimelineEntry | undefined): void {
    if (!entry) return;
    const list = (timelines.value[app] ??= []);
    list.unshift(entry);
    if (list.length > TIMELINE_MAX) list.length = TIMELINE_MAX;
  }

  function onMetrics(batch: MetricsBatch): void {
    for (const metrics of batch.apps) {
      const app = byName.value.get(metrics.app);
      if (!app) continue;
      app.rss = metrics.sample.rss;
      app.cpuPercent = Math.round(metrics.sample.cpuPercent * 10) / 10;
      app.requestsPerSecond = metrics.sample.requestsPerSecond;
      app.activeRequests = metrics.sample.activeRequests;
    }
  }

  /** Adds folders one by one; each result is a toast (the engine's sentence when it refuses). Returns the added names. */
  async function add(folders: readonly string[]): Promise<string[]> {
    const toasts = useToasts();
    const added: string[] = [];
    for (const folder of folders) {
      try {
        const app = await useConnection().client().call('apps.add', { folder });
        added.push(app.name);
        if (app.state === 'errored' && app.problem) toasts.error(`${app.name} was added but cannot start`, app.problem.title);
        else toasts.success(`Added ${app.name}`, `It answers at ${app.url}`);
      } catch (error) {
        toasts.error(`Could not add ${baseName(folder)}`, errorMessage(error));
      }
    }
    if (added.length) await refresh().catch(() => undefined);
    return added;
  }

  async function act(name: string, action: AppAction): Promise<boolean> {
    const toasts = useToasts();
    busy.value[name] = action;
    try {
      const client = useConnection().client();
      switch (action) {
        case 'start':
          report(await client.call('apps.start', { app: name }), 'started');
          break;
        case 'stop':
          await client.call('apps.stop', { app: name });
          break;
        case 'restart':
          report(await client.call('apps.restart', { app: name }), 'restarted');
          break;
        case 'recycle': {
          const result = await client.call('apps.recycle', { app: name, reason: 'recycled from the Berth window' });
          if (result.ok) toasts.success(`${name} recycled`, 'The new workers took over; the old ones finished their requests.');
          else toasts.error(`${name}: the new version could not start`, result.problem ? `${result.problem.title} The previous version keeps serving.` : 'The previous version keeps serving.');
          break;
        }
        case 'remove':
          await client.call('apps.remove', { app: name });
          toasts.info(`Removed ${name}`, 'Its folder and files are untouched.');
          break;
        case 'enable':
          await client.call('apps.enable', { app: name });
          break;
        case 'disable':
          await client.call('apps.disable', { app: name });
          break;
      }
      await refresh();
      return true;
    } catch (error) {
      toasts.error(`Could not ${action} ${name}`, errorMessage(error));
      return false;
    } finally {
      delete busy.value[name];
    }
  }

  function report(app: AppSummary, verb: string): void {
    const toasts = useToasts();
    if (app.state === 'errored') toasts.error(`${app.name} could not start`, app.problem ? `${app.problem.title} ${app.problem.detail}` : undefined);
    else if (app.state === 'running') toasts.success(`${app.name} ${verb}`);
    else if (app.state === 'sleeping') toasts.success(`${app.name} is sleeping: it starts at its first request`);
  }

  return { apps, loaded, busy, timelines, lastCrash, byName, overall, attach, refresh, loadHistory, showHistory, add, act, onEvent, onMetrics };
});

function baseName(folder: string): string {
  return folder.split(/[\\/]/).filter(Boolean).pop() ?? folder;
}

function firstLines(lines: readonly string[], n = 12): string[] {
  return lines.slice(-n);
}

/** What the timeline says for an event (undefined: not worth a line). */
export function timelineEntry(event: EngineEvent, time = Date.now()): TimelineEntry | undefined {
  switch (event.type) {
    case 'app-state':
      if (event.state === 'errored') return { time, kind: 'error', title: 'Errored: the app stopped restarting', ...(event.problem ? { detail: event.problem } : {}) };
      if (event.state === 'running') return { time, kind: 'success', title: 'Running' };
      if (event.state === 'stopped') return { time, kind: 'info', title: 'Stopped' };
      if (event.state === 'sleeping') return { time, kind: 'info', title: 'Sleeping: its workers start at the next request' };
      return undefined;
    case 'app-error':
      return { time, kind: 'error', title: event.title, detail: event.detail, ...(event.stderr ? { stderr: event.stderr.split('\n') } : {}) };
    case 'worker-exit':
      if (event.expected) return undefined;
      return {
        time,
        kind: 'error',
        title: `Worker ${event.pid} crashed (${event.signal ? `signal ${event.signal}` : `exit code ${event.code}`})`,
        detail: event.spawnError ?? (event.restartInMs !== undefined ? `Restarting in ${event.restartInMs} ms.` : `It ran for ${Math.round(event.uptimeMs / 1000)} s.`),
        stderr: firstLines(event.stderr),
      };
    case 'recycle-started':
      // `generation` is the one serving while the new one starts.
      return { time, kind: 'info', title: 'Recycling: a new version is starting', detail: event.reason };
    case 'recycle-succeeded':
      return { time, kind: 'success', title: `Generation ${event.generation} took over in ${event.ms} ms`, detail: event.reason };
    case 'recycle-failed':
      return {
        time,
        kind: 'error',
        title: `Upgrade failed: ${event.title}`,
        detail: `${event.detail}${event.stillServing !== null ? ` Generation ${event.stillServing} keeps serving.` : ''}`,
        ...(event.stderr ? { stderr: event.stderr.split('\n') } : {}),
      };
    case 'worker-memory-limit':
      return { time, kind: 'warning', title: `Worker ${event.pid} replaced: ${event.rssMb} MB is over the ${event.limitMb} MB limit` };
    case 'worker-unresponsive':
      return { time, kind: 'warning', title: `Worker ${event.pid} replaced: its event loop was blocked for ${Math.round(event.silentMs / 1000)} s` };
    case 'worker-warning':
      return { time, kind: 'warning', title: `Worker ${event.pid}: ${event.message}` };
    case 'debug-started':
      return { time, kind: 'info', title: `Debugging on (worker ${event.pid}, port ${event.port})` };
    case 'debug-stopped':
      return { time, kind: 'info', title: 'Debugging off' };
    case 'lane-changed':
      return event.lane === 'fast'
        ? { time, kind: 'info', title: 'Fast lane: connections go to the workers directly' }
        : { time, kind: 'info', title: 'Proxy lane: every request goes through Berth', detail: event.reasons.join('\n') };
    case 'settings-written':
      return { time, kind: 'info', title: `Settings written to ${baseName(event.file)}`, detail: event.changes.map((c) => `${c.setting} = ${c.to === null ? (c.setting.startsWith('env.') ? '(removed)' : '(default)') : String(c.to)}`).join(', ') };
    case 'config-warnings':
      return { time, kind: 'warning', title: 'Configuration warnings', detail: event.warnings.join('\n') };
    case 'log-problem':
      return { time, kind: 'warning', title: `Logs cannot be written to ${event.path}`, detail: event.message };
    default:
      return undefined;
  }
}
