/** Host-based routing across several apps, names, and the unknown-host page. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineError } from '../../core/engine.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe('routing', () => {
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

  test('one app answers on its host and on the machine host (/); an unknown *.localhost gets the 404 list', async () => {
    const app = await addRunningApp(t, await copyFixture('helloworld', dir, 'My Site'));
    assert.equal(app.name, 'my-site');
    assert.equal(t.engine.urlOf(app), `http://my-site.localhost:${t.port}/`);
    assert.equal((await request(t.port, { host: `my-site.localhost:${t.port}` })).body, 'Hello, world!');
    assert.equal((await request(t.port, { host: `MY-SITE.LOCALHOST.` })).body, 'Hello, world!');
    assert.equal((await request(t.port, { host: `127.0.0.1:${t.port}` })).body, 'Hello, world!');
    assert.equal((await request(t.port, { host: 'localhost' })).body, 'Hello, world!');
    const unknown = await request(t.port, { host: 'nope.localhost' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /No app answers on nope\.localhost/);
    assert.match(unknown.body, new RegExp(`http://my-site\\.localhost:${t.port}/`));
  });

  test('with two apps, each answers on its own host and / lists both', async () => {
    await addRunningApp(t, await copyFixture('counter', dir, 'second'));
    assert.equal((await request(t.port, { host: 'second.localhost' })).body, 'Hello, world 1');
    assert.equal((await request(t.port, { host: 'my-site.localhost' })).body, 'Hello, world!');
    const machine = await request(t.port, { host: `127.0.0.1:${t.port}` });
    assert.equal(machine.status, 404);
    assert.match(machine.body, /my-site\.localhost/);
    assert.match(machine.body, /second\.localhost/);
  });

  test('folders with the same name get a suffix; the same folder twice is refused', async () => {
    const other = path.join(dir, 'elsewhere');
    await mkdir(other);
    const twin = await addRunningApp(t, await copyFixture('counter', other, 'second'));
    assert.equal(twin.name, 'second-2');
    assert.equal((await request(t.port, { host: 'second-2.localhost' })).status, 200);
    await assert.rejects(t.engine.addApp(path.join(other, 'second')), (error: EngineError) => {
      assert.equal(error.code, 'ALREADY_ADDED');
      assert.match(error.message, /already hosted as second-2/);
      return true;
    });
    await assert.rejects(t.engine.addApp(path.join(dir, 'no-such-folder')), /is not a folder/);
  });

  test('hostname in berth.yml overrides the folder name (a label or a full name)', async () => {
    const folder = await copyFixture('helloworld', dir, 'renamed');
    await writeFile(path.join(folder, 'berth.yml'), 'entry: hello.js\nhostname: shop\n');
    const app = await addRunningApp(t, folder);
    assert.equal(app.host, 'shop.localhost');
    assert.equal((await request(t.port, { host: 'shop.localhost' })).body, 'Hello, world!');
    const full = await copyFixture('helloworld', dir, 'fullname');
    await writeFile(path.join(full, 'berth.yml'), 'entry: hello.js\nhostname: api.example.test\n');
    await addRunningApp(t, full);
    assert.equal((await request(t.port, { host: 'api.example.test' })).body, 'Hello, world!');
  });

  test('malformed requests get a 400 and a closed connection, not a crash', async () => {
    const { rawRequest } = await import('../helpers/http.js');
    const bad = await rawRequest(t.port, 'GET / HTTP/1.1\r\nHost: second.localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request/);
    const version = await rawRequest(t.port, 'GET / HTTP/2.0\r\nHost: second.localhost\r\n\r\n');
    assert.match(version, /^HTTP\/1\.1 501/);
    // The engine still serves.
    assert.equal((await request(t.port, { host: 'second.localhost' })).status, 200);
  });

  test('a request header block larger than maxRequestBufferSize gets a 431', async () => {
    const folder = await copyFixture('counter', dir, 'smallbuffer');
    await writeFile(path.join(folder, 'berth.yml'), 'maxRequestBufferSize: 2048\n');
    await addRunningApp(t, folder);
    const res = await request(t.port, { host: 'smallbuffer.localhost', headers: { 'x-big': 'y'.repeat(4000) } });
    assert.equal(res.status, 431);
    assert.match(res.body, /more than maxRequestBufferSize \(2048\)/);
    assert.equal((await request(t.port, { host: 'smallbuffer.localhost' })).status, 200);
  });
});
