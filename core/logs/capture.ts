/**
 * One app's log capture: the façade the engine uses. It owns the app's log folder (quotas, index.html), one
 * `WorkerCapture` per worker (a `LogFileWriter` per stream, created on the first bytes), and the app's live tail.
 *
 * Wiring (for the app and worker code):
 *
 *   const logs = new AppLogCapture({ baseDir: path.dirname(entry), settings });
 *   logs.on('problem', (p) => report(p.message));           // once per episode; 'recovered' ends it
 *   // per worker, right after spawn (before any output can be lost):
 *   const capture = logs.createWorkerCapture(child.pid);
 *   pipeWorkerOutput(child, capture);                       // pause/resume backpressure; closes the capture at the end
 *   // after a recycle or when workers went away:
 *   await logs.enforceQuota();
 *   // app removed or settings changed:
 *   await logs.close();
 *
 * A capture must be closed only after the child's stdout and stderr have ended (ChildProcess 'close', not 'exit':
 * output can still arrive after 'exit'); `pipeWorkerOutput` does exactly that.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Settings } from '../config/schema.js';
import type { Platform } from '../platform/platform.js';
import { activeLogFiles, type ActiveLogFiles } from './active-files.js';
import { LogIndexUpdater } from './index-page.js';
import {
  DEFAULT_FAULT_BUFFER_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_RETRY_MS,
  LogFileWriter,
  type LogFs,
  type LogWriteProblem,
} from './log-file-writer.js';
import { computerNameFor, resolveLogDirectory, type LogStream } from './naming.js';
import { enforceLogQuota, type PurgeResult } from './quota.js';
import { LogTail } from './tail.js';

export type LogSettings = Pick<Settings, 'loggingEnabled' | 'logDirectory' | 'maxLogFileSizeInKB' | 'maxTotalLogFileSizeInKB' | 'maxLogFiles'> & {
  /** Berth's own: log files last written longer ago than this many days are deleted (0 or absent = keep). */
  logRetentionDays?: number;
};

export interface AppLogCaptureOptions {
  /** The folder a relative `logDirectory` is resolved against: the entry's folder. */
  baseDir: string;
  settings: LogSettings;
  platform?: Platform;
  /** Where COMPUTERNAME is read from (the engine's environment). */
  env?: NodeJS.ProcessEnv;
  /** Overrides COMPUTERNAME / the host name (already file-name-safe). */
  computerName?: string;
  active?: ActiveLogFiles;
  /** The live tail to feed; a new one by default. */
  tail?: LogTail;
  fs?: LogFs;
  retryMs?: number;
  /** How soon after a write a log file is checked to be still on disk (default 1 s). */
  verifyMs?: number;
  maxQueuedBytes?: number;
  faultBufferBytes?: number;
  indexDebounceMs?: number;
  now?: () => number;
}

/** A log folder problem, for the app's event stream and the UI. */
export interface LogProblem {
  path: string;
  code: string;
  /** One paragraph: what failed, what Berth does meanwhile, what to do. */
  message: string;
}

export interface AppLogCaptureEvents {
  /** Writing logs started failing (reported once until 'recovered'). Capture goes on in memory. */
  problem: [LogProblem];
  /** Every writer that was failing has written again; `droppedBytes`: output lost meanwhile (0: none). */
  recovered: [droppedBytes: number];
  /** Old log files were deleted (or could not be). */
  purged: [PurgeResult];
}

const RETENTION_CHECK_MS = 60 * 60 * 1000;

export class AppLogCapture extends EventEmitter<AppLogCaptureEvents> {
  readonly dir: string;
  readonly tail: LogTail;
  readonly enabled: boolean;
  readonly computer: string;
  private readonly workers = new Set<WorkerCapture>();
  private readonly failing = new Set<LogFileWriter>();
  /** Output the failing writers could not keep, in this episode. */
  private droppedInEpisode = 0;
  private readonly index: LogIndexUpdater;
  private quotaRun: Promise<PurgeResult> | undefined;
  private quotaAgain = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly options: AppLogCaptureOptions) {
    super();
    const { settings } = options;
    this.dir = resolveLogDirectory(options.baseDir, settings.logDirectory, options.platform);
    this.enabled = settings.loggingEnabled;
    this.tail = options.tail ?? new LogTail();
    this.computer = options.computerName ?? computerNameFor(options.env ?? process.env);
    this.index = new LogIndexUpdater(this.dir, { debounceMs: options.indexDebounceMs ?? 250, ...(options.now ? { now: options.now } : {}) });
    if (this.enabled && (settings.logRetentionDays ?? 0) > 0) {
      // A quiet app never rolls a file, so retention also runs on a slow timer.
      this.retentionTimer = setInterval(() => void this.enforceQuota(), RETENTION_CHECK_MS);
      this.retentionTimer.unref();
    }
  }

  /** The capture for a new worker. Also applies the quotas (iisnode purged when a process started). */
  createWorkerCapture(pid: number): WorkerCapture {
    const capture = new WorkerCapture(this, pid);
    this.workers.add(capture);
    if (this.enabled) void this.enforceQuota();
    return capture;
  }

  /**
   * Deletes the oldest log files beyond `maxLogFiles` / `maxTotalLogFileSizeInKB` / `logRetentionDays`, never one a
   * writer is still writing and never a file that is not a Berth log. Runs one at a time; calls during a run share
   * one more run. Never rejects.
   */
  enforceQuota(): Promise<PurgeResult> {
    if (this.quotaRun) {
      this.quotaAgain = true;
      return this.quotaRun;
    }
    const { settings } = this.options;
    const run = async (): Promise<PurgeResult> => {
      let result: PurgeResult;
      do {
        this.quotaAgain = false;
        result = await enforceLogQuota(
          this.dir,
          {
            maxLogFiles: settings.maxLogFiles,
            maxTotalBytes: settings.maxTotalLogFileSizeInKB * 1024,
            retentionDays: settings.logRetentionDays ?? 0,
          },
          { active: this.options.active ?? activeLogFiles, ...(this.options.now ? { now: this.options.now() } : {}) },
        );
        if (result.deleted.length || result.failed.length) {
          this.index.schedule();
          this.emit('purged', result);
        }
      } while (this.quotaAgain);
      return result;
    };
    this.quotaRun = run().finally(() => {
      this.quotaRun = undefined;
    });
    return this.quotaRun;
  }

  /** Everything accepted so far is on disk, quotas applied and index.html current (for tests and shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.flush()));
    while (this.quotaRun) await this.quotaRun;
    await this.index.flush();
  }

  /** Rewrites index.html now. */
  updateIndex(): Promise<void> {
    return this.index.update();
  }

  /** Closes every worker capture (writing what they hold) and stops the timers. The tail stays readable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    await Promise.all([...this.workers].map((w) => w.close()));
    while (this.quotaRun) await this.quotaRun;
    if (this.enabled) await this.index.update();
    this.index.close();
  }

  /** @internal A writer for one worker's stream, wired to the folder's bookkeeping. */
  newWriter(pid: number, stream: LogStream): LogFileWriter {
    const o = this.options;
    const writer = new LogFileWriter({
      dir: this.dir,
      computer: this.computer,
      pid,
      stream,
      maxFileBytes: o.settings.maxLogFileSizeInKB * 1024,
      maxQueuedBytes: o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      faultBufferBytes: o.faultBufferBytes ?? DEFAULT_FAULT_BUFFER_BYTES,
      retryMs: o.retryMs ?? DEFAULT_RETRY_MS,
      ...(o.verifyMs !== undefined ? { verifyMs: o.verifyMs } : {}),
      ...(o.active ? { active: o.active } : {}),
      ...(o.fs ? { fs: o.fs } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    writer.on('file-opened', () => {
      this.index.schedule();
      void this.enforceQuota(); // a new file may take the folder over a quota
    });
    writer.on('file-closed', () => this.index.schedule());
    writer.on('problem', (p) => this.onWriterProblem(writer, p));
    writer.on('recovered', (dropped) => this.onWriterRecovered(writer, dropped));
    return writer;
  }

  /** @internal */
  writerClosed(writer: LogFileWriter): void {
    this.onWriterRecovered(writer, 0);
  }

  /** @internal */
  workerClosed(capture: WorkerCapture): void {
    this.workers.delete(capture);
  }

  private onWriterProblem(writer: LogFileWriter, p: LogWriteProblem): void {
    const first = this.failing.size === 0;
    this.failing.add(writer);
    if (!first) return;
    this.emit('problem', {
      path: p.path,
      code: p.code,
      message: describeLogProblem(p, this.dir, this.options.faultBufferBytes ?? DEFAULT_FAULT_BUFFER_BYTES, this.options.retryMs ?? DEFAULT_RETRY_MS),
    });
  }

  private onWriterRecovered(writer: LogFileWriter, dropped: number): void {
    if (!this.failing.delete(writer)) return;
    this.droppedInEpisode += dropped;
    if (this.failing.size > 0) return;
    const total = this.droppedInEpisode;
    this.droppedInEpisode = 0;
    this.emit('recovered', total);
  }
}

/** A human explanation of a log folder failure: what, what happens meanwhile, what to do. */
export function describeLogProblem(p: Pick<LogWriteProblem, 'path' | 'code' | 'operation'> & { error?: Error }, dir: string, keptBytes: number, retryMs: number): string {
  const why: Record<string, [string, string]> = {
    EACCES: ['permission denied', `give the account running Berth write access to "${dir}", or set logDirectory to a folder it can write`],
    EPERM: ['operation not permitted', `give the account running Berth write access to "${dir}", or set logDirectory to a folder it can write`],
    ENOTDIR: ['a part of the path is a file, not a folder', `remove or rename that file, or set logDirectory to another folder`],
    ENOENT: ['a part of the path does not exist and cannot be created', 'create the folder, or set logDirectory to an existing folder'],
    ENOSPC: ['the disk is full', 'free disk space, or lower maxTotalLogFileSizeInKB'],
    EDQUOT: ['the disk quota is exhausted', 'free disk space, or lower maxTotalLogFileSizeInKB'],
    EROFS: ['the file system is read-only', 'set logDirectory to a folder on a writable disk'],
    EEXIST: ['no free log file name was found', 'remove stray files from the log folder'],
    EISDIR: ['a folder is in the way of the log file', 'remove it from the log folder'],
  };
  const [reason, fix] = why[p.code] ?? [p.error?.message ?? 'unknown error', `check "${dir}"`];
  const verb = p.operation === 'open' ? 'create a log file in' : 'write a log file in';
  const kept = keptBytes >= 1024 * 1024 ? `${Math.round(keptBytes / 1024 / 1024)} MB` : `${Math.round(keptBytes / 1024)} KB`;
  return (
    `Berth cannot ${verb} "${dir}" (${p.code}: ${reason}; at "${p.path}"). ` +
    `The app keeps running; its output is kept in memory (the last ${kept} per worker and stream) and written ` +
    `when the folder works again (Berth retries every ${Math.round(retryMs / 1000)} s). To fix: ${fix}.`
  );
}

export interface WorkerCaptureEvents {
  /** The stream's queue drained after `write()` returned false: resume that pipe. */
  drain: [stream: LogStream];
}

/** One worker's output: feeds the app's tail and, when logging is on, that worker's log files. */
export class WorkerCapture extends EventEmitter<WorkerCaptureEvents> {
  private readonly writers: Partial<Record<LogStream, LogFileWriter>> = {};
  private closing: Promise<void> | undefined;

  constructor(
    private readonly app: AppLogCapture,
    readonly pid: number,
  ) {
    super();
  }

  /**
   * A chunk the worker wrote to `stream`. Returns false when the caller should pause that stream until 'drain'.
   * Never throws and never blocks. The buffer is kept, not copied: do not reuse it.
   */
  write(stream: LogStream, chunk: Buffer): boolean {
    this.app.tail.push(this.pid, stream, chunk);
    if (!this.app.enabled || this.closing) return true;
    let writer = this.writers[stream];
    if (!writer) {
      writer = this.app.newWriter(this.pid, stream);
      writer.on('drain', () => this.emit('drain', stream));
      this.writers[stream] = writer;
    }
    return writer.write(chunk);
  }

  /** Resolves when what was written so far is on disk (or its writer is failing). */
  async flush(): Promise<void> {
    await Promise.all(Object.values(this.writers).map((w) => w.flush()));
  }

  /** Bytes accepted but not yet on disk, over both streams (bounded by twice the queue cap). */
  get queuedBytes(): number {
    return Object.values(this.writers).reduce((sum, w) => sum + w.queuedBytes, 0);
  }

  /** The files being written now. */
  get currentFiles(): string[] {
    return Object.values(this.writers).flatMap((w) => (w.currentFile ? [w.currentFile] : []));
  }

  /** The worker's output ended: records its unfinished lines, writes what is queued and closes its files. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.app.tail.end(this.pid);
      await Promise.all(
        Object.values(this.writers).map(async (w) => {
          await w.close();
          this.app.writerClosed(w);
        }),
      );
      this.app.workerClosed(this);
    })();
    return this.closing;
  }
}

/**
 * Feeds a child's stdout and stderr into a capture with backpressure: a stream is paused when the capture's queue
 * for it is full and resumed on 'drain', so only the worker printing faster than the disk slows down and the engine's
 * memory stays bounded. (A paused pipe fills up; then on Windows the app's next stdout write blocks, as pipes are
 * synchronous there, and on POSIX `process.stdout.write` returns false and buffers inside the app: either way the
 * cost lands on the app that causes it.) When both streams have ended, the capture is closed, which writes a last
 * unfinished line. Resolves after that.
 */
export function pipeWorkerOutput(child: { stdout?: Readable | null; stderr?: Readable | null }, capture: WorkerCapture): Promise<void> {
  const streams: Partial<Record<LogStream, Readable>> = {};
  const ended: Promise<void>[] = [];
  for (const name of ['stdout', 'stderr'] as const) {
    const readable = child[name];
    if (!readable) continue;
    streams[name] = readable;
    readable.on('data', (chunk: Buffer) => {
      if (!capture.write(name, chunk)) readable.pause();
    });
    ended.push(
      new Promise<void>((resolve) => {
        readable.once('end', resolve);
        readable.once('close', resolve);
        readable.once('error', () => resolve());
      }),
    );
  }
  capture.on('drain', (name) => streams[name]?.resume());
  return Promise.all(ended).then(() => capture.close());
}
