/**
 * "logs": what capturing a chatty worker's output costs. The `log-flood` app (1 worker) prints 1 KB lines to
 * stdout flat out for a few seconds, one write per line, respecting backpressure, and reports its own rate.
 *
 * - Reference: the same app as plain `node server.js` with stdout to the null device (the fastest a worker can
 *   print), and, for scale, with stdout to a file of its own (what the disk costs without any engine in between).
 * - Berth, iisnode's default log settings (files rolled at 128 KB, at most 20 files / 1 MB kept): the engine reads
 *   the pipe and writes the files. Bytes to disk per second = the worker's bytes ÷ the time from the start signal
 *   until the engine has written them all (its write calls counted in /proc/<pid>/io: the default quotas delete
 *   files as fast as they fill, so their sizes cannot be summed). Engine RSS growth = peak during the run − before.
 * - Berth, every file kept (`maxLogFiles: 0`, `maxTotalLogFileSizeInKB: 0`): the same, but with nothing deleted the
 *   log files' sizes are summed (polled once the worker is done, until they add up), which also checks that no byte
 *   was lost (size = lines × 1024).
 *
 * Targets: ≥ 100 MB/s to disk, worker slowed < 10% (≥ 0.90× its rate to the null device), engine RSS growth < 50 MB.
 */
import { closeSync, openSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sleep, withAppCopies } from '../lib/apps.js';
import { appFolder, withBerth } from '../lib/hosts.js';
import { freePort, getStatus, waitForOk } from '../lib/http.js';
import { MB, rssMb, trackPeakRss, writtenBytes } from '../lib/procfs.js';
import { startProcess, withProcess, type ManagedProcess } from '../lib/processes.js';
import { berthFigure, figure, type BenchOptions, type Metrics, type Scenario } from '../lib/scenario.js';

/** What the log-flood app reports when it is done. */
interface FloodResult {
  lines: number;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
}

function floodSeconds(options: BenchOptions): number {
  return options.quick ? 1 : 3;
}

/** Waits for the app's result file (written atomically at the end of its run). */
async function waitForResult(file: string, proc: ManagedProcess, timeoutMs: number): Promise<FloodResult> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as FloodResult;
    } catch {
      // not there yet
    }
    if (proc.hasExited) throw new Error(`${proc.describeExit()}\n  (while waiting for the log-flood app's result)`);
    if (performance.now() > deadline) throw new Error(`the log-flood app reported no result within ${timeoutMs / 1000} s; ${proc.describeExit()}`);
    await sleep(20);
  }
}

/** Plain `node server.js` with its stdout to `target` (the null device or a file). Returns the app's own rate. */
async function floodToFile(target: string, label: string, resultFile: string, options: BenchOptions): Promise<FloodResult> {
  const port = await freePort();
  const fd = openSync(target, 'w');
  let proc: ManagedProcess;
  try {
    proc = startProcess(`node log-flood/server.js >${label}`, process.execPath, [path.join(appFolder('log-flood'), 'server.js')], {
      cwd: appFolder('log-flood'),
      env: { ...process.env, PORT: String(port), BENCH_LOG_SECONDS: String(floodSeconds(options)), BENCH_RESULT_FILE: resultFile },
      stdout: fd,
    });
  } finally {
    closeSync(fd); // the child has its own copy
  }
  return withProcess(proc, async () => {
    const url = `http://127.0.0.1:${port}/`;
    await waitForOk(url, proc);
    await getStatus(`${url}start`, 5000);
    return waitForResult(resultFile, proc, (floodSeconds(options) + 60) * 1000);
  });
}

/** Sum of the sizes of Berth's stdout log files in `dir`. */
async function stdoutLogBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!/-stdout-\d+\.txt$/.test(name)) continue;
    sum += (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
  }
  return sum;
}

/**
 * The log-flood app under Berth. `keepAll` turns the deleting quotas off, so the files can be summed.
 * Returns the worker's rate, the bytes per second to disk, the engine's RSS growth and (keepAll) the bytes lost.
 */
async function floodUnderBerth(keepAll: boolean, options: BenchOptions): Promise<Metrics> {
  return withAppCopies([{ app: 'log-flood', as: 'logs' }], async ([folder]) => {
    if (keepAll) await appendFile(path.join(folder!, 'berth.yml'), 'maxLogFiles: 0\nmaxTotalLogFileSizeInKB: 0\n');
    const resultFile = path.join(path.dirname(folder!), 'result.json'); // outside the app folder
    const env = { BENCH_LOG_SECONDS: String(floodSeconds(options)), BENCH_RESULT_FILE: resultFile };
    return withBerth(
      [folder!],
      async (berth) => {
        const pid = berth.proc.child.pid;
        await sleep(500); // start-up garbage collected, watcher and index settled
        const rssBefore = rssMb(pid);
        const writtenBefore = writtenBytes(pid);
        const peak = trackPeakRss(pid);
        let done = Number.NaN;
        let peakRss: number;
        let logBytes = 0;
        let result: FloodResult;
        try {
          const start = performance.now();
          await getStatus(`${berth.url}start`, 5000);
          result = await waitForResult(resultFile, berth.proc, (floodSeconds(options) + 60) * 1000);
          if (keepAll) {
            // Every file is kept: the end is when their sizes add up to what the worker printed (or stop growing).
            const dir = path.join(folder!, 'iisnode');
            let last = -1;
            let lastChange = performance.now();
            for (;;) {
              logBytes = await stdoutLogBytes(dir);
              if (logBytes >= result.bytes) break;
              if (logBytes !== last) [last, lastChange] = [logBytes, performance.now()];
              else if (performance.now() - lastChange > 2000) break; // bytes missing: reported as lost
              if (berth.proc.hasExited) throw new Error(berth.proc.describeExit());
              await sleep(50);
            }
            done = performance.now() - start;
          } else if (writtenBefore !== undefined) {
            // The default quotas delete files as they fill: the end is when the engine's write calls add up to what
            // the worker printed. (They also count index.html, a few KB per rewrite: ending early by ~0.1%.)
            const deadline = performance.now() + 120_000;
            while ((writtenBytes(pid) ?? Number.POSITIVE_INFINITY) - writtenBefore < result.bytes) {
              if (performance.now() > deadline || berth.proc.hasExited) throw new Error(`the engine did not write the worker's ${result.bytes} bytes within 120 s; ${berth.proc.describeExit()}`);
              await sleep(10);
            }
            done = performance.now() - start;
          }
        } finally {
          peakRss = peak.stop();
        }
        const metrics: Metrics = { linesPerSecond: result.linesPerSecond };
        if (Number.isFinite(done)) metrics.diskMbps = result.bytes / MB / (done / 1000);
        if (rssBefore !== undefined) metrics.rssGrowthMb = peakRss - rssBefore;
        // The peak itself too: code the engine first runs hot during the flood (V8's optimizing compilers, which an
        // idle engine has not touched: core/engine/v8-flags.ts) counts as growth, not as what it held before.
        if (Number.isFinite(peakRss)) metrics.peakRssMb = peakRss;
        if (keepAll) metrics.lostBytes = result.bytes - logBytes;
        return metrics;
      },
      { env },
    );
  });
}

const scenario: Scenario = {
  name: 'logs',
  description: 'one worker printing 1 KB lines flat out, stdout captured to log files; Berth vs the same worker writing to the null device',
  referenceLabel: 'node app.js >null',
  rounds: (options) => (options.quick ? 1 : Math.min(2, options.rounds)),
  async measure(side, options): Promise<Metrics> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-logs-'));
    try {
      if (side === 'reference') {
        const toNull = await floodToFile(os.devNull, 'null', path.join(dir, 'null.json'), options);
        const toFile = await floodToFile(path.join(dir, 'stdout.txt'), 'file', path.join(dir, 'file.json'), options);
        await rm(path.join(dir, 'stdout.txt'), { force: true }); // up to a few GB: not kept longer than needed
        return { linesPerSecond: toNull.linesPerSecond, fileLinesPerSecond: toFile.linesPerSecond };
      }
      const defaults = await floodUnderBerth(false, options);
      const kept = await floodUnderBerth(true, options);
      const metrics: Metrics = { ...defaults, keptLinesPerSecond: kept.linesPerSecond!, lostBytes: kept.lostBytes! };
      if (kept.diskMbps !== undefined) metrics.keptDiskMbps = kept.diskMbps;
      return metrics;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  figures: (ref, berth) => [
    berthFigure('to disk, default log settings', 'MB/s', berth.diskMbps ?? Number.NaN, { kind: 'berth-at-least', value: 100 }),
    figure('worker throughput (1 KB lines)', 'lines/s', ref.linesPerSecond!, berth.linesPerSecond!, 'ratio', { kind: 'ratio-at-least', value: 0.9 }),
    berthFigure('engine RSS growth', 'MB', berth.rssGrowthMb ?? Number.NaN, { kind: 'berth-at-most', value: 50 }),
    berthFigure('engine RSS peak', 'MB', berth.peakRssMb ?? Number.NaN),
    figure('worker vs writing its own file', 'lines/s', ref.fileLinesPerSecond!, berth.linesPerSecond!, 'ratio'),
    berthFigure('to disk, every file kept', 'MB/s', berth.keptDiskMbps ?? Number.NaN),
    berthFigure('bytes lost, every file kept', 'bytes', berth.lostBytes!, { kind: 'berth-at-most', value: 0 }),
  ],
};

export default scenario;
