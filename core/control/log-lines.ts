/** Log lines as the protocol sends them: filtered by stream, the latest ones, copied field by field. */
import type { TailLine } from '../logs/tail.js';
import { MAX_LOG_LINES } from './limits.js';
import type { LogLine, LogStream } from './protocol.js';

/** The lines of the wanted streams (all when none or both are named). */
export function ofStreams(lines: readonly TailLine[], streams: readonly LogStream[] | undefined): readonly TailLine[] {
  return streams && streams.length < 2 ? lines.filter((l) => streams.includes(l.stream)) : lines;
}

/** The latest `count` lines of the wanted streams (at most MAX_LOG_LINES). */
export function selectLines(all: readonly TailLine[], count: number, streams: readonly LogStream[] | undefined): LogLine[] {
  return count <= 0 ? [] : ofStreams(all, streams).slice(-Math.min(count, MAX_LOG_LINES)).map(copyLine);
}

/** Only the protocol's fields (the tail's objects are live and may carry more). */
export function copyLine(line: TailLine): LogLine {
  return { seq: line.seq, time: line.time, pid: line.pid, stream: line.stream, text: line.text, ...(line.cut ? { cut: true } : {}) };
}
