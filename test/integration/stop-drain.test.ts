/**
 * Stopping or removing an app while an old generation still drains after a recycle: the stop finishes only when
 * every generation's workers have exited and every file Berth held in the app folder (logs, watchers) is closed, so
 * the folder can be moved and deleted at once. On Windows an open file makes the rename fail (EBUSY); elsewhere an
 * open file does not block it, so where /proc exists the test also asks the kernel which files Berth holds.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../core/app/app.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/paths.js';
import { eventually, isAlive } from '../helpers/wait.js';

// Writes to its log at start and on every request; /slow never answers, so the request holds its worker until the
// worker is stopped.
const SERVER = `
const http = require('http');
console.log('started ' + process.pid);
http.createServer((req, res) => {
  console.log('request ' + req.url);
  if (req.url === '/slow') return;
  res.end(String(process.pid));
}).listen(process.env.PORT);
`;

/**
 * Linux says which files a process holds (/proc/self/fd). Not where /proc merely resolves: under Wine, `/proc` is Z:'s
 * view of the Linux one, whose links name Linux paths, never the Windows paths this test compares.
 */
const PROC_FDS = process.platform === 'linux' && existsSync('/proc/self/fd');

/** The files this process holds open inside `folder`, where the platform can say (/proc); else none are known. */
async function heldIn(folder: string): Promise<string[]> {
  if (!PROC_FDS) return [];
  const held: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(path.join('/proc/self/fd', fd)).catch(() => '');
    if (target === folder || target.startsWith(folder + path.sep)) held.push(target);
  }
  return held;
}

describe('stop and remove wait for a generation still draining after a recycle', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  /** An app whose old generation drains (a request it holds never ends) while the new one serves. */
  async function drainingApp(t: TestEngine, name: string): Promise<{ app: App; folder: string; pids: number[] }> {
    const folder = await realpath(await makeApp(name));
    const app = await addRunningApp(t, folder);
    const logDir = app.logDirectory!;
    const oldPid = app.workers()[0]!.pid!;
    const slow = request(t.port, { host: `${name}.localhost`, path: '/slow' });
    slow.catch(() => undefined); // it ends when its worker is stopped
    await eventually(() => app.workers()[0]!.active === 1);
    await app.recycle('test');
    const newPid = app.workers()[0]!.pid!;
    assert.notEqual(newPid, oldPid, 'a new generation serves');
    assert.ok(isAlive(oldPid), 'the old generation still drains (it holds the slow request)');
    // Both generations have written their log files (the old one's stays open while it drains).
    await eventually(async () => {
      const files = await readdir(logDir);
      return [oldPid, newPid].every((pid) => files.some((f) => f.includes(`-${pid}-stdout-`)));
    });
    if (PROC_FDS) assert.notDeepEqual(await heldIn(folder), [], 'the test sees the log files Berth holds');
    return { app, folder, pids: [oldPid, newPid] };
  }

  async function makeApp(name: string): Promise<string> {
    const folder = path.join(dir, name);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    await writeFile(path.join(folder, 'server.js'), SERVER);
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 1\ngracefulShutdownTimeout: 1500\n');
    return folder;
  }

  /** Every worker has exited and the folder can be moved and deleted at once. */
  async function assertReleased(folder: string, pids: number[]): Promise<void> {
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} has exited`);
    assert.deepEqual(await heldIn(folder), [], 'Berth holds no file in the app folder');
    const moved = `${folder}-moved`;
    await rename(folder, moved);
    await rm(moved, { recursive: true });
  }

  test('removeApp', { timeout: 60_000 }, async () => {
    const t = await startEngine();
    try {
      const { app, folder, pids } = await drainingApp(t, 'removed');
      await t.engine.removeApp(app.name);
      await assertReleased(folder, pids);
    } finally {
      await t.stop();
    }
  });

  test('stopApp', { timeout: 60_000 }, async () => {
    const t = await startEngine();
    try {
      const { app, folder, pids } = await drainingApp(t, 'stopped');
      await t.engine.stopApp(app.name);
      assert.equal(app.state, 'stopped');
      await assertReleased(folder, pids);
    } finally {
      await t.stop();
    }
  });

  test('stopApp while a recycle is starting a generation that never listens', { timeout: 60_000 }, async () => {
    const t = await startEngine({}, { watchFiles: false });
    try {
      const folder = await realpath(await makeApp('starting'));
      const app = await addRunningApp(t, folder);
      const oldPid = app.workers()[0]!.pid!;
      await writeFile(path.join(folder, 'server.js'), "console.log('started, never listens'); setInterval(() => {}, 1000);\n");
      const recycled = app.recycle('test');
      const started = await t.waitFor((e) => e.type === 'worker-started' && e.app === app.name && e.pid !== oldPid);
      await t.engine.stopApp(app.name);
      assert.equal(app.state, 'stopped');
      await assertReleased(folder, [oldPid, (started as { pid: number }).pid]);
      await recycled;
    } finally {
      await t.stop();
    }
  });

  test('the engine stops', { timeout: 60_000 }, async () => {
    const t = await startEngine();
    // A failure before the stop under test still stops the engine: its workers would keep the test file running.
    const { folder, pids } = await drainingApp(t, 'engine').catch(async (error: unknown) => {
      await t.stop();
      throw error;
    });
    await t.stop();
    await assertReleased(folder, pids);
  });
});
