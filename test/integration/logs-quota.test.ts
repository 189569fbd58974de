
/**
 * Quotas and index.html on real folders: by count, by total size, by age; never an active file, never a file that
 * is not a Berth log.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ActiveLogFiles } from '../../core/logs/active-files.js';
import { AppLogCapture, type LogSettings } from '../../core/logs/capture.js';
import { LogIndexUpdater } from '../../core/logs/index-page.js';
import { logFileName, parseLogFileName } from '../../core/logs/naming.js';
import { enforceLogQuota } from '../../core/logs/quota.js';
import { tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { skipUnderWine } from '../helpers/wine.js';

const SETTINGS: LogSettings = {
  loggingEnabled: true,
  logDirectory: 'iisnode',
  maxLogFileSizeInKB: 128,
  maxTotalLogFileSizeInKB: 1024,
  maxLogFiles: 20,
};

const b = (text: string) => Buffer.from(text, 'utf8');
const HOUR = 60 * 60 * 1000;

/** Creates old log files named with the given creation times. */
async function seed(dir: string, stamps: number[], size = 100, pid = 1): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names = stamps.map((t) => logFileName('OLDPC', pid, 'stdout', t));
  await Promise.all(names.map((n) => writeFile(path.join(dir, n), 'o'.repeat(size))));
  return names;
}

/** Files that are not Berth logs, which no quota may touch. */
async function foreign(dir: string): Promise<string[]> {
  await mkdir(path.join(dir, 'subfolder'), { recursive: true });
  await writeFile(path.join(dir, 'README.md'), 'keep me');
  await writeFile(path.join(dir, 'notes.txt'), 'keep me too');
  await writeFile(path.join(dir, 'OLDPC-1-stdout-5.txt.bak'), 'a backup');
  await writeFile(path.join(dir, 'subfolder', logFileName('OLDPC', 1, 'stdout', 6)), 'in a subfolder');
  await writeFile(path.join(path.dirname(dir), 'outside-target.txt'), 'linked to');
  await symlink(path.join(path.dirname(dir), 'outside-target.txt'), path.join(dir, logFileName('OLDPC', 1, 'stdout', 7)));
  return ['OLDPC-1-stdout-5.txt.bak', 'OLDPC-1-stdout-7.txt', 'README.md', 'notes.txt', 'subfolder'];
}

const logNames = async (dir: string) => (await readdir(dir)).filter((n) => parseLogFileName(n)).sort();

describe('log quotas', () => {
  test('by count: the oldest go; foreign files, links and subfolders stay; index.html lists what is left', { skip: skipUnderWine('symbolic links (symlink() creates nothing)') }, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logDir = path.join(dir, 'iisnode');
      const old = await seed(logDir, [1000, 2000, 3000, 4000, 5000]);
      const others = await foreign(logDir);
      const logs = new AppLogCapture({ baseDir: dir, settings: { ...SETTINGS, maxLogFiles: 3 }, computerName: 'PC', active: new ActiveLogFiles(), indexDebounceMs: 10 });
      const w = logs.createWorkerCapture(42); // purges when a worker starts...
      await logs.flush();
      assert.deepEqual(await logNames(logDir), [...old.slice(2), 'OLDPC-1-stdout-7.txt'].sort());
      w.write('stdout', b('hello\n')); // ...and when a new file appears
      await logs.flush();
      const current = w.currentFiles[0]!;
      assert.deepEqual(await logNames(logDir), [...old.slice(3), path.basename(current), 'OLDPC-1-stdout-7.txt'].sort());
      await w.close();
      await logs.close();
      const all = (await readdir(logDir)).sort();
      for (const f of others) assert.ok(all.includes(f), `${f} was deleted`);
      assert.equal(await readFile(path.join(path.dirname(logDir), 'outside-target.txt'), 'utf8'), 'linked to');
      assert.equal(await readFile(path.join(logDir, 'subfolder', logFileName('OLDPC', 1, 'stdout', 6)), 'utf8'), 'in a subfolder');
      const index = await readFile(path.join(logDir, 'index.html'), 'utf8');
      for (const gone of old.slice(0, 3)) assert.ok(!index.includes(gone), `index lists deleted ${gone}`);
      for (const kept of old.slice(3)) assert.ok(index.includes(`href="${kept}"`), `index misses ${kept}`);
      assert.ok(!index.includes('README') && !index.includes('OLDPC-1-stdout-7.txt'), 'index lists only log files');
      assert.ok(!all.some((n) => n.endsWith('.tmp')), 'no temp files left');
    } finally {
      await cleanup();
    }
  });

  test('by total size: oldest first until the folder fits', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const old = await seed(dir, [1000, 2000, 3000, 4000], 400 * 1024);
      const result = await enforceLogQuota(dir, { maxLogFiles: 0, maxTotalBytes: 1024 * 1024 }, { active: new ActiveLogFiles() });
      assert.deepEqual(result.deleted, old.slice(0, 2));
      assert.deepEqual(await logNames(dir), old.slice(2));
      assert.equal(result.stillOver, false);
    } finally {
      await cleanup();
    }
  });

  test('by age (logRetentionDays): files last written before the cutoff go', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const [ancient, recent] = await seed(dir, [1000, 2000]);
      const tenDaysAgo = new Date(Date.now() - 240 * HOUR);
      await utimes(path.join(dir, ancient!), tenDaysAgo, tenDaysAgo);
      const result = await enforceLogQuota(dir, { maxLogFiles: 0, maxTotalBytes: 0, retentionDays: 7 }, { active: new ActiveLogFiles() });
      assert.deepEqual(result.deleted, [ancient]);
      assert.deepEqual(await logNames(dir), [recent]);
    } finally {
      await cleanup();
    }
  });

  test('rotation with a count quota: the newest files stay, holding the end of the output', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logs = new AppLogCapture({ baseDir: dir, settings: { ...SETTINGS, maxLogFileSizeInKB: 1, maxLogFiles: 3 }, computerName: 'PC', active: new ActiveLogFiles(), indexDebounceMs: 10 });
      const w = logs.createWorkerCapture(7);
      const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'-'.repeat(40)}\n`);
      for (const line of lines) w.write('stdout', b(line));
      await w.close();
      await logs.enforceQuota(); // the last file is no longer active: the lead calls this after a recycle
      await logs.close();
      const names = await logNames(logs.dir);
      assert.equal(names.length, 3);
      const texts = await Promise.all(names.map((n) => readFile(path.join(logs.dir, n), 'utf8')));
      const joined = texts.join('');
      assert.ok(lines.join('').endsWith(joined), 'the kept files are the end of the output, in order');
      assert.ok(joined.endsWith('line 0399 ' + '-'.repeat(40) + '\n'));
    } finally {
      await cleanup();
    }
  });

  test('never a file being written: not by its own app, not by another app sharing the folder', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const active = new ActiveLogFiles(); // one engine: one registry
      const shared = path.join(dir, 'shared-logs');
      const settings = { ...SETTINGS, logDirectory: shared, maxLogFiles: 1, maxTotalLogFileSizeInKB: 1 };
      const app1 = new AppLogCapture({ baseDir: path.join(dir, 'app1'), settings, computerName: 'PC', active, indexDebounceMs: 10 });
      const app2 = new AppLogCapture({ baseDir: path.join(dir, 'app2'), settings, computerName: 'PC', active, indexDebounceMs: 10 });
      const a = app1.createWorkerCapture(1);
      const c = app1.createWorkerCapture(3);
      a.write('stdout', b(`${'a'.repeat(2000)}\n`)); // over the size quota on its own
      c.write('stdout', b('c\n'));
      await app1.flush();
      const aFile = a.currentFiles[0]!;
      const cFile = c.currentFiles[0]!;
      const w2 = app2.createWorkerCapture(2);
      w2.write('stderr', b('second app\n'));
      await app2.flush();
      await app1.enforceQuota();
      await app2.enforceQuota();
      // All three files are active: the quotas are exceeded, but nothing was deleted.
      assert.ok((await stat(aFile)).isFile());
      assert.ok((await stat(cFile)).isFile());
      assert.equal((await logNames(shared)).length, 3);
      const result = await app2.enforceQuota();
      assert.equal(result.stillOver, true);
      // Once worker 1 closes, its file may go; the others are still being written.
      await a.close();
      const after = await app2.enforceQuota();
      assert.deepEqual(after.deleted, [path.basename(aFile)]);
      assert.equal((await logNames(shared)).length, 2);
      await c.close();
      await w2.close();
      await app1.close();
      await app2.close();
    } finally {
      await cleanup();
    }
  });
});

describe('index.html', () => {
  test('rewrites are debounced, atomic (temp file + rename) and leave no temp files', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await seed(dir, [1000]);
      let writes = 0;
      const updater = new LogIndexUpdater(dir, { debounceMs: 30, now: () => (writes++, 0) });
      for (let i = 0; i < 20; i++) updater.schedule();
      await eventually(() => writes > 0, 5000, 5); // the debounced rewrite started
      await updater.flush();
      assert.equal(writes, 1, 'twenty requests, one write');
      const html = await readFile(path.join(dir, 'index.html'), 'utf8');
      assert.match(html, /OLDPC-1-stdout-1000\.txt/);
      await seed(dir, [2000]);
      await updater.update();
      assert.match(await readFile(path.join(dir, 'index.html'), 'utf8'), /OLDPC-1-stdout-2000\.txt/);
      assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
      updater.close();
    } finally {
      await cleanup();
    }
  });

  test('a folder that cannot be written: the error goes to onError, nothing throws', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const errors: string[] = [];
      const blocker = path.join(dir, 'file');
      await writeFile(blocker, '');
      const updater = new LogIndexUpdater(path.join(blocker, 'logs'), { onError: (e) => errors.push(e.code ?? '') });
      await updater.update();
      assert.deepEqual(errors, ['ENOTDIR']);
    } finally {
      await cleanup();
    }
  });
});
