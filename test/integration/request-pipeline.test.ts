/**
 * The request path, setting by setting (iisnode §2, §3.2, §5) and where Berth does better: per-process cap with
 * overflow, least-busy and sticky balancing, stale pooled connections, forwarded headers, the iisnode-debug header,
 * error pages, crash handling, timeouts and streaming. iisnode functional tests 112, 118, 119 and 132.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

describe('request pipeline', () => {
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

  async function app(name: string, fixture: string, config: string) {
    const folder = await copyFixture(fixture, dir, name);
    await writeFile(path.join(folder, 'berth.yml'), config);
    return addRunningApp(t, folder);
  }
  const get = (host: string, urlPath = '/', extra: Parameters<typeof request>[1] = {}) =>
    request(t.port, { host: `${host}.localhost`, path: urlPath, ...extra });

  test('cap: a full worker is skipped for one with room; when all are full, 503 with Retry-After', async () => {
    const capped = await app('capped', 'behaviours', 'nodeProcessCountPerApplication: 2\nmaxConcurrentRequestsPerProcess: 1\n');
    const release = path.join(dir, 'capped.release');
    const first = get('capped', `/hold?until=${encodeURIComponent(release)}`);
    const second = get('capped', `/hold?until=${encodeURIComponent(release)}`);
    // Both held requests are dispatched (one per worker) before the third arrives; they stay until the file exists.
    await eventually(() => capped.workers().filter((w) => w.active === 1).length === 2, 10_000);
    const third = await get('capped', '/');
    assert.equal(third.status, 503);
    assert.equal(third.headers['retry-after'], '1');
    assert.match(third.body, /is at capacity: each of its 2 worker\(s\) already holds 1 request\(s\)/);
    await writeFile(release, '');
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.match(String(a.headers['x-pid']), /^\d+$/);
    assert.match(String(b.headers['x-pid']), /^\d+$/);
    assert.notEqual(a.headers['x-pid'], b.headers['x-pid'], 'the second request overflowed to the other worker');
    assert.equal((await get('capped', '/')).status, 200, 'room again once they finished');
  });

  test('cap: an open WebSocket holds a slot', async () => {
    await app('capped-ws', 'websocket', 'maxConcurrentRequestsPerProcess: 1\n');
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: 'capped-ws.localhost' } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    assert.equal((await get('capped-ws', '/')).status, 503);
    const closed = new Promise((r) => socket.once('close', r));
    socket.close();
    await closed;
    await eventually(async () => (await get('capped-ws', '/')).status === 200, 5000);
  });

  test('leastBusy: requests go to the idle worker while the other is busy', async () => {
    const leastBusy = await app('least', 'behaviours', 'nodeProcessCountPerApplication: 2\nloadBalancing: leastBusy\n');
    const release = path.join(dir, 'least.release');
    const busy = get('least', `/hold?until=${encodeURIComponent(release)}`);
    // The held request is on a worker (it stays there until the file exists): that worker is the busy one.
    const busyWorker = await eventually(() => leastBusy.workers().find((w) => w.active === 1), 10_000);
    const busyPid = String(busyWorker.pid);
    assert.match(busyPid, /^\d+$/);
    const pids: string[] = [];
    for (let i = 0; i < 4; i++) pids.push(String((await get('least', '/')).headers['x-pid']));
    for (const pid of pids) assert.match(pid, /^\d+$/);
    assert.ok(pids.every((p) => p !== busyPid), `all went to the idle worker: ${pids.join(',')} (busy ${busyPid})`);
    await writeFile(release, '');
    const held = await busy;
    assert.equal(held.status, 200);
    assert.equal(held.headers['x-pid'], busyPid, 'the held request was the one on the busy worker');
    // Round robin, for contrast, alternates regardless of load.
    const roundRobin = await app('rr', 'behaviours', 'nodeProcessCountPerApplication: 2\n');
    const rrRelease = path.join(dir, 'rr.release');
    const slow = get('rr', `/hold?until=${encodeURIComponent(rrRelease)}`);
    await eventually(() => roundRobin.workers().some((w) => w.active === 1), 10_000);
    const rrPids = new Set<string>();
    for (let i = 0; i < 2; i++) rrPids.add(String((await get('rr', '/')).headers['x-pid']));
    for (const pid of rrPids) assert.match(pid, /^\d+$/);
    assert.equal(rrPids.size, 2);
    await writeFile(rrRelease, '');
    assert.equal((await slow).status, 200);
  });

  test("sticky sessions: iisnode's cookie is set once and keeps requests on one worker", async () => {
    await app('sticky', 'behaviours', 'nodeProcessCountPerApplication: 2\nnodeProcessStickySessions: true\n');
    const first = await get('sticky', '/');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /^iisnode\.session\.cookie=[01]$/);
    const pid = first.headers['x-pid'];
    for (let i = 0; i < 4; i++) {
      const res = await get('sticky', '/', { headers: { cookie: `other=1; ${cookie}` } });
      assert.equal(res.headers['x-pid'], pid);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    const slot = Number(cookie.split('=')[1]);
    const other = await get('sticky', '/', { headers: { cookie: `iisnode.session.cookie=${slot + 1}` } });
    assert.notEqual(other.headers['x-pid'], pid);
  });

  test('a stale pooled connection (closed by the worker) is retried once for a safe request, never for a POST', async () => {
    // The proxy lane's own pooled connections are what this is about (on the fast lane the client meets the worker).
    await app('stale', 'stale', 'connectionHandoff: off\n');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await get('stale', '/', { agent })).body, 'GET answered');
      // The pooled connection to the worker is now one the worker will drop on the next request.
      const again = await get('stale', '/', { agent });
      assert.equal(again.status, 200);
      assert.equal(again.body, 'GET answered');
      const post = await get('stale', '/', { method: 'POST', body: 'x', agent });
      assert.equal(post.status, 502, 'a POST is not repeated behind the client’s back');
      assert.match(post.body, /closed the connection without answering/);
    } finally {
      agent.destroy();
    }
  });

  test('"the pipe has been ended" cannot be reproduced: keep-alive racing a short worker keep-alive timeout', async () => {
    const folder = await copyFixture('behaviours', dir, 'keepalive-race');
    // Make the worker close idle connections after 200 ms, then hammer it at intervals around that.
    await writeFile(
      path.join(folder, 'server.js'),
      `const s = require('http').createServer((q, r) => r.end('ok')); s.keepAliveTimeout = 200; s.listen(process.env.PORT);\n`,
    );
    await addRunningApp(t, folder);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let failures = 0;
    try {
      for (let i = 0; i < 60; i++) {
        const batch = await Promise.all([0, 1, 2].map(() => get('keepalive-race', '/', { agent }).catch(() => ({ status: 0 }))));
        failures += batch.filter((r) => r.status !== 200).length;
        // On purpose a timer: the pauses straddle the worker's 200 ms keep-alive timeout to provoke the race.
        await new Promise((r) => setTimeout(r, 150 + (i % 7) * 15));
      }
    } finally {
      agent.destroy();
    }
    assert.equal(failures, 0);
  });

  test('118 enableXFF: X-Forwarded-For appended by iisnode’s rule, X-Forwarded-Proto added unless sent', async () => {
    await app('xff', 'behaviours', 'enableXFF: true\n');
    const seen = async (headers: Record<string, string>) => JSON.parse((await get('xff', '/headers', { headers })).body).headers;
    const none = await seen({});
    assert.equal(none['x-forwarded-for'], '127.0.0.1');
    assert.equal(none['x-forwarded-proto'], 'http');
    assert.equal((await seen({ 'x-forwarded-proto': 'https' }))['x-forwarded-proto'], 'https');
    assert.equal((await seen({ 'x-forwarded-for': '1.1.1.1' }))['x-forwarded-for'], '1.1.1.1, 127.0.0.1');
    assert.equal((await seen({ 'x-forwarded-for': '127.0.0.1' }))['x-forwarded-for'], '127.0.0.1');
    // Off by default.
    await app('no-xff', 'behaviours', '');
    assert.equal(JSON.parse((await get('no-xff', '/headers')).body).headers['x-forwarded-for'], undefined);
  });

  test('119 promoteServerVars: server variables arrive as x-iisnode-<name>; client copies are dropped', async () => {
    await app('servervars', 'behaviours', 'promoteServerVars: REQUEST_METHOD,AUTH_USER,REMOTE_ADDR,SERVER_PORT,URL,HTTPS,SERVER_NAME,REMOTE_PORT\n');
    const res = await get('servervars', '/headers?q=1', {
      headers: { 'x-iisnode-request_method': 'POST', 'x-iisnode-remote_addr': '6.6.6.6', 'x-original-url': '/admin' },
    });
    const headers = JSON.parse(res.body).headers;
    assert.equal(headers['x-iisnode-request_method'], 'GET');
    assert.equal(headers['x-iisnode-auth_user'], '');
    assert.equal(headers['x-iisnode-remote_addr'], '127.0.0.1');
    assert.equal(headers['x-iisnode-server_port'], String(t.port));
    assert.equal(headers['x-iisnode-url'], '/headers');
    assert.equal(headers['x-iisnode-https'], 'off');
    assert.equal(headers['x-iisnode-server_name'], 'servervars.localhost');
    assert.match(headers['x-iisnode-remote_port'], /^\d+$/);
    assert.equal(headers['x-original-url'], undefined);
    // Without promoteServerVars, client-sent x-iisnode-* headers are still dropped: they cannot be spoofed.
    await app('spoof', 'behaviours', '');
    const spoofed = JSON.parse((await get('spoof', '/headers', { headers: { 'x-iisnode-auth_user': 'admin' } })).body).headers;
    assert.equal(spoofed['x-iisnode-auth_user'], undefined);
  });

  test('132 debugHeaderEnabled: the iisnode-debug header carries iisnode’s fields; its page is served by Berth', async () => {
    const debug = await app('debugheader', 'behaviours', 'debugHeaderEnabled: true\nnodeProcessCountPerApplication: 2\n');
    await eventually(() => debug.workers().every((w) => w.metrics !== undefined), 5000);
    const res = await get('debugheader', '/');
    const header = String(res.headers['iisnode-debug']);
    assert.ok(header.startsWith(`http://debugheader.localhost/__berth/iisnode-debug#iisnode_ver=0.2.27&node=node&dns=`), header);
    const fields = Object.fromEntries(new URLSearchParams(header.split('#')[1]));
    assert.equal(fields.worker_pid, String(process.pid));
    assert.equal(fields.node_pid, String(res.headers['x-pid']));
    assert.equal(fields.app_processes, '2');
    assert.equal(fields.process_active_req, '1');
    assert.equal(fields.np_retry, '0');
    assert.ok(Number(fields.node_mem_ws) > 1000, `worker memory in KB: ${fields.node_mem_ws}`);
    assert.ok(Number(fields.worker_mem_ws) > 1000);
    assert.ok(Number(fields.worker_total_req) >= 1);
    assert.match(fields.req_time!, /^\d+$/);
    const page = await get('debugheader', '/__berth/iisnode-debug');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /HTTP response diagnostics/);
    // Off by default (iisnode test 100).
    await app('nodebugheader', 'behaviours', '');
    assert.equal((await get('nodebugheader', '/')).headers['iisnode-debug'], undefined);
  });

  test('112 devErrorsEnabled: details for a failing start when on, a plain 5xx when off', async () => {
    const on = await copyFixture('counter', dir, 'deverrors-on');
    await writeFile(path.join(on, 'berth.yml'), 'nodeProcessCommandLine: idontexist.exe\n');
    await t.engine.addApp(on);
    const onRes = await get('deverrors-on');
    assert.ok(onRes.status >= 500);
    assert.match(onRes.body, /idontexist\.exe/);
    const off = await copyFixture('counter', dir, 'deverrors-off');
    await writeFile(path.join(off, 'berth.yml'), 'nodeProcessCommandLine: idontexist.exe\ndevErrorsEnabled: false\n');
    await t.engine.addApp(off);
    const offRes = await get('deverrors-off');
    assert.ok(offRes.status >= 500);
    assert.doesNotMatch(offRes.body, /idontexist/);
    assert.match(offRes.body, /The app is not available right now/);
  });

  test('a worker dying mid-request: the request ends promptly with a 502 and its stderr; a new worker serves', async () => {
    const crashing = await app('midcrash', 'behaviours', '');
    const before = crashing.workers()[0]!.pid;
    // No clock here: the 502 naming the exit is the engine's answer to the exit (a missed exit would end in a timeout).
    const res = await get('midcrash', '/crash');
    assert.equal(res.status, 502);
    assert.match(res.body, /exited while handling this request/);
    assert.match(res.body, /crashing on purpose while handling a request/);
    assert.match(res.body, /exit code: 3/);
    const exit = await t.waitFor((e) => e.type === 'worker-exit' && e.app === 'midcrash');
    assert.ok(exit.type === 'worker-exit' && exit.code === 3 && exit.restartInMs === 100);
    await eventually(() => crashing.workers()[0]?.state === 'ready' && crashing.workers()[0]?.pid !== before, 5000);
    assert.equal((await get('midcrash', '/')).status, 200);
  });

  test('a crash loop puts the app in `errored` (503 with the stderr) until it is restarted', { timeout: 60_000 }, async () => {
    const folder = await copyFixture('crash-loop', dir);
    const looping = await t.engine.addApp(folder);
    await t.waitFor((e) => e.type === 'app-state' && e.app === 'crash-loop' && e.state === 'errored', 30_000);
    assert.equal(looping.state, 'errored');
    const crashes = t.events.filter((e) => e.type === 'worker-exit' && e.app === 'crash-loop');
    assert.equal(crashes.length, 10);
    const delays = crashes.map((e) => (e.type === 'worker-exit' ? e.restartInMs : -1));
    assert.deepEqual(delays.slice(0, 4), [100, 150, 225, 338]);
    assert.equal(delays[9], undefined, 'no restart after the tenth crash');
    const res = await get('crash-loop');
    assert.equal(res.status, 503);
    assert.match(res.body, /crashed 10 times within a minute/);
    assert.match(res.body, /crash\.flag is present: failing on purpose/);
    await rm(path.join(folder, 'crash.flag'));
    await looping.restart();
    await t.waitFor((e) => e.type === 'app-state' && e.app === 'crash-loop' && e.state === 'running' && looping.state === 'running', 10_000);
    assert.equal((await get('crash-loop')).body, 'recovered');
  });

  test('requestTimeout: a request the app has not answered in time gets a 504', async () => {
    await app('timeout', 'behaviours', 'requestTimeout: 400\n');
    // The app would answer 200 after 3 s: a 504 is the engine giving up first.
    const res = await get('timeout', '/slow?ms=3000');
    assert.equal(res.status, 504);
    assert.match(res.body, /did not start answering within requestTimeout \(0\.4 s\)/);
    assert.equal((await get('timeout', '/slow?ms=10')).status, 200);
  });

  test('unresponsiveTimeout: a worker whose event loop is blocked is replaced; requests go to the new one', async () => {
    const hung = await app('hung', 'behaviours', 'unresponsiveTimeout: 1500\ngracefulShutdownTimeout: 1000\n');
    const oldPid = hung.workers()[0]!.pid;
    const blocked = get('hung', '/block?ms=6000').catch(() => undefined);
    const event = await t.waitFor((e) => e.type === 'worker-unresponsive' && e.app === 'hung', 10_000);
    assert.ok(event.type === 'worker-unresponsive' && event.pid === oldPid && event.silentMs > 1500);
    await eventually(() => hung.workers()[0]?.state === 'ready' && hung.workers()[0]?.pid !== oldPid, 10_000);
    const res = await get('hung', '/');
    assert.equal(res.status, 200);
    assert.notEqual(res.headers['x-pid'], String(oldPid));
    await blocked;
  });

  test('flushResponse: server-sent events reach the client chunk by chunk, without buffering', async () => {
    await app('sse', 'behaviours', '');
    // The app sends its second event only once the test has seen the first: a proxy that buffered would never get there.
    const release = path.join(dir, 'sse.release');
    const chunks = await new Promise<string[]>((resolve, reject) => {
      const received: string[] = [];
      const req = http.get(
        { host: '127.0.0.1', port: t.port, path: `/sse?until=${encodeURIComponent(release)}`, headers: { host: 'sse.localhost' } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            received.push(chunk);
            if (received.length === 1) writeFile(release, '').catch(reject);
          });
          res.on('end', () => resolve(received));
        },
      );
      req.on('error', reject);
    });
    assert.equal(chunks[0], 'data: event 1\n\n', 'the first event arrived on its own, before the app sent the second');
    assert.equal(chunks.join(''), [1, 2, 3, 4, 5].map((n) => `data: event ${n}\n\n`).join(''));
  });
});
