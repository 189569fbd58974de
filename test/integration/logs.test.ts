/**
 * Log capture wired into the engine: iisnode functional tests 105, 110 and 111, logs over HTTP, an unwritable
 * folder, the live tail, and `berth serve --follow-logs`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { rawRequest, request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

describe('logs', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    t = await startEngine();
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  async function app(name: string, config = '') {
    const folder = await copyFixture('logging', dir, name);
    if (config) await writeFile(path.join(folder, 'berth.yml'), config);
    return { app: await addRunningApp(t, folder), folder };
  }
  const get = (host: string, urlPath = '/', extra: Parameters<typeof request>[1] = {}) =>
    request(t.port, { host: `${host}.localhost`, path: urlPath, ...extra });

  test('105 logging: five requests → the log folder holds index.html and one stdout file with Request1..5', async () => {
    const { app: logging, folder } = await app('logging105');
    for (let i = 0; i < 5; i++) await get('logging105');
    const logDir = path.join(folder, 'iisnode');
    const pid = logging.workers()[0]!.pid;
    await eventually(async () => (await readdir(logDir).catch(() => [] as string[])).includes('index.html'), 5000);
    await eventually(async () => {
      const files = (await readdir(logDir)).filter((f) => f.endsWith('.txt'));
      return files.length === 1 && (await readFile(path.join(logDir, files[0]!), 'utf8')) === 'Request1\nRequest2\nRequest3\nRequest4\nRequest5\n';
    }, 5000);
    const files = await readdir(logDir);
    assert.equal(files.length, 2);
    assert.ok(files.includes('index.html'));
    assert.match(files.find((f) => f !== 'index.html')!, new RegExp(`^[A-Za-z0-9_.-]+-${pid}-stdout-\\d+\\.txt$`));
  });

  test('110 log size quota: maxLogFileSizeInKB=1 and two 1 KB lines → two log files and index.html', async () => {
    const { folder } = await app('logging110', 'maxLogFileSizeInKB: 1\n');
    await get('logging110', '/big?chars=1024');
    await get('logging110', '/big?chars=1024');
    const logDir = path.join(folder, 'iisnode');
    // Three files in the folder is not yet the end state: the index page's temp file counts too while it is written.
    const settled = (files: string[]) => files.includes('index.html') && files.filter((f) => f.endsWith('.txt')).length === 2;
    await eventually(async () => settled(await readdir(logDir).catch(() => [] as string[])), 5000);
    const files = await readdir(logDir);
    assert.equal(files.filter((f) => f.endsWith('.txt')).length, 2);
    assert.ok(files.includes('index.html'));
  });

  test('111 loggingEnabled: false: nothing is written, and the log URL goes to the app', async () => {
    const { folder } = await app('nolog', 'loggingEnabled: false\n');
    await get('nolog');
    const res = await get('nolog', '/iisnode/index.html');
    assert.match(res.body, /^logged /, 'the app answered, not Berth');
    // Proving an absence: with logging off there is no writer whose work could be waited for, so give a writer the
    // moment it would have needed, then look.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await readdir(folder)).filter((f) => f === 'iisnode'), []);
  });

  test('logs over HTTP: the index, a file, a Range, and no way out of the folder', async () => {
    const { app: served } = await app('served');
    await get('served');
    await get('served', '/error?text=%3Cb%3E');
    await eventually(async () => (await get('served', '/iisnode/')).body.includes('stderr'), 5000);
    const index = await get('served', '/iisnode/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    const pid = served.workers()[0]!.pid;
    const link = new RegExp(`href="([^"]*-${pid}-stdout-\\d+\\.txt)"`).exec(index.body)?.[1];
    assert.ok(link, index.body);
    const file = await get('served', `/iisnode/${link}`);
    assert.equal(file.status, 200);
    assert.match(String(file.headers['content-type']), /^text\/plain; charset=utf-8/);
    assert.equal(file.body, 'Request1\n');
    const range = await get('served', `/iisnode/${link}`, { headers: { range: 'bytes=0-6' } });
    assert.equal(range.status, 206);
    assert.equal(range.body, 'Request');
    assert.equal((await get('served', '/iisnode')).status, 301);
    for (const attempt of ['/iisnode/../server.js', '/iisnode/%2e%2e/server.js', '/iisnode/..%2fserver.js', '/iisnode/..%5cserver.js', '/iisnode/CON', '/iisnode/C:%5cwindows']) {
      const raw = await rawRequest(t.port, `GET ${attempt} HTTP/1.1\r\nHost: served.localhost\r\nConnection: close\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 (400|403|404) /, `${attempt}: ${raw.slice(0, 80)}`);
      assert.doesNotMatch(raw, /createServer/, attempt);
    }
  });

  test('an unwritable log folder never stops the app: the problem is reported and output is kept', async () => {
    const folder = await copyFixture('logging', dir, 'unwritable');
    // A file where the log folder should be: creating the folder fails (running as root, permissions would not).
    await writeFile(path.join(folder, 'blocked'), 'not a folder');
    await writeFile(path.join(folder, 'berth.yml'), 'logDirectory: blocked/logs\n');
    const unwritable = await addRunningApp(t, folder);
    const res = await get('unwritable');
    assert.equal(res.status, 200);
    const problem = await t.waitFor((e) => e.type === 'log-problem' && e.app === 'unwritable', 10_000);
    assert.ok(problem.type === 'log-problem');
    assert.match(problem.message, /blocked/);
    assert.equal((await get('unwritable')).status, 200);
    assert.ok(unwritable.tail.lines(10).some((l) => l.text === 'Request1'), 'the live tail still has the output');
  });

  test('the live tail delivers recent lines, then new ones, with stream and pid', async () => {
    const { app: tailed } = await app('tailed');
    await get('tailed');
    const batches: { text: string; stream: string; pid: number }[] = [];
    const unsubscribe = tailed.tail.subscribe({ lines: 10 }, (batch) => {
      batches.push(...batch.lines);
    });
    try {
      await eventually(() => batches.some((l) => l.text === 'Request1'), 5000);
      await get('tailed', '/error?text=boom');
      await eventually(() => batches.some((l) => l.text === 'an error line: boom' && l.stream === 'stderr'), 5000);
      assert.ok(batches.every((l) => l.pid === tailed.workers()[0]!.pid));
    } finally {
      unsubscribe();
    }
  });

  test('berth serve --follow-logs prints each line with its app and worker', async () => {
    const folder = await copyFixture('logging', dir, 'followed');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'berth.js'), 'serve', folder, '--port', String(port), '--follow-logs'], {
      // A Berth home of its own (token, discovery file) instead of the user's.
      env: { ...process.env, BERTH_HOME: path.join(dir, 'berth-home') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    try {
      await eventually(() => /ready \(pid \d+\)/.test(out) || child.exitCode !== null, 15_000).catch(() => false);
      assert.match(out, /ready \(pid \d+\)/, `berth serve --follow-logs printed no "ready (pid N)":\n${out}`);
      const pid = /ready \(pid (\d+)\)/.exec(out)![1];
      await request(port, { host: 'followed.localhost' });
      await request(port, { host: 'followed.localhost', path: '/error?text=visible' });
      await eventually(() => out.includes(`[followed ${pid}] Request1`) && out.includes(`[followed ${pid}] an error line: visible`), 5000);
    } finally {
      interrupt(child);
      await new Promise((r) => child.on('exit', r));
    }
  });
});
