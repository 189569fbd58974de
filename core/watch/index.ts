/**
 * Berth's file watcher: which changes recycle an app, debounced into one trigger per burst. The public API; the
 * app wires `createAppWatcher` to its graceful recycle.
 */
export { AppWatcher, createAppWatcher, DEFAULT_POLLING_INTERVAL_MS } from './app-watcher.js';
export type { AppWatcherEvents, AppWatcherOptions, WatchMode, WatcherDeps } from './app-watcher.js';
export { ChangeBatcher, DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_WAIT_MS, describeChanges } from './batcher.js';
export type { ChangeKind, ChangeTrigger } from './batcher.js';
export { compileWatchRules, CONFIG_FILES, DEFAULT_WATCHED_FILES, NOISE_FOLDERS } from './patterns.js';
export type { WatchRules, WatchRulesOptions } from './patterns.js';
export { needsPolling, pollingForcedByEnv } from './polling.js';
export type { DriveKind, PollingDecision, PollingInfo } from './polling.js';
