/**
 * A worker's last output, kept in memory for the reports of its failures: the stderr tail (iisnode showed "the
 * last 64k"), and a smaller stdout tail for apps whose logger writes errors to stdout (pino, Fastify). The log files
 * are the app layer's (core/logs/capture.ts); this is what every crash event, error page and problem quotes.
 */
import { TailBuffer } from '../util/tail-buffer.js';
import { startupHint } from './startup-hints.js';

/** iisnode showed "the last 64k" of stderr; Berth keeps that much in memory per worker. */
export const STDERR_TAIL_BYTES = 64 * 1024;

/** Stdout kept per worker, for failures of apps whose logger writes errors to stdout (pino, Fastify). */
export const STDOUT_TAIL_BYTES = 16 * 1024;

const STDOUT_INSTEAD = '(nothing on stderr; the last lines it wrote to stdout:)';

export class WorkerOutput {
  readonly stderr = new TailBuffer(STDERR_TAIL_BYTES);
  readonly stdout = new TailBuffer(STDOUT_TAIL_BYTES);

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this[stream].push(chunk);
  }

  /**
   * The output that explains a failure: the last stderr, or when the worker wrote nothing there, its last stdout
   * (loggers such as pino write fatal errors to stdout), introduced by a line that says so.
   */
  failureText(): string {
    const stderr = this.stderr.text();
    if (stderr.trim() !== '') return stderr;
    const stdout = this.stdout.text();
    return stdout.trim() === '' ? '' : `${STDOUT_INSTEAD}\n${stdout}`;
  }

  /** The last `count` non-empty lines of `failureText()`. */
  failureLines(count: number): string[] {
    if (this.stderr.lastLines(1).length) return this.stderr.lastLines(count);
    const stdout = this.stdout.lastLines(count);
    return stdout.length ? [STDOUT_INSTEAD, ...stdout] : [];
  }

  /** The fix for a known start-up mistake seen in `failureText()` (startup-hints.ts), if any. */
  failureHint(): string | undefined {
    return startupHint(this.failureText());
  }
}
