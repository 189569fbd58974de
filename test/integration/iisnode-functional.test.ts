/**
 * iisnode's functional tests (test/functional in iisnode), reproduced against a real engine, real worker processes
 * and real sockets. Each app is reached by its own host name, as `<name>.localhost`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { rawRequest, request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe('iisnode functional tests', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  const get = (host: string, urlPath = '/', extra: Parameters<typeof request>[1] = {}) =>
    request(t.port, { host: `${host}.localhost`, path: urlPath, ...extra });

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    t = await startEngine();
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  test('100 helloworld: 200 "Hello, world!" without an iisnode-debug header', async () => {
    await addRunningApp(t, await copyFixture('helloworld', dir));
    const res = await get('helloworld');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'Hello, world!');
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.headers['iisnode-debug'], undefined);
  });

  test('101 helloworld sequence: five requests reach the same process, which keeps its state', async () => {
    await addRunningApp(t, await copyFixture('counter', dir, 'sequence'));
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) bodies.push((await get('sequence')).body);
    assert.deepEqual(bodies, ['Hello, world 1', 'Hello, world 2', 'Hello, world 3', 'Hello, world 4', 'Hello, world 5']);
  });

  test('104 echo: a POST body comes back unchanged', async () => {
    await addRunningApp(t, await copyFixture('echo', dir));
    const res = await get('echo', '/', { method: 'POST', body: 'A simple body' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'A simple body');
  });

  test("107 filesystem: the worker's working directory is the entry's folder", async () => {
    await addRunningApp(t, await copyFixture('filesystem', dir));
    const res = await get('filesystem');
    assert.equal(res.body, 'Contents of a file');
  });

  test('113 encoding: Content-Length, single-chunk and ten-chunk responses arrive whole, the chunks as they come', async () => {
    await addRunningApp(t, await copyFixture('encoding', dir));
    assert.equal((await get('encoding', '/content-length')).body, 'content-length response');
    assert.equal((await get('encoding', '/chunked')).body, 'chunked response');
    const started = Date.now();
    const res = await get('encoding', '/ten-chunks');
    assert.equal(res.body, '0123456789');
    assert.ok(Date.now() - started >= 1800, 'ten chunks 200 ms apart take about 2 s');
  });

  test('114 round robin: two fresh processes each count their own requests → 1,1,2,2', async () => {
    const folder = await copyFixture('counter', dir, 'roundrobin');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    const app = await addRunningApp(t, folder);
    assert.equal(app.workers().length, 2);
    const bodies: string[] = [];
    const pids = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await get('roundrobin');
      bodies.push(res.body);
      pids.add(String(res.headers['x-pid']));
    }
    assert.deepEqual(bodies, ['Hello, world 1', 'Hello, world 1', 'Hello, world 2', 'Hello, world 2']);
    assert.equal(pids.size, 2);
    // iisnode's order: the cursor moves first, so the first request goes to the second process.
    assert.equal(String((await get('roundrobin')).headers['x-pid']), String(app.workers()[1]!.pid));
  });

  test('115 custom headers: request header values, empty ones included, reach the app', async () => {
    await addRunningApp(t, await copyFixture('customheaders', dir));
    const withValue = await get('customheaders', '/', { method: 'POST', headers: { 'x-foo': 'foobar', 'x-baz': 'harmless' } });
    assert.equal(withValue.headers['x-bar'], 'foobar');
    assert.equal(withValue.headers['x-got-foo'], 'true');
    const empty = await get('customheaders', '/', { method: 'POST', headers: { 'x-foo': '' } });
    assert.equal(empty.headers['x-bar'], '');
    assert.equal(empty.headers['x-got-foo'], 'true');
    const absent = await get('customheaders', '/', { method: 'POST' });
    assert.equal(absent.headers['x-got-foo'], undefined);
  });

  test('122 multiple response headers: both Foo lines reach a raw-socket client', async () => {
    await addRunningApp(t, await copyFixture('multiheaders', dir));
    const raw = await rawRequest(t.port, 'GET / HTTP/1.1\r\nHost: multiheaders.localhost\r\nConnection: close\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\r\nFoo: Val1\r\n/);
    assert.match(raw, /\r\nFoo: Val2\r\n/);
    assert.match(raw, /\r\n\r\nb\r\ntwo headers\r\n0\r\n\r\n$/);
  });

  test('123 upload: chunked and plain bodies, empty ones, and a raw two-chunk upload', async () => {
    await addRunningApp(t, await copyFixture('echo', dir, 'upload'));
    const chunked = { 'transfer-encoding': 'chunked' };
    assert.equal((await get('upload', '/upload', { method: 'POST', headers: chunked, body: 'abc' })).body, 'true-abc');
    assert.equal((await get('upload', '/upload', { method: 'POST', body: 'def' })).body, 'false-def');
    assert.equal((await get('upload', '/upload', { method: 'POST', headers: chunked, body: '' })).body, 'true-');
    assert.equal((await get('upload', '/upload', { method: 'POST', body: '' })).body, 'false-');
    const raw = await rawRequest(
      t.port,
      'POST /upload HTTP/1.1\r\nHost: upload.localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: yes\r\n\r\n',
    );
    assert.match(raw, /\r\nc\r\ntrue-abcdefg\r\n0\r\n\r\n$/);
  });

  test('124 config override: iisnode.yml wins over the environment (4 processes → 1,1,1,1,2,2,2,2)', async () => {
    const folder = await copyFixture('counter', dir, 'override');
    await writeFile(path.join(folder, 'iisnode.yml'), 'nodeProcessCountPerApplication: 4\n');
    const t2 = await startEngine({ IISNODE_NODEPROCESSCOUNTPERAPPLICATION: '2' });
    try {
      const app = await addRunningApp(t2, folder);
      assert.equal(app.workers().length, 4);
      assert.deepEqual(app.config?.sources.nodeProcessCountPerApplication, { kind: 'file', file: path.join(folder, 'iisnode.yml'), line: 1 });
      const bodies: string[] = [];
      for (let i = 0; i < 8; i++) bodies.push((await request(t2.port, { host: 'override.localhost' })).body);
      assert.deepEqual(bodies, [1, 1, 1, 1, 2, 2, 2, 2].map((n) => `Hello, world ${n}`));
    } finally {
      await t2.stop();
    }
  });

  const THIRTY_MB = 30 * 1024 * 1024;

  test('140 large download: 30 MB streamed in 1 KB writes arrives complete', async () => {
    await addRunningApp(t, await copyFixture('large', dir));
    const res = await get('large');
    assert.equal(res.status, 200);
    assert.equal(res.bodyBytes.length, THIRTY_MB);
  });

  test('141 large upload: 31 MB reach the app', async () => {
    await addRunningApp(t, await copyFixture('large', dir, 'upload-count'));
    const res = await get('upload-count', '/count', { method: 'POST', body: Buffer.alloc(31 * 1024 * 1024, 'u') });
    assert.equal(res.body, '32505856');
  });

  test('142 large upload and download: 31 MB in, 30 MB out', async () => {
    await addRunningApp(t, await copyFixture('large', dir, 'both-ways'));
    const res = await get('both-ways', '/', { method: 'POST', body: Buffer.alloc(31 * 1024 * 1024, 'u') });
    assert.equal(res.bodyBytes.length, THIRTY_MB);
  });

  test('an ES module entry (package.json "type": "module", top-level await) runs unchanged', async () => {
    await addRunningApp(t, await copyFixture('esm', dir));
    const res = await get('esm');
    assert.equal(res.body, 'Hello from an ES module (no require)');
  });

  test('keep-alive: many requests on one client connection, and the URL reaches the app unchanged', async () => {
    await addRunningApp(t, await copyFixture('echo', dir, 'keepalive'));
    const raw = await rawRequest(
      t.port,
      'POST /a%2Fb?x=1&y=%20 HTTP/1.1\r\nHost: keepalive.localhost\r\nContent-Length: 3\r\n\r\none' +
        'POST /upload HTTP/1.1\r\nHost: keepalive.localhost\r\nContent-Length: 3\r\n\r\ntwo' +
        'GET / HTTP/1.1\r\nHost: keepalive.localhost\r\nConnection: close\r\n\r\n',
    );
    const responses = raw.split('HTTP/1.1 200 OK').length - 1;
    assert.equal(responses, 3, raw);
    assert.match(raw, /x-url: \/a%2Fb\?x=1&y=%20\r\n[^]*\r\n3\r\none\r\n/);
    assert.match(raw, /x-url: \/upload\r\n[^]*\r\n9\r\nfalse-two\r\n/);
  });
});
