/**
 * What happens when an app cannot start: broken configuration, no entry, a worker that never listens, one that
 * crashes on start, one that listens elsewhere, a missing node. Each failure explains itself.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe('start-up failures and configuration errors', () => {
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

  async function appWithConfig(name: string, fileName: string, text: string): Promise<string> {
    const folder = await copyFixture('counter', dir, name);
    await writeFile(path.join(folder, fileName), text);
    return folder;
  }

  test('a non-numeric number is an error naming file, line, key, value and the fix; the app does not start', async () => {
    const folder = await appWithConfig('badnumber', 'berth.yml', '# processes\nnodeProcessCountPerApplication: two\n');
    const app = await t.engine.addApp(folder);
    assert.equal(app.state, 'errored');
    assert.equal(app.workers().length, 0);
    const event = await t.waitFor((e) => e.type === 'app-error' && e.app === 'badnumber');
    assert.ok(event.type === 'app-error');
    assert.match(event.detail, /berth\.yml:2:1: nodeProcessCountPerApplication: "two" is not a whole number\./);
    assert.match(event.detail, /Expected a whole number from 0 to 256/);

    const res = await request(t.port, { host: 'badnumber.localhost' });
    assert.equal(res.status, 503);
    assert.match(res.body, /berth\.yml:2:1/);
    assert.match(res.body, /is not a whole number/);
  });

  test('126 iisnode.yml syntax: broken lines are errors, iisnode-tolerated lines are fine', async () => {
    const cases: [string, string, boolean][] = [
      ['empty', '', true],
      ['colonfirst', ': foo\n', false],
      ['spacedcolon', '   : bar\n', false],
      ['novalue', 'foo:\n', true],
      ['comment', 'foo:    # comment\n', true],
      ['twokeys', 'foo: bar\nbaz: 12\n', true],
      ['badbool', 'loggingEnabled: foobar\n', false],
      ['nospace', 'foo:bar\n\n\nbaz:7\n', true],
    ];
    for (const [name, text, ok] of cases) {
      const folder = await appWithConfig(`syntax-${name}`, 'iisnode.yml', text);
      const app = await t.engine.addApp(folder);
      if (ok) {
        await t.waitFor((e) => e.type === 'app-state' && e.app === app.name && e.state === 'running');
        assert.equal((await request(t.port, { host: `${app.name}.localhost` })).status, 200, name);
      } else {
        assert.equal(app.state, 'errored', name);
        const res = await request(t.port, { host: `${app.name}.localhost` });
        assert.equal(res.status, 503, name);
        assert.match(res.body, /The configuration file iisnode\.yml is invalid/, name);
        assert.match(res.body, /iisnode\.yml:1/, name);
      }
    }
  });

  test('an unknown key is a "did you mean" warning and the app runs', async () => {
    const folder = await appWithConfig('typo', 'berth.yml', 'nodeProcesCountPerApplication: 2\n');
    await addRunningApp(t, folder);
    const event = await t.waitFor((e) => e.type === 'config-warnings' && e.app === 'typo');
    assert.ok(event.type === 'config-warnings');
    assert.match(event.warnings[0]!, /berth\.yml:1:1: unknown setting "nodeProcesCountPerApplication" is ignored\. Did you mean "nodeProcessCountPerApplication"\?/);
  });

  test('a folder with no entry explains what was looked for', async () => {
    const { mkdir } = await import('node:fs/promises');
    const folder = path.join(dir, 'empty-app');
    await mkdir(folder);
    const app = await t.engine.addApp(folder);
    assert.equal(app.state, 'errored');
    assert.match(app.problem!.detail, /looked for entry in berth\.yml, "main" in package\.json, then server\.js, app\.js, index\.js/);
  });

  test('a worker that never listens: the request waits out the retry budget, then a 503 says why', async () => {
    const folder = await copyFixture('never-listens', dir);
    await writeFile(path.join(folder, 'berth.yml'), 'maxNamedPipeConnectionRetry: 6\nnamedPipeConnectionRetryDelay: 100\n');
    const app = await t.engine.addApp(folder);
    assert.equal(app.state, 'starting');
    const started = Date.now();
    const res = await request(t.port, { host: 'never-listens.localhost' });
    const waited = Date.now() - started;
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.match(res.body, /did not start listening on process\.env\.PORT within 0\.6 s/);
    assert.match(res.body, /starting up, but I will never listen/); // its stderr, for a loopback caller
    // It waited out the retry budget (no upper bound: a loaded machine may be slower, and the 503 already says why).
    assert.ok(waited >= 500, `waited ${waited} ms`);
  });

  test('a request that arrives while the worker starts waits for it instead of failing', async () => {
    const folder = await copyFixture('slow', dir, 'waits');
    const pending = t.engine.addApp(folder);
    await t.waitFor((e) => e.type === 'app-added' && e.app === 'waits');
    // Sent before the worker is ready: it must wait, not fail.
    assert.equal(t.engine.getApp('waits')!.workers()[0]!.state, 'starting');
    const res = await request(t.port, { host: 'waits.localhost', path: '/slow?ms=1' });
    await pending;
    assert.equal(res.status, 200);
    assert.match(res.body, /^done after 1 ms/);
  });

  test('120 a worker that crashes on start: 500 page with its stderr, HTML-escaped; the crash is reported', async () => {
    const folder = await copyFixture('crash-on-start', dir);
    await t.engine.addApp(folder);
    const res = await request(t.port, { host: 'crash-on-start.localhost' });
    assert.ok(res.status === 500 || res.status === 503, `status ${res.status}: ${res.body}`);
    assert.match(res.body, /&quot;&amp;&lt;&gt;&#39;/);
    assert.match(res.body, /Cannot find module &#39;\.\/idonotexist&#39;/);
    const crash = await t.waitFor((e) => e.type === 'worker-exit' && e.app === 'crash-on-start');
    assert.ok(crash.type === 'worker-exit');
    assert.equal(crash.code, 1);
    assert.equal(crash.expected, false);
    assert.equal(crash.beforeReady, true);
    assert.ok(crash.stderr.some((line) => line.includes("Cannot find module './idonotexist'")));
    assert.ok(crash.restartInMs !== undefined && crash.restartInMs >= 100);
  });

  test('112 a node that does not exist: the app is errored with a message that names the setting', async () => {
    const folder = await appWithConfig('nonode', 'berth.yml', 'nodeProcessCommandLine: idontexist.exe\n');
    await t.engine.addApp(folder);
    const event = await t.waitFor((e) => e.type === 'app-error' && e.app === 'nonode');
    assert.ok(event.type === 'app-error');
    assert.match(event.detail, /"idontexist\.exe" was not found.*nodeProcessCommandLine/);
    const res = await request(t.port, { host: 'nonode.localhost' });
    assert.equal(res.status, 503);
    assert.match(res.body, /idontexist\.exe/);
  });

  test('an app listening on its own TCP port is reported (with redirectListen off)', async () => {
    const folder = await copyFixture('fixed-port', dir);
    await writeFile(path.join(folder, 'berth.yml'), 'redirectListen: false\n');
    await t.engine.addApp(folder);
    const event = await t.waitFor((e) => e.type === 'worker-warning' && e.app === 'fixed-port');
    assert.ok(event.type === 'worker-warning');
    assert.match(event.message, /listens on TCP port \d+, not on process\.env\.PORT/);
  });
});
