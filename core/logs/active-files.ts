/**
 * The log files some writer of this engine is still writing. Quota and retention purges consult it so they never
 * delete a file under a running worker: on Windows the delete would fail anyway (the file is open), but on POSIX it
 * would succeed and the worker's later output would go to an unlinked file nobody can read.
 *
 * One registry per engine process is enough (and is the point: two apps may share one absolute log folder), so the
 * module keeps a default instance; tests and hosts that want isolation pass their own.
 */
import path from 'node:path';

export class ActiveLogFiles {
  private readonly files = new Map<string, number>();

  private key(file: string): string {
    const resolved = path.resolve(file);
    // Windows and macOS file systems ignore case: the same file must not look inactive under another spelling.
    return process.platform === 'win32' || process.platform === 'darwin' ? resolved.toLowerCase() : resolved;
  }

  /** Marks a file as being written. Counted, so two registrations need two releases. */
  add(file: string): void {
    const k = this.key(file);
    this.files.set(k, (this.files.get(k) ?? 0) + 1);
  }

  delete(file: string): void {
    const k = this.key(file);
    const n = this.files.get(k) ?? 0;
    if (n <= 1) this.files.delete(k);
    else this.files.set(k, n - 1);
  }

  has(file: string): boolean {
    return this.files.has(this.key(file));
  }

  get size(): number {
    return this.files.size;
  }
}

/** The engine-wide registry used unless a caller passes its own. */
export const activeLogFiles = new ActiveLogFiles();
