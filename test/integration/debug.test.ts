/**
 * Debugging with node's inspector: a real DevTools-protocol session over the reported WebSocket URL, iisnode's
 * debugger URLs (functional test 109), break on start, one-worker-of-many cookie routing, port exhaustion, and
 * heap snapshots and CPU profiles.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { App } from '../../core/app/app.js';
import { parseRequestHead } from '../../core/proxy/http-parse.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { PATIENCE } from '../helpers/wine.js';

/** A minimal DevTools-protocol client: send commands, collect events. */
async function inspector(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const events: { method: string; params: unknown }[] = [];
  const waiting = new Map<number, (value: unknown) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; method?: string; params?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
    else if (message.method) events.push({ method: message.method, params: message.params });
  });
  return {
    events,
    send: (method: string, params: Record<string, unknown> = {}) =>
      // A DevTools-protocol result's shape depends on the method called.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      new Promise<any>((resolve) => {
        const n = ++id;
        waiting.set(n, resolve);
        socket.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => socket.close(),
  };
}

describe('debugging', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    t = await startEngine({}, { watchFiles: false });
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  async function app(name: string, config = ''): Promise<App> {
    const folder = await copyFixture('behaviours', dir, name);
    await writeFile(path.join(folder, 'berth.yml'), config);
    return addRunningApp(t, folder);
  }
  const get = (host: string, urlPath = '/', extra: Parameters<typeof request>[1] = {}) =>
    request(t.port, { host: `${host}.localhost`, path: urlPath, ...extra });

  test('debugging on: one debug worker serves the app; its inspector answers Runtime.evaluate', async () => {
    const debugged = await app('inspected', 'nodeProcessCountPerApplication: 2\n');
    const session = await debugged.startDebugging();
    assert.equal(session.mode, 'exclusive');
    assert.match(session.info.webSocketUrl, /^ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+$/);
    assert.ok(session.info.port >= 5058 && session.info.port <= 6058);
    assert.equal(session.info.devtoolsUrl, `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${session.info.webSocketUrl.slice(5)}`);
    assert.deepEqual(session.info.vscode, {
      type: 'node',
      request: 'attach',
      name: 'Berth: inspected',
      address: '127.0.0.1',
      port: session.info.port,
      localRoot: debugged.folder,
      remoteRoot: debugged.folder,
      skipFiles: ['<node_internals>/**'],
    });
    const [worker] = debugged.workers();
    assert.equal(debugged.workers().length, 1);
    const res = await get('inspected');
    assert.equal(res.headers['x-pid'], String(worker!.pid));
    const client = await inspector(session.info.webSocketUrl);
    try {
      const evaluated = await client.send('Runtime.evaluate', { expression: 'process.pid + 1' });
      assert.equal(evaluated.result.value, worker!.pid! + 1);
    } finally {
      client.close();
    }
    assert.ok(t.events.some((e) => e.type === 'debug-started' && e.app === 'inspected' && e.port === session.info.port));
    assert.equal(await debugged.stopDebugging(), true);
    await eventually(() => debugged.workers().length === 2 && debugged.workers().every((w) => w.state === 'ready'), 10_000);
    assert.equal(debugged.debugSession, undefined);
  });

  test("109 iisnode's debugger URLs: 301, start, unknown query, kill twice, brk, kill", async () => {
    await app('urls');
    const base = '/server.js/debug';
    const redirect = await get('urls', base);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, `${base}/`);
    const page = await get('urls', `${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Debugging urls/);
    assert.match(page.body, /devtools:\/\/devtools\/bundled\/js_app\.html/);
    assert.match(page.body, /&quot;request&quot;: &quot;attach&quot;/);
    assert.equal((await get('urls', `${base}/?foo`)).status, 200);
    assert.match((await get('urls', `${base}/?kill`)).body, /The debugger and debugee processes have been killed/);
    assert.match((await get('urls', `${base}/?kill`)).body, /The debugger for the application is not running/);
    const brk = await get('urls', `${base}/?brk`);
    assert.equal(brk.status, 200);
    assert.match(brk.body, /paused before the first line/);
    assert.match((await get('urls', `${base}/?kill`)).body, /have been killed/);
    assert.equal((await get('urls', '/')).status, 200, 'back to the normal workers');
  });

  test('?brk pauses the app before it listens; continuing in the debugger lets requests through', async () => {
    // The request waits for the paused worker within this budget (10 s; under Wine, where each step is slower, 40 s).
    const paused = await app('paused', `maxNamedPipeConnectionRetry: 100\nnamedPipeConnectionRetryDelay: ${100 * PATIENCE}\n`);
    const session = await paused.startDebugging({ brk: true });
    const worker = paused.workers()[0]!;
    assert.equal(worker.state, 'starting', 'no listen before the developer continues');
    const pending = get('paused', '/');
    const client = await inspector(session.info.webSocketUrl);
    try {
      await client.send('Debugger.enable');
      await client.send('Runtime.runIfWaitingForDebugger');
      await eventually(() => client.events.some((e) => e.method === 'Debugger.paused'), 5000);
      assert.equal(worker.state, 'starting');
      await client.send('Debugger.resume');
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-pid'], String(worker.pid));
    } finally {
      client.close();
      await paused.stopDebugging();
    }
  });

  test('debug one worker of many: only requests with the debug cookie reach the debug worker', async () => {
    const many = await app('cookie', 'nodeProcessCountPerApplication: 2\n');
    const normal = new Set(many.workers().map((w) => String(w.pid)));
    const page = await get('cookie', '/server.js/debug/?cookie');
    assert.equal(page.status, 200);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^berth\.debug=[0-9a-f]{24}$/);
    const debugPid = String(many.debugSession!.generation.workers()[0]!.pid);
    assert.ok(!normal.has(debugPid));
    for (let i = 0; i < 3; i++) assert.equal((await get('cookie', '/', { headers: { cookie: `a=b; ${cookie}` } })).headers['x-pid'], debugPid);
    for (let i = 0; i < 4; i++) assert.ok(normal.has(String((await get('cookie', '/')).headers['x-pid'])));
    assert.equal(many.workers().length, 2, 'the normal pool kept serving');
    await many.stopDebugging();
    assert.ok(normal.has(String((await get('cookie', '/', { headers: { cookie } })).headers['x-pid'])));
  });

  test('a debuggerPortRange with no free port gives a clear error and the app keeps running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const full = await app('noport', `debuggerPortRange: ${port}\n`);
      await assert.rejects(full.startDebugging(), new RegExp(`No free port in debuggerPortRange ${port}-${port}`));
      const res = await get('noport', '/server.js/debug/');
      assert.equal(res.status, 503);
      assert.match(res.body, /No free port in debuggerPortRange/);
      assert.equal((await get('noport')).status, 200);
      assert.equal(full.state, 'running');
    } finally {
      blocker.close();
    }
  });

  test('the debugger URLs refuse callers from other computers', async () => {
    const guarded = await app('guarded');
    const head = parseRequestHead('GET /server.js/debug/ HTTP/1.1\r\nHost: guarded.localhost');
    const client = { remoteAddress: '192.0.2.7', remotePort: 5000, localAddress: '192.0.2.2', localPort: 8080, secure: false };
    const answer = await guarded.intercept(head, client, false);
    assert.equal(answer?.status, 403);
    assert.match(String(answer?.body), /callers on this computer only/);
    assert.equal(guarded.debugSession, undefined, 'nothing was started');
  });

  test('111 with debuggingEnabled: false the debugger URL goes to the app', async () => {
    await app('nodebug', 'debuggingEnabled: false\n');
    const res = await get('nodebug', '/server.js/debug');
    assert.equal(res.status, 200);
    assert.match(res.body, /^pid \d+$/);
  });

  test('a heap snapshot parses as JSON; a CPU profile is a DevTools profile', async () => {
    const inspected = await app('snapshots');
    const folder = path.join(dir, 'snapshots-out');
    const pid = inspected.workers()[0]!.pid!;
    const snapshot = await inspected.heapSnapshot(folder);
    assert.equal(snapshot.pid, pid);
    assert.match(path.basename(snapshot.path), new RegExp(`^snapshots-${pid}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z\\.heapsnapshot$`));
    assert.ok(snapshot.size > 100_000);
    const parsed = JSON.parse(await readFile(snapshot.path, 'utf8')) as { snapshot: { meta: unknown }; nodes: unknown[] };
    assert.ok(parsed.snapshot.meta && parsed.nodes.length > 0);
    const profile = await inspected.cpuProfile(folder, 0.5);
    const cpu = JSON.parse(await readFile(profile.path, 'utf8')) as { nodes: unknown[]; startTime: number; endTime: number };
    assert.ok(cpu.nodes.length > 0 && cpu.endTime > cpu.startTime);
    await assert.rejects(inspected.heapSnapshot(folder, 1), /no worker with pid 1/);
  });
});
