/**
 * Throwaway copies of the benchmark apps, for scenarios that change an app's files (upgrades), host many apps, or
 * make Berth write log files: the sources in test/bench/apps/ are never touched, and the copies are removed
 * afterwards, also on failure.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appFolder } from './hosts.js';

export interface AppCopy {
  /** Folder under test/bench/apps/ to copy. */
  app: string;
  /** Folder name of the copy, which becomes the app's name under Berth (default: `app`). */
  as?: string;
}

/** Copies the apps into one fresh temporary folder, runs `use` with the copies' folders (in order), then removes them. */
export async function withAppCopies<T>(apps: readonly AppCopy[], use: (folders: string[]) => Promise<T>): Promise<T> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    const folders: string[] = [];
    for (const { app, as } of apps) {
      const target = path.join(root, as ?? app);
      await cp(appFolder(app), target, { recursive: true });
      folders.push(target);
    }
    return await use(folders);
  } finally {
    // Retries: on Windows a worker that has just exited may still hold a file for a moment.
    await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/**
 * Rewrites the `versioned` app's server.js (in a copy) so that it answers `version` — a real write of the file
 * Berth watches, as an editor or a deployment would do it.
 */
export async function writeVersion(folder: string, version: string): Promise<void> {
  const file = path.join(folder, 'server.js');
  const source = await readFile(file, 'utf8');
  const next = source.replace(/^const VERSION = .*$/m, `const VERSION = ${JSON.stringify(version)};`);
  if (next === source && !source.includes(`const VERSION = ${JSON.stringify(version)};`)) throw new Error(`${file} has no "const VERSION = ..." line to change`);
  await writeFile(file, next);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
