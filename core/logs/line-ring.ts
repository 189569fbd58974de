/**
 * The live tail's history: the last lines of an app's output, kept as bytes in one buffer (allocated on the first
 * line, never grown) with a few numbers per line in typed arrays. Recording a line copies its bytes and writes six
 * numbers: no string, no object, nothing for the garbage collector. Lines become `LogLine` objects only when someone
 * reads them (`last`), which is rare next to how fast an app can print.
 *
 * Why: a worker flooding its output went through the tail as one decoded string and one object per line, whether
 * anyone followed the logs or not. That churn made V8 collect the young generation every megabyte, and the pipe
 * chunks queued for the log files at that moment survived into the old generation, where they (and the memory
 * behind them) stayed until a full collection: most of the engine's memory growth during a flood.
 *
 * A line's bytes are contiguous in the buffer (a line that would cross its end starts again at 0), and a line is
 * dropped as soon as newer bytes overwrite any of it, or when more than `maxLines` are kept.
 */
import type { LogLine, LogStream } from '../shared/types.js';

const STDERR = 1;
const CUT = 2;

export class LineRing {
  private bytes: Buffer | undefined;
  /** Absolute offset (bytes ever reserved, including gaps left at the buffer's end) where the next line goes. */
  private end = 0;
  private at = new Float64Array(0);
  private size = new Uint32Array(0);
  private seqs = new Float64Array(0);
  private times = new Float64Array(0);
  private pids = new Float64Array(0);
  private flags = new Uint8Array(0);
  /** Lines are numbered as added; `first` is the oldest kept, `next` the one the next line gets. */
  private first = 0;
  private next = 0;

  constructor(
    readonly maxLines: number,
    /** Bytes of line text kept at most; no line may be longer. */
    readonly capacity: number,
  ) {}

  get length(): number {
    return this.next - this.first;
  }

  /** Records `data[from, to)` as a line (at most `capacity` bytes). */
  add(seq: number, time: number, pid: number, stream: LogStream, cut: boolean, data: Buffer, from: number, to: number): void {
    const length = to - from;
    if (length > this.capacity) throw new RangeError(`a line of ${length} bytes does not fit a tail of ${this.capacity} bytes`);
    if (!this.bytes) this.allocate();
    let pos = this.end % this.capacity;
    if (pos + length > this.capacity) {
      this.end += this.capacity - pos; // the line starts again at the buffer's start
      pos = 0;
    }
    const newEnd = this.end + length;
    // Drop the lines the new bytes overwrite, and the oldest when the line slots are full.
    while (this.length > 0 && (this.length >= this.maxLines || this.at[this.first % this.maxLines]! < newEnd - this.capacity)) this.first++;
    data.copy(this.bytes!, pos, from, to);
    const slot = this.next % this.maxLines;
    this.at[slot] = this.end;
    this.size[slot] = length;
    this.seqs[slot] = seq;
    this.times[slot] = time;
    this.pids[slot] = pid;
    this.flags[slot] = (stream === 'stderr' ? STDERR : 0) | (cut ? CUT : 0);
    this.end = newEnd;
    this.next++;
  }

  /** The last `n` lines, oldest first, as new objects. */
  last(n: number): LogLine[] {
    const count = Math.max(0, Math.min(n, this.length));
    const lines: LogLine[] = new Array(count);
    for (let i = 0; i < count; i++) lines[i] = this.line(this.next - count + i);
    return lines;
  }

  private line(number: number): LogLine {
    const slot = number % this.maxLines;
    const pos = this.at[slot]! % this.capacity;
    const flags = this.flags[slot]!;
    const line: LogLine = {
      seq: this.seqs[slot]!,
      time: this.times[slot]!,
      pid: this.pids[slot]!,
      stream: flags & STDERR ? 'stderr' : 'stdout',
      text: this.bytes!.toString('utf8', pos, pos + this.size[slot]!),
    };
    if (flags & CUT) line.cut = true;
    return line;
  }

  private allocate(): void {
    // Not zero-filled: pages the tail never reaches are never touched, so a quiet app's tail costs next to nothing.
    this.bytes = Buffer.allocUnsafeSlow(this.capacity);
    this.at = new Float64Array(this.maxLines);
    this.size = new Uint32Array(this.maxLines);
    this.seqs = new Float64Array(this.maxLines);
    this.times = new Float64Array(this.maxLines);
    this.pids = new Float64Array(this.maxLines);
    this.flags = new Uint8Array(this.maxLines);
  }
}
