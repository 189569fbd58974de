/**
 * Log capture against real files in temporary folders: iisnode's logging tests (105, 110), rotation at line
 * boundaries, backpressure, and the failure modes (folder that cannot be created, full disk).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ActiveLogFiles } from '../../core/logs/active-files.js';
import { AppLogCapture, type LogProblem, type LogSettings } from '../../core/logs/capture.js';
import { LogFileWriter, nodeLogFs, type LogFs } from '../../core/logs/log-file-writer.js';
import { parseLogFileName } from '../../core/logs/naming.js';
import { tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const SETTINGS: LogSettings = {
  loggingEnabled: true,
  logDirectory: 'iisnode',
  maxLogFileSizeInKB: 128,
  maxTotalLogFileSizeInKB: 1024,
  maxLogFiles: 20,
};

const b = (text: string) => Buffer.from(text, 'utf8');

/** Log files in `dir` (name order = creation order for one writer), with their contents. */
async function logFiles(dir: string): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(dir)).filter((n) => parseLogFileName(n)).sort((x, y) => parseLogFileName(x)!.created - parseLogFileName(y)!.created);
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })));
}

function capture(base: string, settings: Partial<LogSettings> = {}, extra: Partial<ConstructorParameters<typeof AppLogCapture>[0]> = {}) {
  return new AppLogCapture({ baseDir: base, settings: { ...SETTINGS, ...settings }, computerName: 'TESTPC', active: new ActiveLogFiles(), indexDebounceMs: 10, ...extra });
}

describe('log capture: iisnode semantics', () => {
  test('105 logging: five writes of Request<n> → exactly index.html and one stdout file with those lines', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir);
      const worker = logs.createWorkerCapture(4312);
      for (let n = 1; n <= 5; n++) assert.equal(worker.write('stdout', b(`Request${n}\n`)), true);
      await worker.close();
      await logs.close();
      const names = (await readdir(logs.dir)).sort();
      assert.equal(names.length, 2, names.join(', '));
      assert.equal(names[0], 'TESTPC-4312-stdout-' + parseLogFileName(names[0]!)?.created + '.txt');
      assert.equal(names[1], 'index.html');
      assert.equal(await readFile(path.join(logs.dir, names[0]!), 'utf8'), 'Request1\nRequest2\nRequest3\nRequest4\nRequest5\n');
      const index = await readFile(path.join(logs.dir, 'index.html'), 'utf8');
      assert.match(index, new RegExp(`href="${names[0]}"`));
      assert.equal(logs.dir, path.join(dir, 'iisnode'));
    } finally {
      await cleanup();
    }
  });

  test('files are created lazily: a worker that writes nothing leaves no file; stderr gets its own file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir);
      await logs.createWorkerCapture(1).close();
      const w = logs.createWorkerCapture(2);
      w.write('stderr', b('oops\n'));
      await w.close();
      await logs.close();
      const files = await logFiles(logs.dir);
      assert.deepEqual(
        files.map((f) => [parseLogFileName(f.name)!.pid, parseLogFileName(f.name)!.stream, f.text]),
        [[2, 'stderr', 'oops\n']],
      );
    } finally {
      await cleanup();
    }
  });

  test('110 log size quota: maxLogFileSizeInKB=1 and two 1026-byte writes → 2 log files + index.html', async () => {
    for (const waitBetween of [false, true]) {
      const { dir, cleanup } = await tempDir();
      try {
        const logs = capture(dir, { maxLogFileSizeInKB: 1 });
        const w = logs.createWorkerCapture(77);
        const line = `${'a'.repeat(1025)}\n`;
        w.write('stdout', b(line));
        if (waitBetween) await w.flush();
        w.write('stdout', b(line.replace(/a/g, 'b')));
        await w.close();
        await logs.close();
        assert.equal((await readdir(logs.dir)).length, 3);
        const files = await logFiles(logs.dir);
        assert.deepEqual(
          files.map((f) => f.text.length),
          [1026, 1026],
        );
        assert.ok(files[0]!.text.startsWith('a') && files[1]!.text.startsWith('b'));
      } finally {
        await cleanup();
      }
    }
  });

  test('bytes are written exactly as the app wrote them (no \\n → \\r\\n, binary intact)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir);
      const w = logs.createWorkerCapture(5);
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const input = Buffer.concat([b('unix\nwindows\r\nmac\r'), all, b('naïve ☃\n')]);
      w.write('stdout', input.subarray(0, 7));
      w.write('stdout', input.subarray(7));
      await w.close();
      const [file] = await logFiles(logs.dir);
      assert.ok((await readFile(path.join(logs.dir, file!.name))).equals(input));
      await logs.close();
    } finally {
      await cleanup();
    }
  });

  test('a partial last line is written when the worker closes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir);
      const w = logs.createWorkerCapture(6);
      w.write('stdout', b('whole line\nhalf a li'));
      w.write('stdout', b('ne, never finished'));
      await w.close();
      const [file] = await logFiles(logs.dir);
      assert.equal(file!.text, 'whole line\nhalf a line, never finished');
      assert.equal(logs.tail.lines().at(-1)!.text, 'half a line, never finished');
      await logs.close();
    } finally {
      await cleanup();
    }
  });
});

describe('log capture: rotation at line boundaries', () => {
  test('random lines in random chunks: files concatenate to the input, each ≤ the limit and ending at a line end', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir, { maxLogFileSizeInKB: 1, maxLogFiles: 0, maxTotalLogFileSizeInKB: 0 });
      const w = logs.createWorkerCapture(9);
      let seed = 12345;
      const rand = (n: number) => {
        seed = (seed * 48271) % 2147483647;
        return seed % n;
      };
      let text = '';
      for (let i = 0; i < 600; i++) text += `${i}:${'z'.repeat(rand(300))}\n`;
      const input = b(text);
      for (let at = 0; at < input.length; ) {
        const size = 1 + rand(900);
        w.write('stdout', input.subarray(at, at + size));
        at += size;
        if (rand(4) === 0) await w.flush(); // sometimes the queue empties, sometimes chunks coalesce
      }
      await w.close();
      await logs.close();
      const files = await logFiles(logs.dir);
      assert.ok(files.length >= Math.floor(input.length / 1024), `${files.length} files for ${input.length} bytes`);
      assert.equal(files.map((f) => f.text).join(''), text);
      for (const f of files) {
        // A file ends within the limit, or exceeds it only by finishing the line that was started inside it (the
        // chunk that began the line fitted; the one that ended it did not).
        const bytes = b(f.text);
        const lastLineStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
        assert.ok(bytes.length <= 1024 || lastLineStart < 1024, `${f.name}: ${bytes.length} bytes, last line from ${lastLineStart}`);
        assert.ok(f.text.endsWith('\n'), `${f.name} ends mid-line`);
        assert.match(f.text, /^\d+:/, `${f.name} starts mid-line`);
      }
    } finally {
      await cleanup();
    }
  });

  test('a line longer than the limit goes whole into one file, which exceeds the limit by that line', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir, { maxLogFileSizeInKB: 1 });
      const w = logs.createWorkerCapture(10);
      const long = `${'y'.repeat(3000)}\n`;
      w.write('stdout', b(`short\n${long}after\n`));
      await w.close();
      await logs.close();
      assert.deepEqual(
        (await logFiles(logs.dir)).map((f) => f.text),
        ['short\n', long, 'after\n'],
      );
    } finally {
      await cleanup();
    }
  });

  test('a line started near the limit is finished in its file, whatever the chunking', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir, { maxLogFileSizeInKB: 1 });
      const w = logs.createWorkerCapture(11);
      w.write('stdout', b(`${'a'.repeat(1000)}\nstart of a line`));
      await w.flush();
      w.write('stdout', b(` that goes on ${'c'.repeat(200)} and ends\nnext\n`));
      await w.close();
      await logs.close();
      const texts = (await logFiles(logs.dir)).map((f) => f.text);
      assert.deepEqual(texts, [`${'a'.repeat(1000)}\nstart of a line that goes on ${'c'.repeat(200)} and ends\n`, 'next\n']);
    } finally {
      await cleanup();
    }
  });

  test('a line that never ends is cut only past the overrun cap', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const writer = new LogFileWriter({ dir, computer: 'PC', pid: 1, stream: 'stdout', maxFileBytes: 100, maxLineOverrunBytes: 400, active: new ActiveLogFiles() });
      writer.write(b('x'.repeat(1200)));
      await writer.close();
      assert.deepEqual(
        (await logFiles(dir)).map((f) => f.text.length),
        [500, 500, 200],
      );
    } finally {
      await cleanup();
    }
  });

  test('rolls within one millisecond get distinct names; a taken name is skipped, never appended to', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(path.join(dir, 'PC-3-stdout-1000.txt'), 'someone else\n');
      const writer = new LogFileWriter({ dir, computer: 'PC', pid: 3, stream: 'stdout', maxFileBytes: 10, active: new ActiveLogFiles(), now: () => 1000 });
      writer.write(b('line one\nline two\nline three\n'));
      await writer.close();
      const files = await logFiles(dir);
      assert.deepEqual(
        files.map((f) => [f.name, f.text]),
        [
          ['PC-3-stdout-1000.txt', 'someone else\n'],
          ['PC-3-stdout-1001.txt', 'line one\n'],
          ['PC-3-stdout-1002.txt', 'line two\n'],
          ['PC-3-stdout-1003.txt', 'line three\n'],
        ],
      );
    } finally {
      await cleanup();
    }
  });
});

describe('log capture: backpressure', () => {
  test('write() returns false past the queue cap, drain follows, and nothing is lost', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // A slow disk: every write waits a little, so the queue really fills.
      const slowFs: LogFs = {
        mkdir: nodeLogFs.mkdir,
        create: async (file) => {
          const handle = await nodeLogFs.create(file);
          return {
            write: async (buf, off, len) => {
              await new Promise((r) => setTimeout(r, 5));
              return handle.write(buf, off, Math.min(len, 16 * 1024));
            },
            close: () => handle.close(),
          };
        },
      };
      const writer = new LogFileWriter({ dir, computer: 'PC', pid: 1, stream: 'stdout', maxFileBytes: 0, maxQueuedBytes: 64 * 1024, fs: slowFs, active: new ActiveLogFiles() });
      const line = (i: number) => `${String(i).padStart(6, '0')}${'.'.repeat(93)}\n`;
      let i = 0;
      let refusals = 0;
      let maxQueued = 0;
      while (i < 5000) {
        const ok = writer.write(b(line(i++)));
        maxQueued = Math.max(maxQueued, writer.queuedBytes);
        if (!ok) {
          refusals++;
          await once(writer, 'drain');
          assert.ok(writer.queuedBytes <= 32 * 1024, 'drain comes at half the cap');
        }
      }
      await writer.close();
      assert.ok(refusals > 0, 'the cap was reached');
      assert.ok(maxQueued <= 64 * 1024 + 100, `queued at most the cap plus one chunk, saw ${maxQueued}`);
      const [file] = await logFiles(dir);
      assert.equal(file!.text, Array.from({ length: 5000 }, (_, k) => line(k)).join(''));
    } finally {
      await cleanup();
    }
  });
});

describe('log capture: failures', () => {
  // A failing test must not leave a retry timer behind that recreates its folder after the cleanup.
  // Stopped before the folder is removed (a close makes one last write attempt, which would recreate it).
  const stoppers: (() => Promise<unknown>)[] = [];
  const stopLater = (stop: () => Promise<unknown>) => stoppers.push(stop);
  const stopAll = async () => {
    for (const stop of stoppers.splice(0)) await stop().catch(() => undefined);
  };

  test('an uncreatable folder: no throw, one problem event, output kept, written first once the folder works', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const blocker = path.join(dir, 'afile');
      await writeFile(blocker, 'a regular file where the app folder should be');
      // The real file system, with its folder creations counted: the retries are what the test waits for.
      let mkdirs = 0;
      const countingFs: LogFs = { ...nodeLogFs, mkdir: (folder) => (mkdirs++, nodeLogFs.mkdir(folder)) };
      const logs = capture(blocker, { logDirectory: 'logs' }, { retryMs: 100, fs: countingFs });
      stopLater(() => logs.close());
      const problems: LogProblem[] = [];
      logs.on('problem', (p) => problems.push(p));
      let recovered = 0;
      logs.on('recovered', () => recovered++);
      const w1 = logs.createWorkerCapture(100);
      const w2 = logs.createWorkerCapture(101);
      assert.equal(w1.write('stdout', b('kept 1\n')), true);
      assert.equal(w1.write('stderr', b('kept err\n')), true);
      assert.equal(w2.write('stdout', b('other worker\n')), true);
      await eventually(() => problems.length > 0, 5000, 10);
      const failedSoFar = mkdirs;
      await eventually(() => mkdirs >= failedSoFar + 3, 10_000, 10); // a few failed retries
      assert.equal(problems.length, 1, 'reported once for the app');
      assert.equal(problems[0]!.code, 'ENOTDIR');
      assert.match(problems[0]!.message, /afile[\\/]logs/);
      assert.match(problems[0]!.message, /ENOTDIR/);
      assert.match(problems[0]!.message, /To fix/);
      assert.equal(w1.write('stdout', b('kept 2\n')), true, 'never asks to pause while failing');

      await rm(blocker);
      await mkdir(blocker);
      await eventually(() => recovered === 1, 5000, 20);
      w1.write('stdout', b('after recovery\n'));
      await w1.close();
      await w2.close();
      await logs.close();
      const files = await logFiles(logs.dir);
      const byKey = Object.fromEntries(files.map((f) => [`${parseLogFileName(f.name)!.pid}-${parseLogFileName(f.name)!.stream}`, f.text]));
      assert.deepEqual(byKey, { '100-stdout': 'kept 1\nkept 2\nafter recovery\n', '100-stderr': 'kept err\n', '101-stdout': 'other worker\n' });
      assert.equal(problems.length, 1);
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('a regular file where the log folder should be: reported as ENOTDIR at once (not retried as a taken name)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(path.join(dir, 'iisnode'), 'not a folder');
      const logs = capture(dir, {}, { retryMs: 60_000 });
      stopLater(() => logs.close());
      const problems: LogProblem[] = [];
      logs.on('problem', (p) => problems.push(p));
      const w = logs.createWorkerCapture(1);
      w.write('stdout', b('x\n'));
      await eventually(() => problems.length === 1, 5000, 5);
      assert.equal(problems[0]!.code, 'ENOTDIR');
      assert.equal(problems[0]!.path, path.join(dir, 'iisnode'));
      await w.close();
      await logs.close();
      assert.equal(await readFile(path.join(dir, 'iisnode'), 'utf8'), 'not a folder');
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('while failing, only the last faultBufferBytes are kept, from a line start, with a marker saying what was dropped', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const blocker = path.join(dir, 'afile');
      await writeFile(blocker, '');
      const writer = new LogFileWriter({ dir: path.join(blocker, 'logs'), computer: 'PC', pid: 1, stream: 'stdout', maxFileBytes: 0, faultBufferBytes: 1000, retryMs: 50, active: new ActiveLogFiles() });
      stopLater(() => writer.close());
      let problems = 0;
      writer.on('problem', () => problems++);
      writer.write(b('line 0000\n'));
      await eventually(() => writer.failing, 5000, 5);
      for (let i = 1; i < 500; i++) writer.write(b(`line ${String(i).padStart(4, '0')}\n`));
      assert.ok(writer.queuedBytes <= 1000, String(writer.queuedBytes));
      await rm(blocker);
      // On Windows a deleted file stays "delete pending" while a handle is open on it (the writer's retries look at
      // it every 50 ms), and its name cannot be taken until then: mkdir fails with EEXIST for a moment.
      await eventually(async () => {
        await mkdir(blocker);
        return true;
      }, 5000, 10);
      await eventually(() => !writer.failing && writer.queuedBytes === 0, 5000, 10);
      await writer.close();
      const [file] = await logFiles(path.join(blocker, 'logs'));
      const lines = file!.text.split('\n');
      assert.match(lines[0]!, /^\[Berth: 4000 bytes of output were dropped here while the log file could not be written\]$/);
      assert.equal(lines[1], 'line 0400');
      assert.equal(lines.at(-2), 'line 0499');
      assert.equal(lines.at(-1), '');
      assert.equal(problems, 1);
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('the folder replaced by a file during a flood, then repaired: the kept lines and all later ones reach the disk; what was dropped is counted (issue 16)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // Small limits so the test is quick: the file is checked 50 ms after writes, 2 KB are kept while failing.
      const logs = capture(dir, {}, { retryMs: 50, verifyMs: 50, faultBufferBytes: 2048 });
      stopLater(() => logs.close());
      const problems: LogProblem[] = [];
      logs.on('problem', (p) => problems.push(p));
      const recovered: number[] = [];
      logs.on('recovered', (dropped) => recovered.push(dropped));
      const w = logs.createWorkerCapture(300);
      const line = (tag: string, i: number) => b(`${tag} ${String(i).padStart(5, '0')}\n`);
      for (let i = 0; i < 10; i++) w.write('stdout', line('before', i));
      await w.flush();
      // The folder is moved away under the open file, and a file takes its place: writes into the open handle still
      // succeed, into a file that is no longer on disk.
      await rename(logs.dir, `${logs.dir}-gone`);
      await writeFile(logs.dir, 'in the way');
      let during = 0;
      // The flood goes on until Berth notices (bounded: at most 20 000 lines).
      await eventually(() => {
        for (let k = 0; k < 20 && during < 20_000; k++) w.write('stdout', line('during', during++));
        return problems.length > 0 || during >= 20_000;
      }, 30_000, 5);
      assert.equal(problems.length, 1, 'the fault is reported');
      assert.equal(problems[0]!.code, 'ENOTDIR');
      for (let k = 0; k < 500; k++) w.write('stdout', line('during', during++)); // more than the 2 KB kept
      // Repaired: the file is removed (the writer makes the folder again).
      await rm(logs.dir);
      for (let i = 0; i < 10; i++) w.write('stdout', line('after', i));
      await eventually(() => recovered.length === 1, 10_000, 10);
      await w.flush();
      const text = (await logFiles(logs.dir)).map((f) => f.text).join('');
      assert.match(text, /^\[Berth: \d+ bytes of output were dropped here while the log file could not be written\]$/m);
      assert.ok(text.includes(`during ${String(during - 1).padStart(5, '0')}\n`), 'the last line kept in memory is on disk');
      for (let i = 0; i < 10; i++) assert.ok(text.includes(`after ${String(i).padStart(5, '0')}\n`), `after ${i} is on disk`);
      const dropped = Number(/\[Berth: (\d+) bytes/.exec(text)![1]);
      assert.ok(dropped > 0);
      assert.equal(recovered[0], dropped, "the recovery reports what was dropped (the app's log-recovered event)");
      await w.close();
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('a full disk (ENOSPC): reported, retried, and the same file continues once there is room', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let full = false;
      const fs: LogFs = {
        mkdir: nodeLogFs.mkdir,
        create: async (file) => {
          const handle = await nodeLogFs.create(file);
          return {
            write: (buf, off, len) => (full ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : handle.write(buf, off, len)),
            close: () => handle.close(),
          };
        },
      };
      const logs = capture(dir, {}, { fs, retryMs: 50 });
      stopLater(() => logs.close());
      const problems: LogProblem[] = [];
      logs.on('problem', (p) => problems.push(p));
      const w = logs.createWorkerCapture(200);
      w.write('stdout', b('before\n'));
      await w.flush();
      full = true;
      w.write('stdout', b('during 1\n'));
      w.write('stdout', b('during 2\n'));
      await eventually(() => problems.length === 1, 5000, 5);
      assert.equal(problems[0]!.code, 'ENOSPC');
      assert.match(problems[0]!.message, /disk is full/);
      let recovered = false;
      logs.once('recovered', () => (recovered = true));
      full = false;
      // Polled: the retry timer is unref'd (it must not keep an engine alive), so it alone would not keep this test's
      // event loop running.
      await eventually(() => recovered, 5000, 10);
      await w.close();
      await logs.close();
      const files = await logFiles(logs.dir);
      assert.deepEqual(
        files.map((f) => f.text),
        ['before\nduring 1\nduring 2\n'],
      );
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('closing while the folder still fails resolves promptly and reports the lost bytes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const blocker = path.join(dir, 'afile');
      await writeFile(blocker, '');
      const writer = new LogFileWriter({ dir: path.join(blocker, 'logs'), computer: 'PC', pid: 1, stream: 'stdout', maxFileBytes: 0, retryMs: 60_000, active: new ActiveLogFiles() });
      writer.on('problem', () => undefined);
      writer.write(b('nowhere to go\n'));
      assert.equal(await writer.close(), 'nowhere to go\n'.length);
      assert.equal(writer.write(b('after close\n')), true, 'writes after close are ignored, not thrown');
    } finally {
      await stopAll();
      await cleanup();
    }
  });

  test('logging disabled: no folder, no files, but the live tail still sees the output', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = capture(dir, { loggingEnabled: false });
      const w = logs.createWorkerCapture(300);
      assert.equal(w.write('stdout', b('only in the tail\n')), true);
      await w.close();
      await logs.close();
      assert.deepEqual(await readdir(dir), []);
      assert.equal(logs.tail.lines()[0]!.text, 'only in the tail');
    } finally {
      await stopAll();
      await cleanup();
    }
  });
});
