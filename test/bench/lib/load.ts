/**
 * The load generator, always in its own process so it never shares an event loop with what it measures:
 * `wrk` when it is on PATH (fast, C, microsecond latencies), otherwise autocannon from node_modules.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.js';
import { startProcess } from './processes.js';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Whole seconds: wrk accepts no fractions. */
  seconds: number;
}

export interface LoadResult {
  /** Requests per second over the whole run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. Non-zero means the figures are suspect. */
  errors: number;
  /** Responses with a status other than 2xx/3xx (wrk's "Non-2xx or 3xx responses", autocannon's non2xx). */
  non2xx: number;
  /**
   * Connections that failed: refused, reset, closed mid-response, timed out (wrk's "Socket errors" line: connect,
   * read, write, timeout; autocannon's errors, which include its timeouts).
   */
  socketErrors: number;
}

/** wrk if found on PATH, else autocannon. */
export function defaultLoadTool(): LoadTool {
  return findOnPath(process.platform === 'win32' ? 'wrk.exe' : 'wrk') ? 'wrk' : 'autocannon';
}

function findOnPath(file: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, file);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs one load and parses its figures. Bounded: the generator is killed if it overruns by 30 s. */
export async function runLoad(tool: LoadTool, options: LoadOptions): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(options.seconds));
  // One wrk thread: it outruns a node server many times over, and a second thread would only take more CPU away
  // from the processes being measured on a small machine.
  const wrkArgs = ['-t1', `-c${options.connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', options.url];
  const autocannonArgs = [path.join(REPO, 'node_modules', 'autocannon', 'autocannon.js'), '--json', '-c', String(options.connections), '-d', String(seconds), '-t', '10', options.url];
  const proc = tool === 'wrk' ? startProcess('wrk', 'wrk', wrkArgs) : startProcess('autocannon', process.execPath, autocannonArgs);
  const overrun = setTimeout(() => proc.kill(), (seconds + 30) * 1000);
  await proc.closed; // all of its output read
  const { code } = await proc.exited;
  clearTimeout(overrun);
  if (code !== 0) throw new Error(`the load generator failed: ${proc.describeExit()}`);
  return tool === 'wrk' ? parseWrk(proc.stdout) : parseAutocannon(proc.stdout);
}

/** wrk prints times as e.g. `601.00us`, `0.96ms`, `1.20s`, `2.00m`. Returns milliseconds. */
export function wrkTimeToMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`unreadable wrk time "${text}"`);
  const value = Number(match[1]);
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
  return value * scale;
}

/**
 * Parses `wrk --latency` output. Percentiles come from its "Latency Distribution" block (HdrHistogram, accurate to
 * the microsecond), not from the per-thread stats line above it.
 */
export function parseWrk(output: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  const total = /^\s+(\d+) requests in /m.exec(output);
  if (!rps?.[1] || !p50?.[1] || !p99?.[1] || !total?.[1]) throw new Error(`unreadable wrk output:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xxMatch = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const non2xx = non2xxMatch?.[1] ? Number(non2xxMatch[1]) : 0;
  return {
    rps: Number(rps[1]),
    p50Ms: wrkTimeToMs(p50[1]),
    p99Ms: wrkTimeToMs(p99[1]),
    requests: Number(total[1]),
    errors: socketErrors + non2xx,
    non2xx,
    socketErrors,
  };
}

interface AutocannonJson {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
}

/** Parses `autocannon --json`. Its latencies are whole milliseconds (its histogram's resolution). */
export function parseAutocannon(output: string): LoadResult {
  const start = output.indexOf('{"');
  if (start < 0) throw new Error(`no JSON in autocannon output:\n${output}`);
  const json = JSON.parse(output.slice(start, output.lastIndexOf('}') + 1)) as AutocannonJson;
  return {
    rps: json.duration > 0 ? json.requests.total / json.duration : 0,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    requests: json.requests.total,
    // autocannon's `errors` already include its `timeouts`.
    errors: json.errors + json.non2xx,
    non2xx: json.non2xx,
    socketErrors: json.errors,
  };
}
