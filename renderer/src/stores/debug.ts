/**
 * Debugging one app: the session's state (`debug.info`, then kept by debug-started/-stopped events), turning it on
 * and off, heap snapshots and CPU profiles. Until the engine implements a call it answers NOT_IMPLEMENTED; the view
 * then says so instead of failing.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { errorMessage, isNotImplemented } from '../api/control-client.js';
import { isNotConnected, useConnection } from './connection.js';
import { useFeed } from './feed.js';
import { useToasts } from './toasts.js';
import type { DebugInfo, DebugMode, Params } from '../../../core/control/protocol.js';

export type { DebugMode } from '../../../core/control/protocol.js';

/** A debug session as the engine reports it; the optional facts come from engines that send them. */
export type DebugView = DebugInfo & {
  mode?: DebugMode;
  /** Paused before the first line until a debugger continues it. */
  break?: boolean;
  /** The engine's VS Code launch.json entry (the UI builds one from the port otherwise). */
  vscode?: Record<string, unknown>;
  /** Cookie mode: the cookie (name=value) that routes a browser's requests to the debug worker. */
  cookie?: string;
};

export type DebugTask = 'start' | 'stop' | 'heapSnapshot' | 'cpuProfile';

export const useDebug = defineStore('debug', () => {
  const app = ref<string | null>(null);
  const info = ref<DebugView | null>(null);
  /** The engine does not offer debugging through the API yet. */
  const unavailable = ref('');
  const error = ref('');
  const busy = ref<DebugTask | null>(null);
  /** The latest snapshot or profile written. */
  const lastFile = ref<{ kind: 'heapSnapshot' | 'cpuProfile'; file: string; bytes: number } | null>(null);
  let attached = false;

  function attach(): void {
    if (attached) return;
    attached = true;
    const feed = useFeed();
    feed.attach();
    feed.onEvent((event) => {
      if (!app.value || !('app' in event) || event.app !== app.value) return;
      if (event.type === 'debug-started') {
        // The event has the essentials; debug.info adds the rest (VS Code entry, cookie).
        info.value = { ...info.value, app: event.app, active: true, mode: event.mode, break: event.brk, pid: event.pid, port: event.port, webSocketUrl: event.webSocketUrl, devtoolsUrl: event.devtoolsUrl };
        void refresh();
      } else if (event.type === 'debug-stopped') info.value = { app: event.app, active: false };
    });
    useConnection().onConnected(async () => {
      if (app.value) await refresh();
    });
  }

  async function open(name: string): Promise<void> {
    attach();
    if (app.value !== name) {
      app.value = name;
      info.value = null;
      lastFile.value = null;
      error.value = '';
    }
    await refresh();
  }

  async function refresh(): Promise<void> {
    const name = app.value;
    if (!name) return;
    try {
      const next = await useConnection().client().call('debug.info', { app: name });
      if (app.value === name) {
        info.value = next;
        unavailable.value = '';
      }
    } catch (e) {
      // Not connected yet (a reload onto this screen): the onConnected hook refreshes it once connected.
      if (!isNotConnected(e)) handle(e);
    }
  }

  function handle(e: unknown): void {
    if (isNotImplemented(e)) {
      unavailable.value = 'This engine does not offer debugging through its API yet.';
    } else {
      error.value = errorMessage(e);
      useToasts().error('Debugging', errorMessage(e));
    }
  }

  async function run<T>(task: DebugTask, work: () => Promise<T>): Promise<T | undefined> {
    busy.value = task;
    error.value = '';
    try {
      return await work();
    } catch (e) {
      handle(e);
      return undefined;
    } finally {
      busy.value = null;
    }
  }

  async function start(options: { break?: boolean; mode?: DebugMode } = {}): Promise<void> {
    const name = app.value;
    if (!name) return;
    // Only what differs from the defaults is sent (an older engine refuses parameters it does not know).
    const params = { app: name, ...(options.break ? { break: true } : {}), ...(options.mode === 'cookie' ? { mode: 'cookie' } : {}) } as Params<'debug.start'>;
    const next = await run('start', () => useConnection().client().call('debug.start', params));
    if (next && app.value === name) info.value = next;
  }

  async function stop(): Promise<void> {
    const name = app.value;
    if (!name) return;
    const next = await run('stop', () => useConnection().client().call('debug.stop', { app: name }));
    if (next && app.value === name) info.value = next;
  }

  async function heapSnapshot(worker?: number): Promise<void> {
    const name = app.value;
    if (!name) return;
    const result = await run('heapSnapshot', () => useConnection().client().call('debug.heapSnapshot', { app: name, ...(worker ? { worker } : {}) }, 180_000));
    if (result) {
      lastFile.value = { kind: 'heapSnapshot', ...result };
      useToasts().success('Heap snapshot written', result.file);
    }
  }

  async function cpuProfile(seconds: number, worker?: number): Promise<void> {
    const name = app.value;
    if (!name) return;
    const result = await run('cpuProfile', () => useConnection().client().call('debug.cpuProfile', { app: name, seconds, ...(worker ? { worker } : {}) }, (seconds + 60) * 1000));
    if (result) {
      lastFile.value = { kind: 'cpuProfile', ...result };
      useToasts().success('CPU profile written', result.file);
    }
  }

  return { app, info, unavailable, error, busy, lastFile, open, refresh, start, stop, heapSnapshot, cpuProfile };
});
