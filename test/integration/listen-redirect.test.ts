/**
 * The app's own listen() reaches Berth (issue 15): apps written for a port number of their own are bound to
 * process.env.PORT by the bootstrap, said once; a second server stays where the app put it; the setting turns it off.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe("the app's own listen() is bound to PORT", () => {
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

  async function twoWorkers(fixture: string): Promise<string> {
    const folder = await copyFixture(fixture, dir);
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    return folder;
  }

  const redirectNotices = (app: string) => t.events.filter((e) => e.type === 'worker-warning' && e.app === app && /bound it to process\.env\.PORT/.test(e.message));

  test('Number(process.env.PORT) || 3000 is served through Berth by both workers, and said once', async () => {
    const app = await addRunningApp(t, await twoWorkers('port-or-3000'));
    const res = await request(t.port, { host: 'port-or-3000.localhost' });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { hello: string; address: { port: number } };
    assert.equal(body.hello, 'port-or-3000');
    // address() answers what the app asked for, not the pipe's path.
    assert.equal(body.address.port, 3000);
    assert.equal(app.workers().length, 2);
    const notices = redirectNotices('port-or-3000');
    assert.equal(notices.length, 1);
    assert.ok(notices[0]!.type === 'worker-warning');
    assert.match(notices[0]!.message, /asked for TCP port 3000; Berth bound it to process\.env\.PORT/);
  });

  test("Fastify's listen({ port: process.env.PORT, host }) is served, and its address() is an address", async () => {
    await addRunningApp(t, await twoWorkers('fastify-like'));
    const res = await request(t.port, { host: 'fastify-like.localhost' });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { address: { address: string; port: number } };
    assert.equal(body.address.address, '0.0.0.0');
    assert.equal(typeof body.address.port, 'number');
    const notice = redirectNotices('fastify-like')[0];
    assert.ok(notice?.type === 'worker-warning');
    assert.match(notice.message, /\{ port: process\.env\.PORT \}/);
  });

  test('a second server (metrics) stays on the TCP port the app gave it', async () => {
    await addRunningApp(t, await twoWorkers('second-server'));
    let metricsPort = 0;
    // The metrics server starts once the web server listens: ask until it has a port.
    while (!metricsPort) metricsPort = (JSON.parse((await request(t.port, { host: 'second-server.localhost' })).body) as { metricsPort: number }).metricsPort;
    const reached = await new Promise<boolean>((resolve) => {
      const socket = net.connect(metricsPort, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    assert.ok(reached, `the metrics server answers on 127.0.0.1:${metricsPort}`);
    assert.equal(redirectNotices('second-server').length, 1);
  });

  test('an app that listens on PORT is not redirected', async () => {
    await addRunningApp(t, await copyFixture('counter', dir, 'plain'));
    assert.equal((await request(t.port, { host: 'plain.localhost' })).status, 200);
    assert.equal(redirectNotices('plain').length, 0);
  });

  test('redirectListen: false leaves the app where it listens, and says so', async () => {
    const folder = await copyFixture('fixed-port', dir, 'not-redirected');
    await writeFile(path.join(folder, 'berth.yml'), 'redirectListen: false\n');
    await t.engine.addApp(folder);
    const event = await t.waitFor((e) => e.type === 'worker-warning' && e.app === 'not-redirected');
    assert.ok(event.type === 'worker-warning');
    assert.match(event.message, /listens on TCP port \d+, not on process\.env\.PORT/);
  });

  test('portMode: tcp gives each worker a loopback port number in PORT, and Berth dials it', async () => {
    const folder = await copyFixture('port-or-3000', dir, 'tcp-mode');
    await writeFile(path.join(folder, 'berth.yml'), 'portMode: tcp\nnodeProcessCountPerApplication: 2\n');
    const app = await addRunningApp(t, folder);
    const ports = app.workers().map((w) => w.endpoint);
    assert.ok(ports.every((p) => /^\d+$/.test(p)), ports.join(', '));
    assert.notEqual(ports[0], ports[1]);
    const res = await request(t.port, { host: 'tcp-mode.localhost' });
    const body = JSON.parse(res.body) as { address: { port: number } };
    assert.ok(ports.includes(String(body.address.port)), `served from a worker's own port (${body.address.port})`);
    assert.equal(redirectNotices('tcp-mode').length, 0);
  });

  test('portMode: tcp with a fixed port: the first HTTP server is bound to the worker port', async () => {
    const folder = await copyFixture('second-server', dir, 'tcp-redirect');
    await writeFile(path.join(folder, 'berth.yml'), 'portMode: tcp\n');
    await addRunningApp(t, folder);
    const res = await request(t.port, { host: 'tcp-redirect.localhost' });
    assert.equal(res.status, 200);
    assert.match(res.body, /second-server/);
    assert.equal(redirectNotices('tcp-redirect').length, 1);
  });
});
