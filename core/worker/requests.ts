/**
 * Questions the engine asks a worker's bootstrap over IPC that get an answer later (a heap snapshot, a CPU
 * profile): each carries an id, waits at most its timeout, and is rejected when the worker exits first.
 */
import type { ChildProcess } from 'node:child_process';
import type { BootstrapAnswer } from './bootstrap-messages.js';

/** What the bootstrap answers after writing a heap snapshot or a CPU profile. */
export interface WrittenFile {
  path: string;
  size: number;
}

interface Pending {
  resolve: (file: WrittenFile) => void;
  reject: (error: Error) => void;
}

export class BootstrapRequests {
  private ids = 0;
  private readonly pending = new Map<number, Pending>();

  /** Sends `message` (with a fresh id) over `child`'s channel; settles on the answer, the timeout or the exit. */
  ask(child: ChildProcess, pid: number | undefined, message: Record<string, unknown>, timeoutMs: number): Promise<WrittenFile> {
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${pid} did not answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ ...message, id });
    });
  }

  /** Settles the request a `heap-snapshot-done` / `cpu-profile-done` message answers (a late answer is dropped). */
  answer(message: BootstrapAnswer): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error) pending.reject(new Error(message.error));
    else pending.resolve({ path: String(message.path), size: Number(message.size) });
  }

  /** The worker exited: no answer will come. */
  rejectAll(pid: number | undefined): void {
    for (const pending of this.pending.values()) pending.reject(new Error(`worker ${pid} exited`));
    this.pending.clear();
  }
}
