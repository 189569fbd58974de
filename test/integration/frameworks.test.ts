/**
 * Real frameworks from npm (issue 15), their code as their docs write it, each with 2 workers through Berth and
 * answered through the front server: Express, Fastify, Koa, a Next.js custom server, `vite preview` from a start
 * script, NestJS, an app with `Number(process.env.PORT) || 3000`, an app whose fatal error is on stdout only (the
 * engine in-process), and socket.io with a cookie-keeping client through the real `berth serve`. The frameworks are
 * one fixture package installed once into a cache folder (test/helpers/frameworks.ts); the first run installs and
 * builds, later runs reuse it offline.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../core/app/app.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { frameworkApps, type FrameworkApps } from '../helpers/frameworks.js';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { freeLoopbackPort as freePort } from '../../core/worker/free-port.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { skipUnderWine } from '../helpers/wine.js';

/** The first run downloads and builds (minutes on a slow line); later runs take about a second. */
const INSTALL_TIMEOUT_MS = 20 * 60_000;

let fw: FrameworkApps;
before(async () => {
  fw = await frameworkApps();
}, { timeout: INSTALL_TIMEOUT_MS });
after(async () => {
  await fw?.cleanup();
});

/** Berth's own settings beside the app's unedited code: 2 workers (and what the framework's docs say to run it with). */
async function app(name: string, extra = ''): Promise<string> {
  const folder = path.join(fw.runDir, name);
  await writeFile(path.join(folder, 'berth.yml'), `nodeProcessCountPerApplication: 2\n${extra}`);
  return folder;
}

describe('real frameworks from npm, 2 workers each, unedited (engine)', () => {
  let t: TestEngine;
  before(async () => {
    t = await startEngine();
  });
  after(async () => {
    await t.stop();
  });

  test('the shared fixture install is cached', (c) => {
    c.diagnostic(`frameworks install: ${fw.install} (install ${fw.installMs} ms, builds ${fw.buildMs} ms this run; 0 = from the cache)`);
    assert.ok(fw.runDir.startsWith(fw.install));
  });

  const hostedApps = new Map<string, App>();
  /** Adds the app, checks its 2 workers are ready and that several requests are answered through the front server. */
  async function answers(name: string, expected: RegExp, extra = ''): Promise<void> {
    const hosted = await addRunningApp(t, await app(name, extra));
    hostedApps.set(name, hosted);
    assert.equal(hosted.workers().filter((w) => w.state === 'ready').length, 2, `${name}: 2 ready workers`);
    for (let i = 0; i < 4; i++) {
      const res = await request(t.port, { host: `${hosted.name}.localhost` });
      assert.equal(res.status, 200, `${name}: ${res.body.slice(0, 500)}`);
      assert.match(res.body, expected);
    }
  }

  test("Express's hello world (app.listen(3000)) in an `npm init -y` folder (main names a missing index.js)", async () => {
    await answers('express', /^Hello World!$/);
  });

  test("Fastify's getting-started code with listen({ port: process.env.PORT }), an ES module", async () => {
    await answers('fastify', /^\{"hello":"world"\}$/);
  });

  test("Koa's hello world (app.listen(3000))", async () => {
    await answers('koa', /^Hello World$/);
  });

  test("a Next.js custom server from Next's docs (parseInt(process.env.PORT, 10) || 3000), built once", async () => {
    await answers('next', /Hello from Next\.js/, 'node_env: production\n');
  });

  // The Windows lane reuses the install `npm test` made on Linux (BERTH_FRAMEWORKS_CACHE): it holds Linux's native
  // packages only (lightningcss-linux-x64-gnu), which Vite loads; the other frameworks are plain JavaScript.
  const viteUnderWine = skipUnderWine("the frameworks install is Linux's, and Vite needs its Windows native packages");
  test('vite preview run by the package.json start script (Berth adds --port and --host)', { skip: viteUnderWine }, async () => {
    await answers('vite', /Hello from Vite/);
  });

  test("NestJS's starter (app.listen(process.env.PORT ?? 3000)), compiled once", async () => {
    await answers('nest', /^Hello World!$/, 'entry: dist/main.js\n');
  });

  test('an app with Number(process.env.PORT) || 3000', async () => {
    await answers('port-or-3000', /^hello from port 3000$/);
  });

  test('a socket.io app (imported as an ES module) is reported as using engine.io by its workers, so it keeps off the fast lane', async () => {
    const hosted = await addRunningApp(t, await app('socketio'));
    assert.deepEqual(hosted.workers().map((w) => w.usesEngineIo), [true, true]);
    assert.equal(hosted.generation?.realtime, true, 'before any engine.io request');
    const express = hostedApps.get('express');
    assert.deepEqual(express?.workers().map((w) => w.usesEngineIo), [false, false], 'an app without engine.io');
  });

  test("a fatal error on stdout only (Fastify's pino logger) shows its cause in the events, the problem and the 5xx page", async () => {
    const hosted = await t.engine.addApp(await app('stdout-fatal'));
    const crash = await t.waitFor((e) => e.type === 'worker-exit' && e.app === hosted.name);
    assert.ok(crash.type === 'worker-exit');
    assert.ok(crash.stderr.some((line) => line.includes('cannot connect to the database at db.internal:5432')), crash.stderr.join('\n'));
    const res = await request(t.port, { host: `${hosted.name}.localhost` });
    assert.ok(res.status >= 500, `status ${res.status}`);
    assert.match(res.body, /cannot connect to the database at db\.internal:5432/);
    await t.waitFor((e) => e.type === 'app-state' && e.app === hosted.name && e.state === 'errored', 90_000);
    assert.match(hosted.problem?.stderr ?? '', /cannot connect to the database at db\.internal:5432/);
    const errored = await request(t.port, { host: `${hosted.name}.localhost` });
    assert.equal(errored.status, 503);
    assert.match(errored.body, /cannot connect to the database at db\.internal:5432/);
  });
});

/** What the test uses of socket.io-client (loaded from the fixture install at run time). */
interface ClientSocket {
  connected: boolean;
  io: { engine: { transport: { name: string } }; on(event: 'open', listener: () => void): void };
  on(event: string, listener: (...args: unknown[]) => void): void;
  once(event: string, listener: (...args: unknown[]) => void): void;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
  close(): void;
}
type Connect = (url: string, options: Record<string, unknown>) => ClientSocket;

describe('socket.io with 2 workers through `berth serve` (stickyRealtime)', () => {
  let child: ChildProcess;
  let output = '';
  let port: number;
  let connect: Connect;
  let home: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    home = await tempDir('berth-frameworks-home-');
    port = await freePort();
    const folder = await app('socketio');
    child = spawn(process.execPath, [path.join(REPO, 'bin', 'berth.js'), 'serve', folder, '--port', String(port)], {
      env: { ...process.env, BERTH_HOME: home.dir },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    await eventually(() => (output.match(/ready \(pid \d+\)/g) ?? []).length >= 2 || child.exitCode !== null, 30_000);
    assert.equal(child.exitCode, null, output);
    connect = createRequire(path.join(fw.install, 'package.json'))('socket.io-client').io as Connect;
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      interrupt(child);
      await exited;
    }
    await home.cleanup();
  });

  const workerPids = () => new Set([...output.matchAll(/ready \(pid (\d+)\)/g)].map((m) => Number(m[1])));

  /** A client that keeps cookies (withCredentials: true gives the Node client a cookie jar, as a browser has). */
  function client(options: Record<string, unknown>): { socket: ClientSocket; errors: string[] } {
    const socket = connect(`http://127.0.0.1:${port}`, { reconnection: false, timeout: 10_000, ...options });
    const errors: string[] = [];
    socket.on('connect_error', (error) => errors.push(`connect_error: ${(error as Error).message}`));
    socket.on('disconnect', (reason) => errors.push(`disconnect: ${String(reason)}`));
    return { socket, errors };
  }
  const connected = (socket: ClientSocket, errors: string[]) => eventually(() => socket.connected || errors.length > 0, 15_000);
  const hello = async (socket: ClientSocket, n: number) => (await socket.timeout(10_000).emitWithAck('hello', n)) as { n: number; pid: number };

  test('a cookie-keeping client over long-polling stays on the worker of its handshake', async () => {
    const pinned = new Set<number>();
    for (let round = 0; round < 2; round++) {
      const { socket, errors } = client({ withCredentials: true, transports: ['polling'] });
      await connected(socket, errors);
      assert.equal(errors.length, 0, errors.join('; '));
      const answers = [];
      for (let n = 0; n < 6; n++) answers.push(await hello(socket, n));
      assert.deepEqual(answers.map((a) => a.n), [0, 1, 2, 3, 4, 5]);
      assert.equal(new Set(answers.map((a) => a.pid)).size, 1, `one worker: ${JSON.stringify(answers)}`);
      assert.ok(workerPids().has(answers[0]!.pid));
      pinned.add(answers[0]!.pid);
      socket.close();
      assert.deepEqual(errors.filter((e) => !e.includes('io client disconnect')), []);
    }
    assert.doesNotMatch(output, /Session ID unknown/);
  });

  test('long-polling, then the upgrade to WebSocket: messages on the way and after it, one worker, no "Session ID unknown"', async () => {
    const { socket, errors } = client({ withCredentials: true });
    const opened = new Promise<string>((resolve) => socket.io.on('open', () => resolve(socket.io.engine.transport.name)));
    await connected(socket, errors);
    assert.equal(errors.length, 0, errors.join('; '));
    assert.equal(await opened, 'polling', 'the session opens over long-polling');
    const answers = await Promise.all([0, 1, 2].map((n) => hello(socket, n)));
    // The upgrade's WebSocket request carries the session id: it succeeds only on the worker of the handshake.
    await eventually(() => socket.io.engine.transport.name === 'websocket', 15_000);
    for (let n = 3; n < 6; n++) answers.push(await hello(socket, n));
    assert.deepEqual(answers.map((a) => a.n), [0, 1, 2, 3, 4, 5]);
    assert.equal(new Set(answers.map((a) => a.pid)).size, 1, `one worker: ${JSON.stringify(answers)}`);
    socket.close();
    assert.equal(errors.filter((e) => !e.includes('io client disconnect')).length, 0, errors.join('; '));
    assert.doesNotMatch(output, /Session ID unknown/);
  });

  test('a client without cookies is the case the README warns about: its session breaks across the 2 workers', async () => {
    const { socket, errors } = client({ transports: ['polling'] });
    await eventually(() => errors.length > 0, 15_000);
    socket.close();
    assert.ok(errors.length > 0);
  });
});
