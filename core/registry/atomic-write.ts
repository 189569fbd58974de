/**
 * Writing a file so that readers, and a crash or power loss at any moment, see either the old content or the new,
 * never a half-written file: write a temporary file next to it, flush it to disk, rename it over the target, and
 * flush the folder (where the system allows it).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Permissions of the new file (POSIX); e.g. 0o600 for secrets. Default 0o644 (less the umask). */
  mode?: number;
  platform?: NodeJS.Platform;
}

/** How long a rename may be retried on Windows while another program (an antivirus, an editor) holds the file. */
const WINDOWS_RETRY_MS = 1000;

export async function writeFileAtomic(file: string, content: string | Buffer, options: AtomicWriteOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(temp, file, platform);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(dir, platform);
}

async function renameWithRetry(from: string, to: string, platform: NodeJS.Platform): Promise<void> {
  const deadline = Date.now() + WINDOWS_RETRY_MS;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const transient = platform === 'win32' && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY');
      if (!transient || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Makes the rename itself durable. Windows cannot open a folder for flushing; NTFS journals the rename. */
async function syncFolder(dir: string, platform: NodeJS.Platform): Promise<void> {
  if (platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a folder; the data itself is already on disk.
  }
}
