/**
 * The files that recycle an app: watchedFiles (relative to the entry's folder) plus berth.yml and iisnode.yml in the
 * app folder. Calls `change(reason)` once per burst of changes; what a change does is the app's business.
 */
import path from 'node:path';
import type { Settings } from '../config/schema.js';
import { resolveLogDirectory } from '../logs/naming.js';
import type { Platform } from '../platform/platform.js';
import { createAppWatcher, type AppWatcher } from '../watch/index.js';

export interface FileWatchOptions {
  platform: Platform;
  env: NodeJS.ProcessEnv;
  /** Files changed: `reason` says which. */
  change(reason: string): void;
  /** Something worth telling about the watching (an error, polling instead of native events). */
  warn(warnings: string[]): void;
}

/** What to watch: the entry's folder (`root`) with the version's settings, and the app folder. */
export interface WatchTarget {
  root: string;
  /** The entry script (absolute), watched whatever watchedFiles says. */
  entry?: string | undefined;
  folder: string;
  settings: Settings;
}

export class AppFileWatch {
  private watchers: AppWatcher[] = [];
  /** What the current watchers were made from, to know when they must be made again. */
  private key = '';
  /** The update or close under way (see inTurn). */
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileWatchOptions) {}

  /** Whether it watches anything now. */
  get watching(): boolean {
    return this.watchers.length > 0;
  }

  /** Watches `target`; the watchers are made again only when what they watch changed. */
  update(target: WatchTarget): Promise<void> {
    return this.inTurn(() => this.watch(target));
  }

  /** Stops watching; resolves when every watcher has let go of its files (after an update under way). */
  close(): Promise<void> {
    return this.inTurn(() => this.closeNow());
  }

  /** One update or close at a time, in call order: a close never lets an update under way leave watchers behind. */
  private inTurn(job: () => Promise<void>): Promise<void> {
    const run = this.turn.then(job);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async watch(target: WatchTarget): Promise<void> {
    const { root, folder, settings } = target;
    const alwaysFiles = target.entry && path.dirname(path.resolve(target.entry)) === path.resolve(root) ? [path.basename(target.entry)] : [];
    const { platform, env } = this.options;
    const logDirectory = resolveLogDirectory(root, settings.logDirectory, platform);
    const key = JSON.stringify([root, alwaysFiles, settings.watchedFiles, logDirectory, settings.uncFileChangesPollingInterval]);
    if (key === this.key) return;
    await this.closeNow();
    this.key = key;
    const common = { logDirectory, pollingIntervalMs: settings.uncFileChangesPollingInterval, env, platform };
    const watchers = [createAppWatcher({ root, watchedFiles: settings.watchedFiles, alwaysFiles, ...common })];
    // berth.yml and iisnode.yml live in the app folder, which is not the entry's folder when the entry is deeper.
    if (path.resolve(root) !== path.resolve(folder)) watchers.push(createAppWatcher({ root: folder, watchedFiles: '', ...common }));
    for (const watcher of watchers) {
      watcher.on('change', (trigger) => this.options.change(trigger.reason));
      watcher.on('error', (error) => this.options.warn([`watching files: ${error.message}`]));
    }
    this.watchers = watchers;
    await Promise.all(watchers.map((w) => w.ready));
    const notes = watchers.flatMap((w) => [
      ...w.warnings,
      ...(w.mode?.polling ? [`watching ${w === watchers[0] ? root : folder} by polling every ${w.mode.intervalMs} ms (${w.mode.reason})`] : []),
    ]);
    if (notes.length) this.options.warn(notes);
  }

  private async closeNow(): Promise<void> {
    const watchers = this.watchers;
    this.watchers = [];
    this.key = '';
    await Promise.all(watchers.map((w) => w.close()));
  }
}
