/**
 * Everything the engine reports, as one ordered stream of plain, serialisable events. The CLI prints them; the
 * control API and the desktop app subscribe to the same stream.
 */
import type { AppState, DebugMode } from './shared/types.js';

export type EngineEvent =
  | { type: 'engine-listening'; url: string; host: string; port: number }
  | { type: 'app-added'; app: string; folder: string; url: string }
  | { type: 'app-removed'; app: string }
  | { type: 'app-state'; app: string; state: AppState; problem?: string }
  | { type: 'app-error'; app: string; title: string; detail: string; stderr?: string }
  | { type: 'config-warnings'; app: string; warnings: string[] }
  | { type: 'worker-started'; app: string; pid: number; generation: number; slot: number }
  | { type: 'worker-ready'; app: string; pid: number; generation: number; slot: number }
  | { type: 'worker-warning'; app: string; pid: number; message: string }
  | { type: 'recycle-started'; app: string; reason: string; generation: number }
  | { type: 'recycle-succeeded'; app: string; reason: string; generation: number; ms: number }
  /** The new version could not start; `stillServing` is the generation that keeps serving (null: none). */
  | { type: 'recycle-failed'; app: string; reason: string; title: string; detail: string; stderr?: string; stillServing: number | null }
  | { type: 'generation-drained'; app: string; generation: number }
  | { type: 'debug-started'; app: string; mode: DebugMode; brk: boolean; port: number; pid: number; webSocketUrl: string; devtoolsUrl: string }
  | { type: 'debug-stopped'; app: string }
  /** The app's connections take another lane now (core/app/lane.ts); `reasons`: why not the fast lane (empty: fast). */
  | { type: 'lane-changed'; app: string; lane: 'fast' | 'proxy'; reasons: string[] }
  /** The log folder cannot be written; output is kept in memory (bounded) meanwhile. */
  | { type: 'log-problem'; app: string; path: string; code: string; message: string }
  /** Log files are written again; `droppedBytes`: output that could not be kept in memory meanwhile (0: none lost). */
  | { type: 'log-recovered'; app: string; droppedBytes?: number }
  /** The app was enabled (starts with the engine) or disabled; saved in the registry when the engine has one. */
  | { type: 'app-enabled'; app: string; enabled: boolean }
  /** Settings were written to the app's settings file through the control API (`to: null`: the key was removed). */
  | { type: 'settings-written'; app: string; file: string; changes: { setting: string; to: string | number | boolean | null }[] }
  /** The registry file could not be used; it was moved aside and the engine started with an empty app list. */
  | { type: 'registry-problem'; file: string; movedTo: string; reason: string }
  /** A worker stayed above maxMemoryPerProcessInMB; a replacement is starting in its slot. */
  | { type: 'worker-memory-limit'; app: string; pid: number; slot: number; rssMb: number; limitMb: number }
  /** A worker's event loop was silent past unresponsiveTimeout; a replacement is starting. */
  | { type: 'worker-unresponsive'; app: string; pid: number; slot: number; silentMs: number; activeRequests: number }
  | {
      type: 'worker-exit';
      app: string;
      pid: number;
      generation: number;
      slot: number;
      code: number | null;
      signal: string | null;
      /** Berth asked it to stop; false means it crashed. */
      expected: boolean;
      beforeReady: boolean;
      uptimeMs: number;
      /** Its last stderr lines. */
      stderr: string[];
      spawnError?: string;
      /** Set when Berth will start a replacement after this many milliseconds. */
      restartInMs?: number;
      /** Client connections it held on the fast lane (handed to it), cut by its exit; absent when none. */
      connectionsLost?: number;
    };

export type EngineEventType = EngineEvent['type'];
