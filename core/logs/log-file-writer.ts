/**
 * One worker's one stream (stdout or stderr) going to its log files.
 *
 * Why it looks the way it does:
 * - The engine also proxies every request, so writing logs must never block its event loop: no synchronous fs calls.
 *   Chunks are queued in memory and written by one asynchronous loop, one write in flight per file; whatever queued
 *   up meanwhile goes out in the next write, coalesced (a chatty app costs a few large writes, not one per line).
 * - Memory stays bounded: past `maxQueuedBytes` queued, `write()` returns false and 'drain' follows once half of it is
 *   on disk, so the caller can pause the worker's pipe. Only a worker printing faster than the disk slows down.
 * - Files roll over only at line boundaries, so no line is ever split across two files: a chunk crossing the size
 *   limit is cut after its last newline within the limit; a line longer than the room left (or than the whole
 *   limit) goes whole into the current file, which then exceeds the limit by that line (as iisnode's files exceeded
 *   it by one write). A line that never ends is cut only past `maxLineOverrunBytes` over the limit, so a progress
 *   bar drawn with `\r` cannot grow one file forever.
 * - A folder that cannot be written (missing and uncreatable, permissions, disk full) never throws to the caller and
 *   never stops the worker: output is kept in memory (the last `faultBufferBytes`, cut at a line start), the problem
 *   is reported once through 'problem', and opening is retried every `retryMs`; the kept output is written first
 *   when it works again, after a marker line saying how much was dropped, if anything was. In that state `write()`
 *   never asks for backpressure: pausing a worker because of a broken disk would stall the app (on Windows a pipe
 *   write blocks the app's event loop), and losing old log lines is the lesser harm.
 * - A file removed or replaced under an open handle (its folder deleted, a file put in the folder's way) takes
 *   writes without an error, into a file no longer on disk. So, about once every `verifyMs` after a write, the writer
 *   checks that its path still names the file it holds; the bytes written since the last good check are kept in
 *   memory (up to `faultBufferBytes`) and, when the check fails, go back to the queue: a fault like any other, and
 *   once the folder is usable again they and everything after reach the disk.
 * - What is dropped in a fault is counted: the marker line in the file, and 'recovered' carries the count.
 * - Bytes go to the file exactly as the app wrote them (iisnode converted `\n` to `\r\n`; Berth does not).
 */
import { EventEmitter } from 'node:events';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { classifyFolderError } from '../util/file-in-the-way.js';
import { activeLogFiles, type ActiveLogFiles } from './active-files.js';
import { UnverifiedWrites } from './unverified-writes.js';
import { logFileName, nextFileStamp, type LogStream } from './naming.js';

export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_FAULT_BUFFER_BYTES = 1024 * 1024;
export const DEFAULT_RETRY_MS = 5000;
export const DEFAULT_VERIFY_MS = 1000;
export const DEFAULT_MAX_LINE_OVERRUN_BYTES = 8 * 1024 * 1024;
/** The most bytes handed to one write call: large enough to amortise the call, small enough to copy cheaply. */
const MAX_BATCH_BYTES = 1024 * 1024;
/** Small chunks are joined up to this size before a write, even when the file has less room left. */
const MIN_BATCH_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** The file operations the writer needs; injectable so tests can simulate a full disk. */
export interface LogFs {
  /** Creates the folder and its parents (no error when it exists). */
  mkdir(dir: string): Promise<void>;
  /** Creates and opens a new file for writing; fails with EEXIST when the name is taken. */
  create(file: string): Promise<LogFileHandle>;
  /** Which file a path names now (to notice a file removed or replaced under its open handle); optional. */
  stat?(file: string): Promise<FileIdentity>;
}

export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface LogFileHandle {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
  /** Which file the handle holds; optional (without it, the file is never verified). */
  stat?(): Promise<FileIdentity>;
}

export const nodeLogFs: LogFs = {
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  create: (file) => open(file, 'wx'),
  stat: (file) => stat(file),
};

export interface LogFileWriterOptions {
  dir: string;
  /** The file-name-safe computer name (naming.ts `computerNameFor`). */
  computer: string;
  pid: number;
  stream: LogStream;
  /** Roll over to a new file past this size (0 = never). */
  maxFileBytes: number;
  maxQueuedBytes?: number;
  faultBufferBytes?: number;
  retryMs?: number;
  /** How soon after a write the file is checked to be still on disk. */
  verifyMs?: number;
  maxLineOverrunBytes?: number;
  active?: ActiveLogFiles;
  fs?: LogFs;
  now?: () => number;
}

export interface LogWriteProblem {
  /** The file or folder that failed. */
  path: string;
  /** The system error code (EACCES, ENOSPC, ENOTDIR, ...). */
  code: string;
  operation: 'open' | 'write';
  error: Error;
}

export interface LogFileWriterEvents {
  /** The queue fell to half its cap after `write()` returned false: the caller may resume the source. */
  drain: [];
  /** A new log file exists (created lazily, on the first bytes for it). */
  'file-opened': [file: string];
  /** A file is complete (rolled over, or the writer closed). */
  'file-closed': [file: string, size: number];
  /** Writing started failing. Emitted once per episode; 'recovered' ends the episode. */
  problem: [LogWriteProblem];
  /** Writing works again; `droppedBytes`: output that could not be kept meanwhile (0: none was lost). */
  recovered: [droppedBytes: number];
}

type Decision = number | 'roll';

export class LogFileWriter extends EventEmitter<LogFileWriterEvents> {
  readonly dir: string;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private handle: LogFileHandle | undefined;
  private file: string | undefined;
  private size = 0;
  private atLineStart = true;
  private lastStamp: number | undefined;
  private pumping: Promise<void> | undefined;
  private needDrain = false;
  private faulted = false;
  private troubled = false;
  private dropped = 0;
  /** Dropped in the current episode, for 'recovered' (`dropped` is reset when the marker line is written). */
  private droppedInEpisode = 0;
  /** Bytes written since the file was last verified to be on disk, kept to be written again if it is not. */
  private readonly unverified: UnverifiedWrites;
  private verifyTimer: NodeJS.Timeout | undefined;
  private verifyDue = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<number> | undefined;
  private readonly o: Required<Omit<LogFileWriterOptions, 'dir'>>;

  constructor(options: LogFileWriterOptions) {
    super();
    this.dir = options.dir;
    this.o = {
      computer: options.computer,
      pid: options.pid,
      stream: options.stream,
      maxFileBytes: options.maxFileBytes,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      faultBufferBytes: options.faultBufferBytes ?? DEFAULT_FAULT_BUFFER_BYTES,
      retryMs: options.retryMs ?? DEFAULT_RETRY_MS,
      verifyMs: options.verifyMs ?? DEFAULT_VERIFY_MS,
      maxLineOverrunBytes: options.maxLineOverrunBytes ?? DEFAULT_MAX_LINE_OVERRUN_BYTES,
      active: options.active ?? activeLogFiles,
      fs: options.fs ?? nodeLogFs,
      now: options.now ?? Date.now,
    };
    this.unverified = new UnverifiedWrites(this.o.faultBufferBytes);
  }

  /** The file being written now, if any. */
  get currentFile(): string | undefined {
    return this.file;
  }

  /** Bytes accepted but not yet on disk. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True while the folder or disk is failing (output is being kept in memory). */
  get failing(): boolean {
    return this.faulted;
  }

  /**
   * Queues bytes for the file. Returns false when the caller should pause its source until 'drain'. Never throws.
   * The buffer is kept, not copied: do not reuse it (pipe chunks from a child process are never reused).
   */
  write(chunk: Buffer): boolean {
    if (this.closed && !this.closing) return true; // closed for good: nowhere to put it
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    if (this.faulted) {
      this.trimToFaultBuffer();
      return true;
    }
    this.kick();
    if (this.queued >= this.o.maxQueuedBytes) this.needDrain = true;
    return !this.needDrain;
  }

  /** Resolves when everything queued so far is on disk (or the writer is failing). */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /**
   * Writes what is queued (a last attempt even when failing), closes the file and releases it to the purges.
   * Resolves with the number of bytes that could not be written (0 normally).
   */
  close(): Promise<number> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<number> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.verifyTimer);
    this.verifyTimer = undefined;
    if (this.faulted) this.faulted = false; // one last try
    this.verifyDue = !this.unverified.empty; // and the last output must really be on disk
    this.kick();
    await this.flush();
    const lost = this.queued;
    this.queue.length = 0;
    this.queued = 0;
    await this.closeFile();
    this.closing = false;
    this.removeAllListeners('drain');
    return lost;
  }

  private kick(): void {
    if (this.pumping || this.faulted || (this.queued === 0 && !this.verifyDue)) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      this.kick(); // bytes queued while the last write was finishing
    });
  }

  private async pump(): Promise<void> {
    while (!this.faulted) {
      if (this.verifyDue && !(await this.verifyFile())) return;
      if (this.queued === 0) return;
      if (!this.handle && !(await this.openFile())) return;
      const data = this.coalesce();
      const take = this.decide(data);
      if (take === 'roll') {
        await this.closeFile();
        continue;
      }
      const ok = await this.writeOut(data, take);
      if (!ok) return;
    }
  }

  /**
   * Joins queued chunks into the queue's first buffer, as many as the next write can use, and returns it. Only what
   * fits the current file is joined (the room left before the roll-over, at least MIN_BATCH_BYTES, at most
   * MAX_BATCH_BYTES): the rest of a joined buffer stays at the head of the queue after a roll and is written from
   * there, never copied again. (Joining a full batch before every 128 KB file copied each byte up to 8 times, and the
   * dead copies, freed only by the next garbage collection, were most of the engine's memory growth in a log flood.)
   */
  private coalesce(): Buffer {
    const first = this.queue[0]!;
    const limit = this.o.maxFileBytes;
    const room = limit > 0 && this.size < limit ? limit - this.size : 0;
    const want = limit > 0 ? Math.min(MAX_BATCH_BYTES, Math.max(room, MIN_BATCH_BYTES)) : MAX_BATCH_BYTES;
    if (this.queue.length === 1 || first.length >= want) return first;
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && bytes < want) bytes += this.queue[n++]!.length;
    const joined = Buffer.concat(this.queue.slice(0, n), bytes);
    this.queue.splice(0, n, joined);
    return joined;
  }

  /** How many bytes of `data` go into the current file now, or 'roll' to start a new file first. */
  private decide(data: Buffer): Decision {
    const limit = this.o.maxFileBytes;
    if (limit <= 0) return data.length; // no size limit asked for: one file per worker and stream
    const hardEnd = limit + this.o.maxLineOverrunBytes; // where even an unfinished line is cut
    const lineEnd = () => {
      const nl = data.indexOf(NEWLINE);
      return Math.min(nl < 0 ? data.length : nl + 1, hardEnd - this.size);
    };
    if (this.size >= limit) {
      if (this.atLineStart || this.size >= hardEnd) return 'roll';
      return lineEnd(); // mid-line past the limit: finish the line in this file
    }
    if (this.size + data.length <= limit) return data.length;
    const room = limit - this.size;
    const lastNewline = data.lastIndexOf(NEWLINE, room - 1);
    if (lastNewline >= 0) return lastNewline + 1;
    // No line ends within the room left. A line already started here, or one longer than a whole file, stays here;
    // otherwise the next line starts a new file.
    if (!this.atLineStart || this.size === 0) return lineEnd();
    return 'roll';
  }

  private async openFile(): Promise<boolean> {
    let stamp = nextFileStamp(this.o.now(), this.lastStamp);
    for (let attempt = 0; ; attempt++) {
      const file = path.join(this.dir, logFileName(this.o.computer, this.o.pid, this.o.stream, stamp));
      try {
        // Every time, not once: the folder may have been deleted since (a user cleaning up, a test).
        await this.o.fs.mkdir(this.dir);
      } catch (error) {
        // A file where the folder (or one of its parents) should be is ENOTDIR on every platform (Windows says
        // ENOENT, and EEXIST when the file is the folder itself): that is a folder problem, not a taken name.
        this.fault(await classifyFolderError(error as NodeJS.ErrnoException, this.dir), 'open', this.dir);
        return false;
      }
      // Registered before it exists, so a purge running meanwhile cannot pick it.
      this.o.active.add(file);
      try {
        this.handle = await this.o.fs.create(file);
      } catch (error) {
        this.o.active.delete(file);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && attempt < 1000) {
          stamp++; // the name is taken (a pid reused within a millisecond, or a copied folder): the next millisecond
          continue;
        }
        this.fault(error as NodeJS.ErrnoException, 'open', code === 'EEXIST' ? file : this.dir);
        return false;
      }
      this.lastStamp = stamp;
      this.file = file;
      this.size = 0;
      this.atLineStart = true;
      this.emit('file-opened', file);
      return true;
    }
  }

  /** The timer set after a write: the file gets checked by the pump (now, or after the write in flight). */
  private readonly onVerifyTimer = (): void => {
    this.verifyTimer = undefined;
    if (this.unverified.empty) return;
    this.verifyDue = true;
    this.kick();
  };

  /**
   * Is the open file still the one its path names? If not (removed, or its folder replaced), the bytes written since
   * the last check never reached the disk: they go back to the front of the queue and the writer faults, so they
   * are written again once the folder is usable. False when it faulted.
   */
  private async verifyFile(): Promise<boolean> {
    this.verifyDue = false;
    const { file, handle } = this;
    const statPath = this.o.fs.stat;
    if (!file || !handle?.stat || !statPath) {
      this.unverified.forget();
      return true;
    }
    let problem: NodeJS.ErrnoException | undefined;
    try {
      const [onDisk, held] = await Promise.all([statPath(file), handle.stat()]);
      if (onDisk.ino === held.ino && onDisk.dev === held.dev) {
        this.unverified.forget();
        return true;
      }
      problem = Object.assign(new Error(`${file} was replaced by another file`), { code: 'ENOENT' });
    } catch (error) {
      problem = error as NodeJS.ErrnoException;
    }
    const { chunks, bytes, lost } = this.unverified.takeAll();
    this.queue.unshift(...chunks);
    this.queued += bytes;
    this.dropped += lost;
    this.droppedInEpisode += lost;
    await this.closeFile();
    this.fault(await classifyFolderError(problem, this.dir), 'open', this.dir);
    return false;
  }

  /** Keeps written bytes until the next check says the file is on disk (the newest `faultBufferBytes`). */
  private keepUnverified(bytes: Buffer): void {
    if (!this.o.fs.stat) return;
    this.unverified.add(bytes);
    this.verifyTimer ??= setTimeout(this.onVerifyTimer, this.o.verifyMs).unref();
  }

  private async closeFile(): Promise<void> {
    const { handle, file, size } = this;
    this.handle = undefined;
    this.file = undefined;
    this.size = 0;
    this.atLineStart = true;
    if (!handle || !file) return;
    try {
      await handle.close();
    } catch {
      // Nothing useful to do: the bytes were written (or reported) already.
    }
    this.o.active.delete(file);
    this.emit('file-closed', file, size);
  }

  /** Writes `data[0, take)`, consuming from the queue as bytes land. False when writing failed. */
  private async writeOut(data: Buffer, take: number): Promise<boolean> {
    if (this.troubled && this.dropped > 0) {
      // Back after a failure that cost output: say so in the file, on a line of its own.
      const note = `${this.atLineStart ? '' : '\n'}[Berth: ${this.dropped} bytes of output were dropped here while the log file could not be written]\n`;
      const marker = Buffer.from(note);
      try {
        await this.writeFully(marker, marker.length, () => undefined);
      } catch (error) {
        this.fault(error as NodeJS.ErrnoException, 'write', this.file ?? this.dir);
        return false;
      }
      this.dropped = 0;
      this.atLineStart = true;
    }
    try {
      await this.writeFully(data, take, (n) => this.consume(n));
    } catch (error) {
      this.fault(error as NodeJS.ErrnoException, 'write', this.file ?? this.dir);
      return false;
    }
    this.keepUnverified(take === data.length ? data : data.subarray(0, take));
    this.atLineStart = data[take - 1] === NEWLINE;
    if (this.troubled) {
      this.troubled = false;
      const dropped = this.droppedInEpisode;
      this.droppedInEpisode = 0;
      this.emit('recovered', dropped);
    }
    return true;
  }

  private async writeFully(data: Buffer, length: number, landed: (n: number) => void): Promise<void> {
    let offset = 0;
    while (offset < length) {
      const { bytesWritten } = await this.handle!.write(data, offset, length - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      offset += bytesWritten;
      this.size += bytesWritten;
      landed(bytesWritten);
    }
  }

  /** Removes `n` written bytes from the head of the queue (the coalesced buffer). */
  private consume(n: number): void {
    const head = this.queue[0]!;
    if (n >= head.length) this.queue.shift();
    else this.queue[0] = head.subarray(n);
    this.queued -= n;
    if (this.needDrain && this.queued <= this.o.maxQueuedBytes / 2) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  private fault(error: NodeJS.ErrnoException, operation: LogWriteProblem['operation'], where: string): void {
    this.faulted = true;
    const code = error.code ?? 'UNKNOWN';
    // A full disk leaves the file fine: keep appending to it once space is back. Anything else starts a new file.
    if (operation === 'write' && code !== 'ENOSPC' && code !== 'EDQUOT') void this.closeFile();
    if (!this.troubled) {
      this.troubled = true;
      this.emit('problem', { path: where, code, operation, error });
    }
    this.trimToFaultBuffer();
    if (this.needDrain) {
      this.needDrain = false;
      this.emit('drain');
    }
    if (!this.closing) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.faulted = false;
        this.kick();
      }, this.o.retryMs);
      // Retrying must not keep the engine alive on its own.
      this.retryTimer.unref();
    }
  }

  /** While failing, keeps only the newest `faultBufferBytes`, starting at a line start where there is one. */
  private trimToFaultBuffer(): void {
    const limit = this.o.faultBufferBytes;
    if (this.queued <= limit) return;
    let excess = this.queued - limit;
    while (excess > 0 && this.queue.length) {
      const head = this.queue[0]!;
      if (head.length <= excess) {
        this.queue.shift();
        this.queued -= head.length;
        this.dropped += head.length;
        this.droppedInEpisode += head.length;
        excess -= head.length;
      } else {
        // Cut inside this chunk; move the cut forward to the next line start, if the chunk has one.
        const nl = head.indexOf(NEWLINE, excess);
        const cut = nl >= 0 && nl + 1 < head.length ? nl + 1 : excess;
        this.queue[0] = head.subarray(cut);
        this.queued -= cut;
        this.dropped += cut;
        this.droppedInEpisode += cut;
        excess = 0;
      }
    }
  }
}
