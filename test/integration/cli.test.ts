/**
 * `berth serve` as a user runs it: a real child process. Graceful Ctrl+C, no orphans when it is killed, a clear
 * error for a port in use, and flat memory while 30 MB bodies stream through.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { freeLoopbackPort as freePort } from '../../core/worker/free-port.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually, isAlive } from '../helpers/wait.js';
import { skipUnderWine } from '../helpers/wine.js';

const BERTH = path.join(REPO, 'bin', 'berth.js');
/** Each `berth serve` here gets a Berth home of its own (token, discovery file) instead of the user's. */
let homes = 0;
let homesDir: string;
before(async () => ({ dir: homesDir } = await tempDir('berth-cli-homes-')));
after(() => rm(homesDir, { recursive: true, force: true }));
function homeEnv(): NodeJS.ProcessEnv {
  return { ...process.env, BERTH_HOME: path.join(homesDir, `home-${++homes}`) };
}

interface Served {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `berth serve` and waits until its output shows every expected worker ready. */
async function serve(folders: string[], env: NodeJS.ProcessEnv = {}, readyWorkers = folders.length): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BERTH, 'serve', ...folders, '--port', String(port)], {
    env: { ...homeEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let text = '';
  child.stdout!.on('data', (c) => (text += c));
  child.stderr!.on('data', (c) => (text += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = await eventually(() => (text.match(/ready \(pid \d+\)/g) ?? []).length >= readyWorkers || child.exitCode !== null, 15_000).catch(() => false);
  if (!ready || child.exitCode !== null) {
    // A serve that never got ready must not outlive the test (its workers would keep the whole file running).
    child.kill('SIGKILL');
    assert.fail(`berth serve did not report ${readyWorkers} ready worker(s) (exit ${child.exitCode}); its output:\n${text}`);
  }
  return { child, port, output: () => text, exited };
}

function workerPids(output: string): number[] {
  return [...output.matchAll(/ready \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

describe('berth serve', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  test('prints the app URL and serves it from two workers when configured so', async () => {
    const folder = await copyFixture('counter', dir, 'two-workers');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    const s = await serve([folder], {}, 2);
    try {
      assert.match(s.output(), new RegExp(`\\[two-workers\\] http://two-workers\\.localhost:${s.port}/`));
      const pids = new Set<string>();
      for (let i = 0; i < 4; i++) pids.add(String((await request(s.port, { host: 'two-workers.localhost' })).headers['x-pid']));
      assert.equal(pids.size, 2);
    } finally {
      interrupt(s.child);
      await s.exited;
    }
  });

  test('Ctrl+C: the in-flight request finishes, workers run their exit handlers, nothing keeps running', async () => {
    const folder = await copyFixture('slow', dir, 'graceful');
    const s = await serve([folder], { EXIT_MARKER_DIR: dir, REQUEST_MARKER_DIR: dir });
    const [pid] = workerPids(s.output());
    assert.ok(pid);
    const inFlight = request(s.port, { host: 'graceful.localhost', path: '/slow?ms=1500' });
    await eventually(() => existsSync(path.join(dir, `request-${pid}`)), 10_000); // the request is in the worker
    interrupt(s.child);
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.match(res.body, /^done after 1500 ms/);
    assert.equal(await s.exited, 0);
    assert.match(s.output(), /Stopping: waiting for in-flight requests/);
    await eventually(() => !isAlive(pid), 5000);
    assert.equal(await readFile(path.join(dir, `exit-${pid}`), 'utf8'), 'exit handler ran');
  });

  test('when berth is killed outright, its workers exit too (no orphans)', async () => {
    const folder = await copyFixture('counter', dir, 'orphans');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    const s = await serve([folder], {}, 2);
    const pids = workerPids(s.output());
    assert.equal(pids.length, 2);
    // Each worker's PORT is its unix socket file (Linux lets us read another process's environment).
    const sockets =
      process.platform === 'linux'
        ? await Promise.all(pids.map(async (p) => /(?:^|\0)PORT=([^\0]+)/.exec(await readFile(`/proc/${p}/environ`, 'utf8'))![1]!))
        : [];
    for (const socket of sockets) assert.ok(existsSync(socket), socket);
    s.child.kill('SIGKILL');
    await s.exited;
    await eventually(() => pids.every((p) => !isAlive(p)), 5000);
    // They closed their servers on the way out, which removed their socket files.
    for (const socket of sockets) assert.ok(!existsSync(socket), `${socket} was left behind`);
  });

  test('when berth is killed outright while a worker spins, that worker and its own child exit too (issue 16)', async () => {
    const folder = await copyFixture('spinner', dir, 'spinner');
    const s = await serve([folder], { SPIN_MARKER_DIR: dir });
    const res = await request(s.port, { host: 'spinner.localhost' });
    const worker = Number(res.headers['x-pid']);
    const child = Number(res.headers['x-child-pid']);
    assert.ok(isAlive(worker) && isAlive(child));
    // The worker's event loop blocks for good: its IPC 'disconnect' handler can never run.
    request(s.port, { host: 'spinner.localhost', path: '/spin', timeoutMs: 60_000 }).catch(() => undefined);
    await eventually(() => existsSync(path.join(dir, `spinning-${worker}`)), 15_000);
    if (process.platform === 'win32') s.child.kill();
    else s.child.kill('SIGKILL');
    await s.exited;
    // The bootstrap's watchdog thread notices within its poll and grace periods (about 1.25 s); allow for a busy machine.
    await eventually(() => !isAlive(worker), 10_000);
    await eventually(() => !isAlive(child), 10_000);
  });

  test('a port already in use is an error that says so and names the holder', { skip: skipUnderWine('netstat shows no owning PID, so the holder has no name') }, async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const folder = await copyFixture('counter', dir, 'port-clash');
      const child = spawn(process.execPath, [BERTH, 'serve', folder, '--port', String(port)], { env: homeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (c) => (err += c));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 1);
      assert.match(err, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use by node(?:\\.exe)? \\(pid ${process.pid}\\)`));
      assert.match(err, /--port/);
    } finally {
      blocker.close();
    }
  });

  test('usage errors exit non-zero with a message; --version prints the version', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [BERTH, ...args], { env: homeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (c) => (out += c));
        child.stderr!.on('data', (c) => (out += c));
        child.on('close', (code) => resolve({ code, out }));
      });
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.out, /^\d+\.\d+\.\d+\n$/);
    const badPort = await run(['serve', '--port', 'eighty']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.out, /--port must be a number from 0 to 65535, not "eighty"/);
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /unknown command "frobnicate"/);
    const missing = await run(['serve', path.join(dir, 'does-not-exist'), '--port', '0']);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /is not a folder/);
  });

  test("30 MB up and down stream through while the engine's memory stays flat", { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const folder = await copyFixture('large', dir, 'memory');
    const s = await serve([folder]);
    try {
      const status = async () => readFile(`/proc/${s.child.pid}/status`, 'utf8');
      const peakMb = async () => Number(/VmHWM:\s+(\d+) kB/.exec(await status())![1]) / 1024;
      const upload = (mb: number) =>
        request(s.port, { host: 'memory.localhost', path: '/count', method: 'POST', body: Buffer.alloc(mb * 1024 * 1024, 'u') });
      const baseline = await peakMb();
      assert.equal((await upload(31)).body, '32505856');
      const down = await request(s.port, { host: 'memory.localhost' });
      assert.equal(down.bodyBytes.length, 30 * 1024 * 1024);
      const afterThirty = await peakMb();
      // Bodies stream through and nothing is kept per body. V8 frees socket read buffers lazily (once tens of MB of
      // them are garbage), so the peak rises to a plateau; an engine that buffered bodies would grow by the body size.
      assert.equal((await upload(240)).body, String(240 * 1024 * 1024));
      const afterHuge = await peakMb();
      assert.ok(afterThirty - baseline < 100, `peak grew from ${baseline.toFixed(1)} MB to ${afterThirty.toFixed(1)} MB for 30 MB bodies`);
      assert.ok(afterHuge - baseline < 120, `peak grew from ${baseline.toFixed(1)} MB to ${afterHuge.toFixed(1)} MB for a 240 MB body`);
    } finally {
      interrupt(s.child);
      await s.exited;
    }
  });
});
