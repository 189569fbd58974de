/**
 * Start-up failures explain themselves (issue 15): output on stdout only, a server on another port (not
 * redirected) failing fast with the port it used, Fastify's listen({ port }) without the redirect, with hints.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe('start-up errors explain themselves', () => {
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

  async function fixture(name: string, as: string, berthYml: string): Promise<string> {
    const folder = await copyFixture(name, dir, as);
    await writeFile(path.join(folder, 'berth.yml'), berthYml);
    return folder;
  }
  const errored = (app: string) => t.waitFor((e) => e.type === 'app-state' && e.app === app && e.state === 'errored', 60_000);

  test('a fatal error printed on stdout only is shown in the crash events, the problem and the 503 page', async () => {
    const app = await t.engine.addApp(await fixture('stdout-fatal', 'stdout-fatal', 'nodeProcessCountPerApplication: 1\n'));
    const crash = await t.waitFor((e) => e.type === 'worker-exit' && e.app === 'stdout-fatal');
    assert.ok(crash.type === 'worker-exit');
    assert.equal(crash.stderr[0], '(nothing on stderr; the last lines it wrote to stdout:)');
    assert.ok(crash.stderr.some((line) => line.includes('cannot connect to the database')));
    await errored('stdout-fatal');
    assert.match(app.problem?.stderr ?? '', /cannot connect to the database at db\.internal:5432/);
    assert.match(app.problem?.detail ?? '', /Fix the error shown below/);
    const res = await request(t.port, { host: 'stdout-fatal.localhost' });
    assert.equal(res.status, 503);
    assert.match(res.body, /cannot connect to the database at db\.internal:5432/);
  });

  test('a server on a port of its own (not redirected) fails fast, naming the port and the fix', async () => {
    const app = await t.engine.addApp(await fixture('fixed-port', 'elsewhere', 'redirectListen: false\nnodeProcessCountPerApplication: 1\n'));
    await errored('elsewhere');
    assert.match(app.problem?.title ?? '', /^The app listens on TCP port \d+, not on process\.env\.PORT, so Berth cannot reach it\.$/);
    assert.match(app.problem?.detail ?? '', /listen\(process\.env\.PORT\), or set redirectListen: true/);
    // No crash loop: it is stopped at the first worker.
    assert.equal(t.events.filter((e) => e.type === 'worker-exit' && e.app === 'elsewhere').length, 1);
    const res = await request(t.port, { host: 'elsewhere.localhost' });
    assert.equal(res.status, 503);
    assert.match(res.body, /listens on TCP port \d+/);
  });

  test("Fastify's listen({ port: process.env.PORT }) without the redirect gets the pipe-path hint", async () => {
    const app = await t.engine.addApp(await fixture('fastify-like', 'fastify-off', 'redirectListen: false\nnodeProcessCountPerApplication: 1\n'));
    await errored('fastify-off');
    assert.match(app.problem?.stderr ?? '', /ERR_SOCKET_BAD_PORT/);
    assert.match(app.problem?.detail ?? '', /Hint: process\.env\.PORT is a pipe path under Berth, not a port number/);
    const res = await request(t.port, { host: 'fastify-off.localhost' });
    assert.match(res.body, /Hint: process\.env\.PORT is a pipe path/);
  });
});
