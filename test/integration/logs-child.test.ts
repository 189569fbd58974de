/**
 * Capture from REAL child processes: a 200 MB burst (20 MB under Wine) with pause/resume backpressure (every line
 * accounted for across the rotated files), children dying mid-line, and a throughput measurement that prints figures
 * (it asserts only correctness, never speed: other tests share this machine).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ActiveLogFiles } from '../../core/logs/active-files.js';
import { AppLogCapture, pipeWorkerOutput, type LogSettings } from '../../core/logs/capture.js';
import { nodeLogFs, type LogFs } from '../../core/logs/log-file-writer.js';
import { parseLogFileName } from '../../core/logs/naming.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';
import { UNDER_WINE } from '../helpers/wine.js';

/**
 * The burst's size divisor: a pipe under Wine moves about 1 MB/s on a loaded machine (200 MB took over four minutes
 * through a pipe that only discards), so there the burst is 20 MB, in 1.6 MB files: the same rotations, order and
 * backpressure checks. On Linux and on a real Windows machine it is 200 MB.
 */
const BURST_SCALE = UNDER_WINE ? 10 : 1;

const PRINT_LINES = path.join(FIXTURES, 'log-burst', 'print-lines.js');
const PARTIAL = path.join(FIXTURES, 'log-crash', 'partial.js');

const SETTINGS: LogSettings = {
  loggingEnabled: true,
  logDirectory: 'iisnode',
  maxLogFileSizeInKB: 128,
  maxTotalLogFileSizeInKB: 1024,
  maxLogFiles: 20,
};

/** Log files of one pid and stream, oldest first. */
async function filesOf(dir: string, pid: number, stream: 'stdout' | 'stderr'): Promise<string[]> {
  return (await readdir(dir))
    .filter((n) => parseLogFileName(n)?.pid === pid && parseLogFileName(n)?.stream === stream)
    .sort((a, b) => parseLogFileName(a)!.created - parseLogFileName(b)!.created)
    .map((n) => path.join(dir, n));
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/** Runs the printer with stdout going straight to a file descriptor (the OS null device): the child's own speed. */
async function timeToDevNull(count: number, lineBytes: number): Promise<number> {
  const fd = openSync(os.devNull, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [PRINT_LINES, String(count), String(lineBytes)], { stdio: ['ignore', fd, 'ignore'] });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    closeSync(fd);
  }
}

/** Runs the printer into a pipe the parent reads and discards: the cost of the pipe alone. */
async function timeToDiscardingPipe(count: number, lineBytes: number): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [PRINT_LINES, String(count), String(lineBytes)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let bytes = 0;
  child.stdout.on('data', (c: Buffer) => (bytes += c.length));
  await once(child, 'close');
  assert.equal(bytes, count * lineBytes);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('log capture from real child processes', () => {
  test('200 MB burst with backpressure: every line in order across the rotated files, none cut, memory bounded', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const lineBytes = 1000; // not a divisor of the file limit or of pipe chunks: cuts land mid-chunk
      const count = 210_000 / BURST_SCALE; // 200 MiB (20 under Wine)
      const limitKB = Math.floor((16 * 1024) / BURST_SCALE);
      const stderrEvery = 50_000 / BURST_SCALE;
      const logs = new AppLogCapture({
        baseDir: dir,
        settings: { ...SETTINGS, maxLogFileSizeInKB: limitKB, maxLogFiles: 0, maxTotalLogFileSizeInKB: 0 },
        computerName: 'BURST',
        active: new ActiveLogFiles(),
      });
      const started = process.hrtime.bigint();
      const child = spawn(process.execPath, [PRINT_LINES, String(count), String(lineBytes), String(stderrEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const capture = logs.createWorkerCapture(child.pid!);
      let pauses = 0;
      let maxQueued = 0;
      child.stdout.on('pause', () => pauses++);
      child.stdout.on('data', () => (maxQueued = Math.max(maxQueued, capture.queuedBytes)));
      const [[code]] = await Promise.all([once(child, 'exit') as Promise<[number]>, pipeWorkerOutput(child, capture)]);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(code, 0);
      await logs.close();

      const files = await filesOf(logs.dir, child.pid!, 'stdout');
      assert.ok(files.length >= Math.floor((count * lineBytes) / (limitKB * 1024)), `${files.length} files`);
      let expected = 0;
      let total = 0;
      for (const file of files) {
        const data = await readFile(file);
        total += data.length;
        assert.ok(data.length <= limitKB * 1024, `${path.basename(file)} is ${data.length} bytes`);
        assert.equal(data.length % lineBytes, 0, `${path.basename(file)} holds a cut line`);
        for (let at = 0; at < data.length; at += lineBytes) {
          const seq = Number(data.toString('latin1', at, at + 9));
          if (seq !== expected) assert.fail(`${path.basename(file)} at ${at}: line ${seq}, expected ${expected}`);
          if (data[at + lineBytes - 1] !== 0x0a) assert.fail(`${path.basename(file)} at ${at}: line ${seq} has no newline where it should end`);
          expected++;
        }
      }
      assert.equal(expected, count, 'every line is there');
      assert.equal(total, count * lineBytes);
      const errFiles = await filesOf(logs.dir, child.pid!, 'stderr');
      assert.equal((await Promise.all(errFiles.map((f) => readFile(f, 'utf8')))).join(''), [0, 1, 2, 3, 4].map((k) => `err ${k * stderrEvery}\n`).join(''));
      // Two streams, each capped at 8 MB queued, plus at most one pipe chunk beyond the cap.
      assert.ok(maxQueued <= 16 * 1024 * 1024 + 65536, `queued up to ${maxQueued} bytes`);

      const devNullMs = await timeToDevNull(count, lineBytes);
      const pipeMs = await timeToDiscardingPipe(count, lineBytes);
      const size = mb(count * lineBytes);
      console.log(
        `# capture throughput (${size.toFixed(0)} MB in ${lineBytes}-byte lines, ${files.length} files of ${(limitKB / 1024).toFixed(1)} MB): ` +
          `child → capture → disk ${(elapsedMs / 1000).toFixed(2)} s = ${(size / (elapsedMs / 1000)).toFixed(0)} MB/s; ` +
          `child → pipe → discard ${(pipeMs / 1000).toFixed(2)} s; child → ${os.devNull} ${(devNullMs / 1000).toFixed(2)} s; ` +
          `slowdown vs ${os.devNull} ${(elapsedMs / devNullMs).toFixed(2)}×, vs a discarding pipe ${(elapsedMs / pipeMs).toFixed(2)}×; ` +
          `pipe paused ${pauses} times; max queued ${mb(maxQueued).toFixed(1)} MB`,
      );
    } finally {
      await cleanup();
    }
  });

  test('a disk slower than the child: the pipe is paused, the queue stays at its cap, and nothing is lost', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // At most 128 KB per write and 20 ms per write: about 6 MB/s, far slower than any child prints.
      const slowFs: LogFs = {
        mkdir: nodeLogFs.mkdir,
        create: async (file) => {
          const handle = await nodeLogFs.create(file);
          return {
            write: async (buf, off, len) => {
              await new Promise((r) => setTimeout(r, 20));
              return handle.write(buf, off, Math.min(len, 128 * 1024));
            },
            close: () => handle.close(),
          };
        },
      };
      const cap = 1024 * 1024;
      const logs = new AppLogCapture({ baseDir: dir, settings: { ...SETTINGS, maxLogFiles: 0, maxTotalLogFileSizeInKB: 0 }, computerName: 'SLOW', active: new ActiveLogFiles(), fs: slowFs, maxQueuedBytes: cap });
      const count = 10_000;
      const lineBytes = 1000;
      const child = spawn(process.execPath, [PRINT_LINES, String(count), String(lineBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const capture = logs.createWorkerCapture(child.pid!);
      let pauses = 0;
      let maxQueued = 0;
      child.stdout.on('pause', () => pauses++);
      child.stdout.on('data', () => (maxQueued = Math.max(maxQueued, capture.queuedBytes)));
      await pipeWorkerOutput(child, capture);
      await logs.close();
      assert.ok(pauses > 0, 'the pipe was paused');
      assert.ok(maxQueued <= cap + 65536, `queued up to ${maxQueued} bytes with a cap of ${cap}`);
      const data = Buffer.concat(await Promise.all((await filesOf(logs.dir, child.pid!, 'stdout')).map((f) => readFile(f))));
      assert.equal(data.length, count * lineBytes);
      for (let i = 0; i < count; i++) {
        if (Number(data.toString('latin1', i * lineBytes, i * lineBytes + 9)) !== i) assert.fail(`line ${i} missing or out of order`);
      }
    } finally {
      await cleanup();
    }
  });

  for (const mode of ['exit', 'throw'] as const) {
    test(`a child that dies mid-line (${mode}): the partial line is in its file and in the tail`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const logs = new AppLogCapture({ baseDir: dir, settings: SETTINGS, computerName: 'PC', active: new ActiveLogFiles() });
        const child = spawn(process.execPath, [PARTIAL, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
        const capture = logs.createWorkerCapture(child.pid!);
        const [[code]] = await Promise.all([once(child, 'exit') as Promise<[number]>, pipeWorkerOutput(child, capture)]);
        assert.equal(code, mode === 'exit' ? 3 : 1);
        await logs.close();
        const [out] = await filesOf(logs.dir, child.pid!, 'stdout');
        assert.equal(await readFile(out!, 'utf8'), 'first complete line\npartial line without newline');
        const [err] = await filesOf(logs.dir, child.pid!, 'stderr');
        const errText = await readFile(err!, 'utf8');
        assert.ok(errText.startsWith('about to die '), errText);
        if (mode === 'throw') assert.match(errText, /Error: boom from the fixture/);
        const tail = logs.tail.lines().filter((l) => l.stream === 'stdout').map((l) => l.text);
        assert.deepEqual(tail, ['first complete line', 'partial line without newline']);
      } finally {
        await cleanup();
      }
    });
  }
});
