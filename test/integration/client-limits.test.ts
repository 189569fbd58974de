/**
 * The front server's limits on clients (issue 16, item 1): a request head that trickles in (slowloris) is cut off
 * after headersTimeout, counted from its first byte; a request body that stops arriving is ended after
 * bodyIdleTimeout and the worker's half-sent request aborted; connections over maxConnections get a 503 page.
 * Small limits are set for the test. Also: a client that half-closes after its request still gets the response.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const HOST = 'recorder.localhost';

/**
 * A raw connection that collects what it receives; `closed` resolves when the server closed it (and fails after 40 s,
 * so that a missing limit fails the test instead of hanging it).
 */
function connect(port: number): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (isClosed = true));
  return {
    socket,
    received: () => text,
    get closed() {
      return eventually(() => isClosed, 40_000).then(() => undefined);
    },
  };
}

interface Recorded {
  seen: string[];
  aborted: string[];
}

describe('client limits', () => {
  let t: TestEngine;
  let cleanup: () => Promise<void>;
  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    t = await startEngine({}, { clientLimits: { headersTimeoutMs: 1000, bodyIdleTimeoutMs: 1000, maxConnections: 3 } });
    const folder = await copyFixture('recorder', dir, 'recorder');
    // The proxy lane: on the fast lane the worker's own server holds the connection (and node's own limits apply).
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 1\nconnectionHandoff: off\n');
    await addRunningApp(t, folder);
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  const recorded = async (): Promise<Recorded> => JSON.parse((await request(t.port, { host: HOST, path: '/__seen' })).body) as Recorded;

  test('slowloris: a head sent one byte every 100 ms is cut off with a 408 while another client is served', async () => {
    const slow = connect(t.port);
    const head = `GET /slowloris HTTP/1.1\r\nHost: ${HOST}\r\nX-Padding: ${'a'.repeat(400)}\r\n\r\n`;
    let sent = 0;
    // The pace of the attack, not a wait: at most 400 bytes (40 s); without headersTimeout each byte kept it alive.
    const drip = setInterval(() => {
      if (slow.socket.destroyed || sent >= head.length - 4) clearInterval(drip);
      else slow.socket.write(head[sent++]!);
    }, 100);
    try {
      // Another client is served normally while the slow one trickles.
      await eventually(() => sent > 2);
      const other = await request(t.port, { host: HOST, path: '/meanwhile' });
      assert.equal(other.status, 200);
      await slow.closed;
      assert.match(slow.received(), /^HTTP\/1\.1 408 /);
      assert.match(slow.received(), /headersTimeout \(1 s\)/);
      assert.ok(sent < head.length - 4, 'cut off before the head was complete');
    } finally {
      clearInterval(drip);
      slow.socket.destroy();
    }
    assert.ok(!(await recorded()).seen.includes('/slowloris'));
  });

  test('a stalled upload is ended after bodyIdleTimeout: 408 to the client, the worker sees its request aborted', async () => {
    const upload = connect(t.port);
    upload.socket.write(`POST /stalled HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(10)}`);
    try {
      await eventually(async () => (await recorded()).seen.includes('/stalled'));
      await upload.closed;
      assert.match(upload.received(), /^HTTP\/1\.1 408 /);
      assert.match(upload.received(), /bodyIdleTimeout \(1 s\)/);
      await eventually(async () => (await recorded()).aborted.includes('/stalled'));
    } finally {
      upload.socket.destroy();
    }
  });

  test('a client that half-closes after its request still gets the response', async () => {
    const client = connect(t.port);
    client.socket.end(`POST /half-closed HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello`);
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 200 [^]*\r\nrecorded\r\n0\r\n\r\n$/);
  });

  test('over maxConnections: a 503 page, and the connection closes; a connection is served again once one closes', async () => {
    // Three connections, each proven open by a keep-alive request answered on it.
    const open = [connect(t.port), connect(t.port), connect(t.port)];
    for (const [i, c] of open.entries()) {
      c.socket.write(`GET /open-${i} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      await eventually(() => c.received().includes('recorded'));
    }
    try {
      const fourth = connect(t.port);
      fourth.socket.write(`GET /fourth HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      await fourth.closed;
      assert.match(fourth.received(), /^HTTP\/1\.1 503 /);
      assert.match(fourth.received(), /Retry-After: 5/);
      assert.match(fourth.received(), /3 client connections/);
    } finally {
      for (const c of open) c.socket.destroy();
    }
    await Promise.all(open.map((c) => c.closed));
    // The engine learns of the closes a moment after the client: until then a new connection may still be refused.
    await eventually(async () => (await request(t.port, { host: HOST, path: '/after' })).status === 200);
    assert.ok(!(await recorded()).seen.includes('/fourth'));
  });
});
