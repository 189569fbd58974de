/**
 * Drops the polling backend's false "changed" reports on Windows.
 *
 * chokidar 6.0.0 polls a file by comparing each `stat()` with the previous one (size and mtime). The previous one
 * of a file found by the initial scan comes from readdirp, which on Windows asks for BigInt stats; a BigInt never
 * equals a number (`1n !== 1`), so the first poll of every file that existed at start reports it changed. For an app
 * on a UNC share or a mapped drive (always polled) that is a recycle nobody asked for, naming untouched files, one
 * polling interval after every start.
 *
 * chokidar announces every poll that it will report as a change on its `raw` event, with both stats. Berth compares
 * them itself, as numbers, and a change whose poll found the same size and mtime is ignored. Native watching is not
 * affected (it reports events from the system, not stat comparisons).
 */
import path from 'node:path';

/** The fields of `fs.Stats` or `fs.BigIntStats` that tell a file's content changed. */
export interface StatLike {
  size: number | bigint;
  mtimeMs: number | bigint;
  /** Present on BigInt stats: the mtime to the nanosecond (BigInt `mtimeMs` is truncated to whole milliseconds). */
  mtimeNs?: bigint;
}

/** A stat's size and mtime as plain numbers, computed as Node computes number stats so both kinds agree exactly. */
function identity(stats: StatLike): { size: number; mtimeMs: number } {
  if (typeof stats.mtimeNs === 'bigint') {
    const seconds = stats.mtimeNs / 1_000_000_000n;
    const nanoseconds = stats.mtimeNs % 1_000_000_000n;
    return { size: Number(stats.size), mtimeMs: Number(seconds) * 1e3 + Number(nanoseconds) / 1e6 };
  }
  return { size: Number(stats.size), mtimeMs: Number(stats.mtimeMs) };
}

/** True when two stats of one file, BigInt or not, show the same size and modification time. */
export function sameFileState(previous: StatLike, current: StatLike): boolean {
  const a = identity(previous);
  const b = identity(current);
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function isStatLike(value: unknown): value is StatLike {
  const stats = value as Partial<StatLike> | null | undefined;
  return (typeof stats?.size === 'number' || typeof stats?.size === 'bigint') && (typeof stats.mtimeMs === 'number' || typeof stats.mtimeMs === 'bigint');
}

/** Remembers, per file, whether chokidar's latest poll of it found no real change. */
export class PollCheck {
  readonly #unchanged = new Set<string>();

  /** chokidar's `raw` event. Only polls carry `{ current, previous }`; native events are left alone. */
  raw(event: string, file: string | null, details: unknown): void {
    const { current, previous } = (details ?? {}) as { current?: unknown; previous?: unknown };
    if (event !== 'change' || file === null || !isStatLike(current) || !isStatLike(previous)) return;
    const key = path.resolve(file);
    if (sameFileState(previous, current)) this.#unchanged.add(key);
    else this.#unchanged.delete(key);
  }

  /** Whether a `change` of this file is real; a false one is consumed (the next poll decides afresh). */
  isRealChange(file: string): boolean {
    return !this.#unchanged.delete(path.resolve(file));
  }
}
