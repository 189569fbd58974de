/**
 * Watches one app folder and reports debounced recycle triggers (iisnode's `CFileWatcher`, done with chokidar).
 *
 * What triggers is decided by `patterns.ts`; the same rules tell chokidar which folders need no watch at all, so a
 * large `node_modules` tree costs nothing unless a pattern names it. Network folders are polled (`polling.ts`).
 * Nothing here throws after construction: file-system errors (EMFILE, EPERM when a folder is deleted on Windows)
 * are emitted as `error` events and watching goes on.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { Platform } from '../platform/platform.js';
import { ChangeBatcher, DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_WAIT_MS, type ChangeKind, type ChangeTrigger } from './batcher.js';
import { compileWatchRules, type WatchRules } from './patterns.js';
import { PollCheck } from './poll-check.js';
import { lookupPollingInfo, needsPolling, pollingForcedByEnv, type PollingDecision, type PollingInfo } from './polling.js';

/** iisnode's `uncFileChangesPollingInterval` default. */
export const DEFAULT_POLLING_INTERVAL_MS = 5000;

export interface AppWatcherOptions {
  /** The app's entry folder: patterns are relative to it. */
  root: string;
  /** The `watchedFiles` setting (already `%VAR%`-expanded); undefined means `*.js;iisnode.yml`. */
  watchedFiles?: string | undefined;
  /** Top-level files always watched besides the configuration files (the entry script). */
  alwaysFiles?: readonly string[] | undefined;
  /** The absolute log folder; when inside `root`, nothing in it triggers. */
  logDirectory?: string | undefined;
  /** Quiet time before a trigger (default 300 ms). */
  debounceMs?: number | undefined;
  /** Longest delay between the first change and its trigger while changes keep coming (default 2 s). */
  maxWaitMs?: number | undefined;
  /** `uncFileChangesPollingInterval`: the polling period when polling (default 5000 ms). */
  pollingIntervalMs?: number | undefined;
  /** Poll even a local folder. `BERTH_FORCE_POLLING=1` in `env` does the same. */
  forcePolling?: boolean | undefined;
  /** Where `BERTH_FORCE_POLLING` is read (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /** The rules' platform: case folding and Windows path forms (default `process.platform`). */
  platform?: Platform | undefined;
  /** What the polling decision knows about the folder; looked up on this machine when omitted. */
  pollingInfo?: PollingInfo | undefined;
}

export interface AppWatcherEvents {
  change: [trigger: ChangeTrigger];
  error: [error: Error];
}

/** How the folder ends up watched, for logs: `native`, or `polling` with the decision's reason. */
export interface WatchMode extends PollingDecision {
  intervalMs: number;
}

/** The chokidar entry point, replaceable in tests. */
export interface WatcherDeps {
  watch: typeof chokidarWatch;
}

const EVENT_KINDS: ReadonlyMap<string, ChangeKind> = new Map([
  ['add', 'added'],
  ['change', 'changed'],
  ['unlink', 'deleted'],
]);

export class AppWatcher extends EventEmitter<AppWatcherEvents> {
  /** Settles once the initial scan is complete (or the watcher was closed first); never rejects. */
  readonly ready: Promise<void>;
  /** Entries of `watchedFiles` that were skipped and other set-up remarks, as sentences for the user. */
  readonly warnings: string[] = [];
  readonly root: string;
  readonly rules: WatchRules;
  #mode: WatchMode | undefined;
  /** Settles once chokidar has been created (or not, when closed first or creation failed). */
  readonly #created: Promise<FSWatcher | undefined>;
  #chokidar: FSWatcher | undefined;
  #releaseReady: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  readonly #batcher: ChangeBatcher;

  constructor(options: AppWatcherOptions, deps: WatcherDeps = { watch: chokidarWatch }) {
    super();
    this.root = path.resolve(options.root);
    const platform = options.platform ?? process.platform;
    const ignoredFolders: string[] = [];
    if (options.logDirectory) {
      const log = this.#relative(path.resolve(this.root, options.logDirectory));
      if (log === '') this.warnings.push('the log folder is the app folder itself: log files that match watchedFiles will recycle the app');
      else if (log !== null) ignoredFolders.push(log);
    }
    this.rules = compileWatchRules({ watchedFiles: options.watchedFiles, platform, ignoredFolders, alwaysFiles: options.alwaysFiles ?? [] });
    this.warnings.push(...this.rules.problems);
    this.#batcher = new ChangeBatcher(
      { debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS, maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS },
      (trigger) => this.emit('change', trigger),
    );
    this.#created = this.#create(options, platform, deps).catch((error: unknown) => {
      this.#report(error);
      return undefined;
    });
    this.ready = this.#created.then((watcher) => watcher && this.#untilReady(watcher));
  }

  /** How the folder is watched; known once `ready` has settled. */
  get mode(): WatchMode | undefined {
    return this.#mode;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** True while changes wait for the quiet window (tests wait on it instead of guessing how long a change takes). */
  get pending(): boolean {
    return this.#batcher.pending;
  }

  /**
   * The folders under watch, relative with forward slashes ('' is the app folder), for diagnostics: it shows that
   * `node_modules` and the log folder cost no watch.
   */
  watchedFolders(): string[] {
    if (!this.#chokidar || this.#chokidar.closed) return [];
    const folders = Object.keys(this.#chokidar.getWatched()).map((folder) => this.#relative(folder));
    return folders.filter((folder): folder is string => folder !== null).sort();
  }

  /** Stops watching and releases every handle; pending changes are dropped. Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#batcher.cancel();
      this.#releaseReady?.();
      // The watcher may still be being created; wait for it so it is closed rather than left running.
      const watcher = await this.#created;
      await watcher?.close().catch((error: unknown) => this.#report(error));
    })();
    return this.#closing;
  }

  async #create(options: AppWatcherOptions, platform: Platform, deps: WatcherDeps): Promise<FSWatcher | undefined> {
    const force = options.forcePolling === true || pollingForcedByEnv(options.env ?? process.env);
    const info = options.pollingInfo
      ? { ...options.pollingInfo, force: force || options.pollingInfo.force === true }
      : await lookupPollingInfo(this.root, platform, force);
    const decision = needsPolling(this.root, platform, info);
    const intervalMs = options.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS;
    this.#mode = { ...decision, intervalMs };
    if (this.closed) return undefined;

    const depth = this.rules.maxDepth;
    const watcher = deps.watch(this.root, {
      ignoreInitial: true,
      ignored: (file, stats) => this.#ignores(file, stats),
      // `auto` is one recursive watch on Windows and macOS (which, unlike per-folder watches on Windows, does not
      // lock subfolders against deletion) and per-folder inotify watches on Linux.
      backend: decision.polling ? 'polling' : 'auto',
      pollingInterval: intervalMs,
      pollingBinaryInterval: intervalMs,
      // Without `**` the patterns reach a known depth; saying so keeps chokidar from subscribing deeper.
      ...(Number.isFinite(depth) ? { depth } : {}),
    });
    this.#chokidar = watcher;
    watcher.on('error', (error) => this.#report(error));
    // Polling on Windows reports untouched files as changed once (see poll-check.ts); those changes are dropped.
    const pollCheck = decision.polling ? new PollCheck() : undefined;
    if (pollCheck) watcher.on('raw', (event, file, details) => pollCheck.raw(event, file, details));
    watcher.on('all', (event, file) => {
      const kind = EVENT_KINDS.get(event);
      if (kind === 'changed' && pollCheck && !pollCheck.isRealChange(file)) return;
      const relative = kind && this.#relative(file);
      if (kind && relative && this.rules.matches(relative)) this.#batcher.record(relative, kind);
    });
    return watcher;
  }

  /** Chokidar's `ready`, or the watcher being closed first (close() removes chokidar's listeners). */
  #untilReady(watcher: FSWatcher): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.#releaseReady = resolve;
      watcher.once('ready', () => resolve());
    });
  }

  #ignores(file: string, stats?: { isFile(): boolean; isDirectory(): boolean }): boolean {
    const relative = this.#relative(file);
    // The app folder and the folders above it (chokidar asks about those too) are always watched.
    if (!relative) return false;
    const kind = !stats ? 'unknown' : stats.isDirectory() ? 'folder' : stats.isFile() ? 'file' : 'unknown';
    return this.rules.ignores(relative, kind);
  }

  /** A path as the rules see it: relative to the root with forward slashes; null when outside the root. */
  #relative(file: string): string | null {
    const relative = path.relative(this.root, file);
    if (relative === '') return '';
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return null;
    return relative.split(path.sep).join('/');
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    // An EventEmitter throws an `error` nobody listens to; a watcher problem must not take the engine down.
    if (this.listenerCount('error')) this.emit('error', err);
    else process.emitWarning(`file watcher for ${this.root}: ${err.message}`, 'BerthWatchWarning');
  }
}

/** Starts watching an app folder. Listen for `change` (one per burst of changes) and `error`; `close()` when done. */
export function createAppWatcher(options: AppWatcherOptions, deps?: WatcherDeps): AppWatcher {
  return new AppWatcher(options, deps);
}
