/**
 * "A part of the path is a file, not a folder", decided from the path itself. Linux says ENOTDIR when a file stands
 * where a folder of the path should be; Windows says ENOENT for the same thing, and EEXIST is what mkdir reports
 * when the file is the folder itself. Hints keyed on one platform's errno would show on one platform only, so the
 * errors of folder operations are classified here by looking at the path.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** The file (not folder) that stands where `target` or one of its parent folders should be, if any. */
export async function fileInTheWay(target: string): Promise<string | undefined> {
  for (let current = path.resolve(target); ; ) {
    try {
      return (await stat(current)).isDirectory() ? undefined : current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }
}

/**
 * The same error, its code ENOTDIR when a file blocks the folder `target` (whatever the platform called it), so
 * every message keyed on ENOTDIR shows on Windows too.
 */
export async function classifyFolderError<E extends NodeJS.ErrnoException>(error: E, target: string): Promise<E> {
  if (!['ENOENT', 'ENOTDIR', 'EEXIST'].includes(error.code ?? '')) return error;
  return (await fileInTheWay(target)) !== undefined ? Object.assign(error, { code: 'ENOTDIR' }) : error;
}
