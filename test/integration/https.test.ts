/**
 * The HTTPS front (issue 18): real TLS on a real port, certificates from a fresh per-user CA, HTTP/2 with node's
 * http2 client, HTTP/1.1 by ALPN fallback, SNI per app, a WebSocket over TLS, what the worker is told, and a stream
 * reset that ends the worker's request.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { caPaths } from '../../core/tls/local-ca.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let answer: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (answer = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(answer[':status']), headers: answer, body: Buffer.concat(chunks).toString() }));
    stream.on('error', reject);
    if (body !== undefined) {
      // Two writes and no content-length: a body of unannounced length.
      stream.write(body.slice(0, 3));
      stream.end(body.slice(3));
    }
  });
}

describe('HTTPS front', () => {
  let t: TestEngine;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let apps: Awaited<ReturnType<typeof tempDir>>;
  let ca: string;
  let port: number;

  function connectH2(host: string): Promise<http2.ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: host });
      session.once('connect', () => resolve(session));
      session.once('error', reject);
    });
  }

  before(async () => {
    home = await tempDir('berth-https-home-');
    apps = await tempDir('berth-https-apps-');
    t = await startEngine({}, { https: { port: 0, home: home.dir } });
    port = t.engine.https!.info!.port;
    ca = await readFile(caPaths(home.dir).cert, 'utf8');
    const alpha = await copyFixture('https-probe', apps.dir, 'alpha');
    await writeFile(path.join(alpha, 'berth.yml'), 'entry: server.js\npromoteServerVars: HTTPS,SERVER_PORT_SECURE\n');
    const beta = await copyFixture('https-probe', apps.dir, 'beta');
    await writeFile(path.join(beta, 'berth.yml'), 'entry: server.js\n');
    await addRunningApp(t, alpha);
    await addRunningApp(t, beta);
  });
  after(async () => {
    await t.stop();
    await home.cleanup();
    await apps.cleanup();
  });

  test('the CA is made at first use in the Berth home; its key is readable by its owner only', async (c) => {
    const cert = new X509Certificate(ca);
    assert.equal(cert.ca, true);
    assert.equal(t.engine.https!.info!.caPath, caPaths(home.dir).cert);
    // Windows has no POSIX modes: there the key file inherits the ACL of the user's profile folder.
    if (process.platform === 'win32') c.skip('no POSIX file modes on Windows');
    else assert.equal((await stat(caPaths(home.dir).key)).mode & 0o777, 0o600);
  });

  test('node’s http2 client trusting the CA reaches an app over h2', async () => {
    const session = await connectH2('alpha.localhost');
    try {
      assert.equal(session.alpnProtocol, 'h2');
      const answer = await h2Request(session, { ':path': '/', ':authority': `alpha.localhost:${port}` });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'hello from https-probe');
      // A second stream on the same session (the worker connection went back to the pool).
      const again = await h2Request(session, { ':path': '/', ':authority': `alpha.localhost:${port}` });
      assert.equal(again.body, 'hello from https-probe');
    } finally {
      session.close();
    }
  });

  test('h2: a body without a length reaches the worker chunked; a chunked response arrives as plain data', async () => {
    const session = await connectH2('alpha.localhost');
    try {
      const answer = await h2Request(session, { ':method': 'POST', ':path': '/upload', ':authority': 'alpha.localhost' }, 'payload');
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'got payload');
      assert.equal(answer.headers['x-request-framing'], 'chunked');
    } finally {
      session.close();
    }
  });

  test('X-Forwarded-Proto: https and the HTTPS server variable reach the worker (h2 and HTTP/1.1)', async () => {
    const session = await connectH2('alpha.localhost');
    try {
      const answer = await h2Request(session, { ':path': '/headers', ':authority': 'alpha.localhost', 'x-forwarded-proto': 'http' });
      const seen = JSON.parse(answer.body) as Record<string, string>;
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen['x-iisnode-https'], 'on');
      assert.equal(seen['x-iisnode-server_port_secure'], '1');
      assert.equal(seen.host, 'alpha.localhost');
      assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    } finally {
      session.close();
    }
    const h1 = await h1Get('alpha.localhost', '/headers');
    assert.equal((JSON.parse(h1.body) as Record<string, string>)['x-forwarded-proto'], 'https');
  });

  function h1Get(host: string, urlPath: string): Promise<{ status: number; body: string; alpn: string | false | null; cert: tls.PeerCertificate }> {
    return new Promise((resolve, reject) => {
            // ALPN with http/1.1 only: what an HTTP/1.1-only client offers (tls.connect takes it from the agent-less options).
      const options = { host: '127.0.0.1', port, path: urlPath, servername: host, headers: { host }, ca, ALPNProtocols: ['http/1.1'], agent: false };
      const req = https.get(options as https.RequestOptions, (res) => {
        const socket = res.socket as tls.TLSSocket;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), alpn: socket.alpnProtocol, cert: socket.getPeerCertificate() }));
      });
      req.on('error', reject);
    });
  }

  test('workers trust the CA (NODE_EXTRA_CA_CERTS): one local app calls another over HTTPS', async () => {
    const answer = await h1Get('beta.localhost', `/call-alpha/${port}`);
    assert.equal(answer.body, 'alpha said: hello from https-probe');
  });

  test('HTTP/1.1 over TLS when the client offers no h2 (ALPN fallback)', async () => {
    const answer = await h1Get('beta.localhost', '/');
    assert.equal(answer.alpn, 'http/1.1');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'hello from https-probe');
  });

  test('the unknown-host page reached over HTTPS links the apps over HTTPS (h2 and HTTP/1.1)', async () => {
    const h1 = await h1Get('nothing.localhost', '/');
    assert.equal(h1.status, 404);
    assert.ok(h1.body.includes(`<a href="https://alpha.localhost:${port}/">`), h1.body);
    const session = await connectH2('nothing.localhost');
    try {
      const answer = await h2Request(session, { ':path': '/', ':authority': 'nothing.localhost' });
      assert.equal(answer.status, 404);
      assert.ok(answer.body.includes(`<a href="https://beta.localhost:${port}/">`), answer.body);
    } finally {
      session.close();
    }
    const plain = await request(t.port, { host: 'nothing.localhost' });
    assert.ok(plain.body.includes(`<a href="http://alpha.localhost:${t.port}/">`), plain.body);
  });

  test('SNI: each app gets its own certificate, issued by the CA', async () => {
    const alpha = await h1Get('alpha.localhost', '/');
    const beta = await h1Get('beta.localhost', '/');
    assert.equal(alpha.cert.subjectaltname, 'DNS:alpha.localhost');
    assert.equal(beta.cert.subjectaltname, 'DNS:beta.localhost');
    assert.notEqual(alpha.cert.fingerprint256, beta.cert.fingerprint256);
    const issuer = new X509Certificate(ca);
    assert.ok(new X509Certificate(alpha.cert.raw).checkIssued(issuer));
  });

  test('a WebSocket over HTTPS (HTTP/1.1 upgrade) echoes', async () => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}/`, { ca, servername: 'beta.localhost', headers: { host: 'beta.localhost' } } as ConstructorParameters<typeof WebSocket>[2]);
    const reply = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('ping'));
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    socket.close();
    assert.equal(reply, 'echo ping');
  });

  test('an h2 stream reset by the client ends the worker’s request', async () => {
    const session = await connectH2('beta.localhost');
    const worker = t.engine.getApp('beta')!.workers()[0]!;
    try {
      const stream = session.request({ ':path': '/hang', ':authority': 'beta.localhost' });
      stream.on('error', () => undefined);
      const seen = async (what: string) => {
        const answer = await h2Request(session, { ':path': '/__ended', ':authority': 'beta.localhost' });
        const list = JSON.parse(answer.body) as string[];
        return list.includes(what) ? list : undefined;
      };
      await eventually(() => seen('started'));
      assert.equal(worker.active, 1);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      // The worker's request ends (its connection is destroyed, not pooled), and Berth's count with it.
      const ended = (await eventually(() => seen('close')))!;
      assert.ok(ended.includes('aborted'), `the worker saw: ${ended.join(', ')}`);
      await eventually(() => worker.active === 0);
    } finally {
      session.close();
    }
  });

  test('an optional HTTPS port (serve’s default) that is taken leaves plain HTTP running and says why', async () => {
    const other = await startEngine({}, { https: { port, home: home.dir, optional: true } });
    try {
      assert.equal(other.engine.https?.info, undefined);
      assert.match(other.engine.https?.problem ?? '', new RegExp(`^HTTPS is off for this run: Port ${port} on 127\\.0\\.0\\.1 is already in use.*--https-port`));
    } finally {
      await other.stop();
    }
  });
});
