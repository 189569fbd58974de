/**
 * Log quotas: `maxLogFiles`, `maxTotalLogFileSizeInKB` (iisnode) and `logRetentionDays` (Berth). The plan is a pure
 * function; `enforceLogQuota` lists the folder, plans and deletes.
 *
 * Differences from iisnode, on purpose:
 * - Only Berth's own log files (names matching iisnode's pattern) are counted and deleted. iisnode counted and
 *   deleted every file in the folder except index.html, so a README or a `.gitignore` put there vanished.
 * - A file a writer of this engine is still writing is never deleted (see active-files.ts), even if that leaves a
 *   quota exceeded until the file rolls over.
 * - Oldest first by the time in the name (when the file was started), then modification time, then name: the name
 *   survives copies and touch, mtime breaks ties between files started in the same millisecond.
 * - 0 means "no limit" for both quotas and for retention (a log folder that may hold no file is not a useful setting;
 *   `loggingEnabled: false` is the way to keep no logs).
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { activeLogFiles, type ActiveLogFiles } from './active-files.js';
import { parseLogFileName, type LogFileName } from './naming.js';

export interface LogFileEntry extends LogFileName {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface QuotaLimits {
  /** Most log files kept (0 = no limit). */
  maxLogFiles: number;
  /** Most bytes kept over all log files (0 = no limit). */
  maxTotalBytes: number;
  /** Files last written longer ago than this many days go (0 or absent = keep). */
  retentionDays?: number;
}

export type DeleteReason = 'retention' | 'count' | 'size';

export interface PurgePlan {
  delete: { file: LogFileEntry; reason: DeleteReason }[];
  /** Quotas still exceeded after the plan because the only files left are being written. */
  stillOver: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function compareOldestFirst(a: LogFileEntry, b: LogFileEntry): number {
  return a.created - b.created || a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Which files to delete, oldest first, so that the folder fits the limits. Never picks a file `isActive` names. */
export function planPurge(files: readonly LogFileEntry[], limits: QuotaLimits, isActive: (file: string) => boolean, now: number): PurgePlan {
  const sorted = [...files].sort(compareOldestFirst);
  const plan: PurgePlan['delete'] = [];
  const gone = new Set<LogFileEntry>();
  let count = sorted.length;
  let bytes = sorted.reduce((sum, f) => sum + f.size, 0);
  const drop = (file: LogFileEntry, reason: DeleteReason) => {
    plan.push({ file, reason });
    gone.add(file);
    count--;
    bytes -= file.size;
  };

  const days = limits.retentionDays ?? 0;
  if (days > 0) {
    const cutoff = now - days * DAY_MS;
    for (const f of sorted) if (f.mtimeMs < cutoff && !isActive(f.path)) drop(f, 'retention');
  }
  const overCount = () => limits.maxLogFiles > 0 && count > limits.maxLogFiles;
  const overSize = () => limits.maxTotalBytes > 0 && bytes > limits.maxTotalBytes;
  for (const f of sorted) {
    if (!overCount() && !overSize()) break;
    if (gone.has(f) || isActive(f.path)) continue;
    drop(f, overCount() ? 'count' : 'size');
  }
  return { delete: plan, stillOver: overCount() || overSize() };
}

/**
 * Berth's log files in `dir` (plain files whose names match the pattern; symbolic links and folders are not logs).
 * A missing folder has none.
 */
export async function listLogFiles(dir: string): Promise<LogFileEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: LogFileEntry[] = [];
  await Promise.all(
    names.map(async (name) => {
      const parsed = parseLogFileName(name);
      if (!parsed) return;
      const file = path.join(dir, name);
      try {
        const st = await lstat(file);
        if (st.isFile()) found.push({ ...parsed, name, path: file, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // Deleted between readdir and lstat: not there any more.
      }
    }),
  );
  return found.sort(compareOldestFirst);
}

export interface PurgeResult {
  deleted: string[];
  /** Files that could not be deleted (open elsewhere, permissions), with the error code. */
  failed: { name: string; code: string }[];
  stillOver: boolean;
}

export interface PurgeOptions {
  active?: ActiveLogFiles;
  now?: number;
}

/**
 * Deletes the oldest of Berth's log files in `dir` until the limits hold. Never throws: a folder that cannot be read
 * has nothing to purge, and a file that cannot be deleted is reported and skipped (iisnode skipped those too).
 */
export async function enforceLogQuota(dir: string, limits: QuotaLimits, options: PurgeOptions = {}): Promise<PurgeResult> {
  const active = options.active ?? activeLogFiles;
  const files = await listLogFiles(dir);
  const plan = planPurge(files, limits, (f) => active.has(f), options.now ?? Date.now());
  const result: PurgeResult = { deleted: [], failed: [], stillOver: plan.stillOver };
  for (const { file } of plan.delete) {
    // Checked again: a writer may have become active on this name while the folder was listed.
    if (active.has(file.path)) continue;
    try {
      await unlink(file.path);
      result.deleted.push(file.name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      if (code === 'ENOENT') result.deleted.push(file.name);
      else result.failed.push({ name: file.name, code });
    }
  }
  return result;
}
