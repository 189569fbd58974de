/** iisnode's WebSocket tests 130 and 131, through Berth's tunnel, with the `ws` package on both ends. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { rawRequest } from '../helpers/http.js';
import { FIXTURES } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

function open(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${urlPath}`, { headers: { host: 'websocket.localhost', ...headers } });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('WebSockets', () => {
  let t: TestEngine;
  before(async () => {
    t = await startEngine();
    // Used in place: the fixture needs the project's `ws` package next to it.
    await addRunningApp(t, path.join(FIXTURES, 'websocket'));
  });
  after(() => t.stop());

  test('130 one two three: three server messages 300 ms apart, then a clean close', async () => {
    const socket = await open(t.port, '/onetwothree');
    const messages: string[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data) => messages.push(data.toString()));
    const code = await closed;
    assert.deepEqual(messages, ['one', 'two', 'three']);
    assert.equal(code, 1000);
  });

  test('131 echo: messages sent one at a time, then in a burst, come back in order', async () => {
    const socket = await open(t.port, '/echo');
    const received: string[] = [];
    let next: ((text: string) => void) | undefined;
    socket.on('message', (data) => {
      received.push(data.toString());
      next?.(data.toString());
    });
    for (let i = 1; i <= 5; i++) {
      const echoed = new Promise<string>((resolve) => (next = resolve));
      socket.send(`message ${i}`);
      assert.equal(await echoed, `message ${i}`);
    }
    // And a burst, all sent before any came back: the tunnel keeps their order.
    const burstBack = new Promise<void>((resolve) => (next = () => received.length === 10 && resolve()));
    for (let i = 6; i <= 10; i++) socket.send(`message ${i}`);
    await burstBack;
    socket.close();
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `message ${i}`));
  });

  test('an open WebSocket counts as an active request on its worker until it closes', async () => {
    const app = t.engine.getApp('websocket')!;
    const worker = app.workers()[0]!;
    await eventually(() => worker.active + worker.handed === 0, 5000); // sockets of earlier tests finish closing
    const socket = await open(t.port, '/echo');
    // On the fast lane the connection itself is what the worker holds (handed); on the proxy lane, the request.
    assert.equal(worker.active + worker.handed, 1);
    const closed = new Promise((r) => socket.on('close', r));
    socket.close();
    await closed;
    await eventually(() => worker.active + worker.handed === 0, 5000);
  });

  test('`Connection: keep-alive, Upgrade` (Firefox) is upgraded too', async () => {
    const raw = await rawRequest(
      t.port,
      'GET /echo HTTP/1.1\r\nHost: websocket.localhost\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      '\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(raw, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  });
});
