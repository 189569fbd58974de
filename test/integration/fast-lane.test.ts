/**
 * The fast lane (issue 19): after a connection's first request is routed, the connection itself is handed to a
 * worker. Keep-alive and pipelined requests, WebSockets, the lane choice per app, recycles under load and crashes,
 * with real workers and sockets.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { App } from '../../core/app/app.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

/** A client connection that sends raw bytes and reads whole responses (Content-Length or chunked) in order. */
class RawClient {
  readonly socket: net.Socket;
  private received = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;
  readonly whenClosed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    this.socket.on('error', () => undefined);
    this.whenClosed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next complete response: status, headers (lower-case names), body. */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.closed) throw new Error(`the connection closed; unparsed: ${JSON.stringify(this.received.toString('latin1'))}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private take(): { status: number; headers: Record<string, string>; body: string } | undefined {
    const end = this.received.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = this.received.toString('latin1', 0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(lines[0]!.split(' ')[1]);
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.received.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const size = parseInt(this.received.toString('latin1', at, lineEnd), 16);
        if (this.received.length < lineEnd + 2 + size + 2) return undefined;
        if (size === 0) {
          this.received = this.received.subarray(lineEnd + 4);
          return { status, headers, body: Buffer.concat(parts).toString('utf8') };
        }
        parts.push(this.received.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    const length = status === 101 ? 0 : Number(headers['content-length'] ?? 0);
    if (this.received.length < end + 4 + length) return undefined;
    const body = this.received.toString('utf8', end + 4, end + 4 + length);
    this.received = this.received.subarray(end + 4 + length);
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

const get = (host: string, urlPath = '/') => `GET ${urlPath} HTTP/1.1\r\nHost: ${host}.localhost\r\n\r\n`;

describe('the fast lane: connections handed to workers', () => {
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

  async function app(fixture: string, name: string, config: string): Promise<App> {
    const folder = await copyFixture(fixture, dir, name);
    await writeFile(path.join(folder, 'berth.yml'), config);
    return addRunningApp(t, folder);
  }
  const handed = (a: App) => a.workers().reduce((sum, w) => sum + w.handed, 0);

  test('keep-alive requests on a handed connection are served by one worker; the engine counts the connection until it closes', async () => {
    const a = await app('behaviours', 'keepalive', 'nodeProcessCountPerApplication: 2\n');
    const client = new RawClient(t.port);
    try {
      client.send(get('keepalive'));
      const first = await client.response();
      assert.equal(first.status, 200);
      assert.equal(handed(a), 1, 'the connection was handed to a worker');
      const owner = a.workers().find((w) => w.handed === 1)!;
      assert.equal(first.headers['x-pid'], String(owner.pid));
      for (let i = 0; i < 5; i++) {
        client.send(get('keepalive', `/slow?ms=${i}`));
        const res = await client.response();
        assert.equal(res.body, `slow ${owner.pid}`, 'every request on the connection stays on its worker');
      }
      // No request went through the proxy (it records a status per request); the worker reports them instead.
      assert.equal(owner.stats.snapshot().status2xx, 0);
      await eventually(() => owner.totalRequests === 6, 10_000);
    } finally {
      client.close();
    }
    await eventually(() => handed(a) === 0, 10_000);
  });

  test('pipelined requests are answered in order, including bytes that arrived with the first head', async () => {
    await app('behaviours', 'pipelined', 'nodeProcessCountPerApplication: 1\n');
    const client = new RawClient(t.port);
    try {
      // The first write carries three whole requests and half of a fourth: all must reach the worker.
      const fourth = get('pipelined', '/slow?ms=1&n=4');
      client.send(get('pipelined', '/slow?ms=30&n=1') + get('pipelined', '/headers?n=2') + get('pipelined', '/slow?ms=0&n=3') + fourth.slice(0, 10));
      const one = await client.response();
      client.send(fourth.slice(10));
      const two = await client.response();
      const three = await client.response();
      const four = await client.response();
      assert.match(one.body, /^slow \d+$/);
      assert.equal(JSON.parse(two.body).url, '/headers?n=2');
      assert.match(three.body, /^slow \d+$/);
      assert.match(four.body, /^slow \d+$/);
    } finally {
      client.close();
    }
  });

  test('a WebSocket upgrade as the first request of a handed connection, and one after a plain request', async () => {
    const a = await app('websocket', 'ws-fast', 'nodeProcessCountPerApplication: 1\n');
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: 'ws-fast.localhost' } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const echoed = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello over the fast lane');
    assert.equal(await echoed, 'hello over the fast lane');
    assert.equal(handed(a), 1);
    socket.close();
    await eventually(() => handed(a) === 0, 10_000);

    // A plain request first, then the upgrade on the same (already handed) connection.
    const client = new RawClient(t.port);
    try {
      client.send(get('ws-fast'));
      assert.equal((await client.response()).body, 'websocket fixture');
      client.send(
        'GET /echo HTTP/1.1\r\nHost: ws-fast.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      const upgraded = await client.response();
      assert.equal(upgraded.status, 101);
      assert.equal(upgraded.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    } finally {
      client.close();
    }
  });

  test('the lane follows the settings: enableXFF keeps the proxy lane (the worker sees X-Forwarded-For), connectionHandoff: off too', async () => {
    const fast = await app('behaviours', 'lane-fast', 'nodeProcessCountPerApplication: 1\n');
    const xff = await app('behaviours', 'lane-xff', 'nodeProcessCountPerApplication: 1\nenableXFF: true\n');
    const off = await app('behaviours', 'lane-off', 'nodeProcessCountPerApplication: 1\nconnectionHandoff: off\n');
    for (const [a, proxied] of [
      [fast, false],
      [xff, true],
      [off, true],
    ] as const) {
      const client = new RawClient(t.port);
      try {
        client.send(get(a.name, '/headers'));
        const { headers } = JSON.parse((await client.response()).body) as { headers: Record<string, string> };
        assert.equal(handed(a), proxied ? 0 : 1, `${a.name}: ${proxied ? 'proxy' : 'fast'} lane`);
        assert.equal(a.workers()[0]!.stats.snapshot().status2xx, proxied ? 1 : 0);
        if (a === xff) assert.equal(headers['x-forwarded-for'], '127.0.0.1');
        else assert.equal(headers['x-forwarded-for'], undefined);
      } finally {
        client.close();
      }
      await eventually(() => handed(a) === 0, 10_000);
    }
  });

  test('recycles under keep-alive load lose nothing; old connections move to the new generation at a response boundary', { timeout: 120_000 }, async () => {
    const a = await app('versioned', 'fast-recycle', 'nodeProcessCountPerApplication: 2\n');
    const folder = a.folder;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const failures: string[] = [];
    const versions: number[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        try {
          const res = await request(t.port, { host: 'fast-recycle.localhost', agent });
          if (res.status !== 200) failures.push(`status ${res.status}: ${res.body.slice(0, 200)}`);
          else versions.push(Number(res.body.slice(1)));
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    try {
      await eventually(() => handed(a) > 0, 10_000);
      for (let v = 2; v <= 6; v++) {
        const seen = versions.length;
        await writeFile(path.join(folder, 'version.txt'), `v${v}\n`);
        const drained = t.waitFor((e) => e.type === 'generation-drained' && e.app === a.name && e.generation === v - 1, 30_000);
        await a.recycle(`version.txt changed to v${v}`);
        await drained; // every handed connection of the old workers closed
        await eventually(() => versions.length > seen + 20 && versions.at(-1) === v, 20_000);
      }
    } finally {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    }
    assert.deepEqual(failures, []);
    assert.ok(versions.includes(6));
    assert.ok(t.events.some((e) => e.type === 'worker-exit' && e.app === a.name && e.expected && !e.connectionsLost));
  });

  test('a recycle closes an idle handed connection but leaves a handed WebSocket open until it ends', async () => {
    const a = await app('websocket', 'ws-drain-fast', 'nodeProcessCountPerApplication: 1\ngracefulShutdownTimeout: 20000\n');
    const oldWorker = a.workers()[0]!;
    const idle = new RawClient(t.port);
    idle.send(get('ws-drain-fast'));
    await idle.response();
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/echo`, { headers: { host: 'ws-drain-fast.localhost' } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    assert.equal(oldWorker.handed, 2);
    const succeeded = t.waitFor((e) => e.type === 'recycle-succeeded' && e.app === a.name);
    await a.recycle('test');
    await succeeded;
    // The drain closes the idle connection after its grace; the WebSocket's check ran at the same moment.
    await idle.whenClosed;
    const echoed = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('still here');
    assert.equal(await echoed, 'still here');
    assert.equal(oldWorker.state, 'stopping', 'the old worker waits for its WebSocket');
    socket.close();
    await eventually(() => oldWorker.state === 'exited', 15_000);
    assert.equal(oldWorker.exitInfo?.expected, true);
  });

  test('a worker crashing mid-connection closes its client connections cleanly and reports how many it held', async () => {
    const a = await app('behaviours', 'fast-crash', 'nodeProcessCountPerApplication: 1\n');
    const idle = new RawClient(t.port);
    const busy = new RawClient(t.port);
    try {
      idle.send(get('fast-crash'));
      await idle.response();
      busy.send(get('fast-crash'));
      const pid = (await busy.response()).headers['x-pid'];
      assert.equal(handed(a), 2);
      const exit = t.waitFor((e) => e.type === 'worker-exit' && e.app === a.name && e.pid === Number(pid));
      busy.send(get('fast-crash', '/crash'));
      await Promise.all([idle.whenClosed, busy.whenClosed]); // closed, not left hanging
      const event = await exit;
      assert.equal(event.type === 'worker-exit' && event.connectionsLost, 2);
      assert.equal(event.type === 'worker-exit' && event.expected, false);
    } finally {
      idle.close();
      busy.close();
    }
    // A new connection is served by the replacement.
    await t.waitFor((e) => e.type === 'worker-ready' && e.app === a.name && e.pid !== undefined && t.events.filter((x) => x.type === 'worker-ready' && x.app === a.name).length >= 2);
    const res = await request(t.port, { host: 'fast-crash.localhost' });
    assert.equal(res.status, 200);
  });
});
