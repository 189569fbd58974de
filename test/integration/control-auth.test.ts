/**
 * Who may use the control API: a connection needs the token (header or subprotocol), a browser needs Berth's own
 * Origin, and the Host must be loopback. Every refusal says why; the token and discovery files are the user's alone.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ControlError } from '../../core/control/client.js';
import { readDiscovery } from '../../core/control/discovery.js';
import { PROTOCOL_NAME } from '../../core/control/protocol.js';
import { homeFile } from '../../core/home.js';
import { startTestService, type TestService } from '../helpers/control.js';

let t: TestService;
before(
  async () =>
    (t = await startTestService({
      allowedOrigins: ['http://localhost:5173'],
      // A stand-in for the web dashboard: answers one path on the endpoint's own port.
      serveHttp: (req, res) => {
        if (req.url !== '/page') return false;
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('a page');
        return true;
      },
    })),
);
after(() => t.stop());

async function refusal(options: Parameters<TestService['connect']>[0]): Promise<ControlError> {
  try {
    await t.connect(options);
  } catch (error) {
    assert.ok(error instanceof ControlError, String(error));
    return error;
  }
  assert.fail('the connection was accepted');
}

/** A raw handshake, for what the client cannot send (another Host, another path). */
function handshake(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(t.url.replace('ws:', 'http:').replace('/control', path), {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control API: who may connect', () => {
  test('no token: refused (401) with where to find it', async () => {
    const error = await refusal({ token: '', auth: 'header' });
    assert.equal(error.code, 'UNAUTHORIZED');
    const raw = await handshake('/control', {});
    assert.equal(raw.status, 401);
    assert.match(JSON.parse(raw.body).message, new RegExp(`A token is required: send the content of the file "token" in ${t.home.replace(/[\\/]/g, '.')}`));
  });

  test('a wrong token: refused (401), by header and by subprotocol', async () => {
    for (const auth of ['header', 'protocol'] as const) {
      const error = await refusal({ token: `${t.token.slice(0, -1)}x`, auth });
      assert.equal(error.code, 'UNAUTHORIZED');
      assert.match(error.message, /The token is wrong\. It changes each time the engine starts/);
    }
  });

  test('a foreign Origin: refused (403) even with the right token; Berth\'s own and configured origins pass', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:1', 'null', `http://shop.localhost:${t.service.engine.port}`]) {
      const error = await refusal({ origin, auth: 'protocol' });
      assert.equal(error.code, 'FORBIDDEN_ORIGIN', origin);
      assert.match(error.message, /only Berth's own pages may use its control API/);
    }
    const port = new URL(t.url).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'http://localhost:5173']) {
      const client = await t.connect({ origin, auth: 'protocol' });
      assert.equal(client.hello.kind, 'hello');
      await client.close();
    }
  });

  test('a Host that is not loopback (DNS rebinding) is refused (403); a wrong path is 404; plain HTTP gets 426', async () => {
    const auth = { Authorization: `Bearer ${t.token}` };
    const rebound = await handshake('/control', { ...auth, Host: `attacker.example:${new URL(t.url).port}` });
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).code, 'FORBIDDEN_HOST');
    const wrongPath = await handshake('/other', auth);
    assert.equal(wrongPath.status, 404);
    assert.match(JSON.parse(wrongPath.body).message, /is at \/control/);
    const ok = await handshake('/control', auth);
    assert.equal(ok.status, 101);
    const get = (url: string) =>
      new Promise<{ status: number; body: string }>((resolve) =>
        http.get(url, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }),
      );
    const plain = await get(t.url.replace('ws:', 'http:'));
    assert.equal(plain.status, 426);
    assert.match(JSON.parse(plain.body).message, /This is Berth's control API: connect with a WebSocket to \/control/);
    // Pages served on the endpoint's port (the web dashboard) have its origin, which the API accepts.
    const page = await get(t.url.replace('ws:', 'http:').replace('/control', '/page'));
    assert.deepEqual(page, { status: 200, body: 'a page' });
  });

  test('a browser-style connection (token as subprotocol) gets berth.v1 selected, and the token is not echoed', async () => {
    const ws = new WebSocket(t.url, [PROTOCOL_NAME, `berth.token.${t.token}`], { origin: `http://127.0.0.1:${new URL(t.url).port}` });
    const selected = await new Promise<string | undefined>((resolve, reject) => {
      ws.on('upgrade', (res) => resolve(res.headers['sec-websocket-protocol']));
      ws.on('error', reject);
    });
    assert.equal(selected, PROTOCOL_NAME);
    ws.close();
  });

  test('the token and discovery files are readable by this user only; the discovery file names the endpoint', async () => {
    if (process.platform !== 'win32') {
      assert.equal((await stat(homeFile(t.home, 'token'))).mode & 0o777, 0o600);
      assert.equal((await stat(homeFile(t.home, 'discovery'))).mode & 0o777, 0o600);
      assert.equal((await stat(t.home)).mode & 0o077, 0);
    }
    assert.match(t.token, /^[A-Za-z0-9_-]{43}$/);
    const discovery = await readDiscovery(t.home);
    assert.equal(discovery?.url, t.url);
    assert.equal(discovery?.pid, process.pid);
    assert.equal(discovery?.frontUrl, `http://127.0.0.1:${t.service.engine.port}/`);
  });
});
