/**
 * Recycling on file changes, end to end: a change on disk → the watcher → a graceful generation switch.
 * iisnode functional tests 106, 117, 121, 125 and 143, plus debounce, deletion, globs, exclusions, the log folder.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { skipUnderWine } from '../helpers/wine.js';

const hello = (text: string) => `require('http').createServer((q, r) => r.end(${JSON.stringify(text)})).listen(process.env.PORT);\n`;

describe('recycling on file changes', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    t = await startEngine();
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  async function site(name: string, files: Record<string, string>): Promise<string> {
    const folder = path.join(dir, name);
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(folder, file)), { recursive: true });
      await writeFile(path.join(folder, file), text);
    }
    await addRunningApp(t, folder);
    return folder;
  }
  const body = async (host: string, urlPath = '/') => (await request(t.port, { host: `${host}.localhost`, path: urlPath })).body;
  const recycles = (app: string, kind: 'recycle-started' | 'recycle-succeeded' | 'recycle-failed') =>
    t.events.filter((e) => e.type === kind && e.app === app);
  /**
   * Proves that no recycle is pending without waiting a fixed time: changes server.js and waits for the recycle it
   * causes, which must be the next one and name only server.js (an unwanted one would come first or merge into it).
   */
  async function settle(app: string, folder: string): Promise<void> {
    const expected = recycles(app, 'recycle-started').length + 1;
    await writeFile(path.join(folder, 'server.js'), hello(`settled ${expected}`));
    await eventually(() => recycles(app, 'recycle-succeeded').length >= expected, 10_000);
    const reasons = recycles(app, 'recycle-started').slice(expected - 1).map((e) => (e.type === 'recycle-started' ? e.reason : ''));
    assert.deepEqual(reasons, ['server.js changed'], `only the change to server.js recycled after ${expected - 1} recycle(s)`);
  }

  test('106 autoupdate: a new server.js is served after the change, and the recycle names the file', async () => {
    const folder = await site('autoupdate', { 'server.js': hello('Hello, world 1') });
    assert.equal(await body('autoupdate'), 'Hello, world 1');
    await writeFile(path.join(folder, 'server.js'), hello('Hello, world 2'));
    await eventually(async () => (await body('autoupdate')) === 'Hello, world 2', 8000, 20);
    const started = recycles('autoupdate', 'recycle-started')[0];
    assert.ok(started?.type === 'recycle-started');
    assert.equal(started.reason, 'server.js changed');
  });

  test('watched by default: an .mjs entry and package.json recycle the app (issue 15)', async () => {
    const esm = (text: string) => `import http from 'node:http';\nhttp.createServer((q, r) => r.end(${JSON.stringify(text)})).listen(process.env.PORT);\n`;
    const folder = await site('esm-entry', { 'package.json': '{ "main": "server.mjs" }\n', 'server.mjs': esm('esm 1') });
    assert.equal(await body('esm-entry'), 'esm 1');
    await writeFile(path.join(folder, 'server.mjs'), esm('esm 2'));
    await eventually(async () => (await body('esm-entry')) === 'esm 2', 8000, 20);
    await writeFile(path.join(folder, 'package.json'), '{ "main": "server.mjs", "description": "fixed" }\n');
    await eventually(() => recycles('esm-entry', 'recycle-succeeded').length >= 2, 10_000);
    const reasons = recycles('esm-entry', 'recycle-started').map((e) => (e.type === 'recycle-started' ? e.reason : ''));
    assert.deepEqual(reasons, ['server.mjs changed', 'package.json changed']);
  });

  test('117 a dependency in node_modules recycles when watchedFiles names it', async () => {
    const folder = await site('dependency', {
      'server.js': `const part = require('./node_modules/part.js'); require('http').createServer((q, r) => r.end(part())).listen(process.env.PORT);\n`,
      'node_modules/part.js': `module.exports = () => 'Hello, world 1';\n`,
      'berth.yml': 'watchedFiles: "*.js;node_modules\\\\*.js"\n',
    });
    assert.equal(await body('dependency'), 'Hello, world 1');
    await writeFile(path.join(folder, 'node_modules', 'part.js'), `module.exports = () => 'Hello, world 2';\n`);
    await eventually(async () => (await body('dependency')) === 'Hello, world 2', 8000, 20);
  });

  test('121 a watched folder that does not exist is tolerated', async () => {
    await site('missingdir', { 'server.js': hello('Hello, world!'), 'iisnode.yml': 'watchedFiles: *.js;idontexist\\*\n' });
    assert.equal(await body('missingdir'), 'Hello, world!');
  });

  test('125 an app that rewrites its own iisnode.yml is recycled with the new configuration', async () => {
    const counter = `let n = 0;
const fs = require('fs');
require('http').createServer((q, r) => {
  if (q.url === '/update') fs.writeFileSync(__dirname + '/iisnode.yml', 'nodeProcessCountPerApplication: 4\\n');
  r.end('Hello, world ' + ++n);
}).listen(process.env.PORT);
`;
    await site('selfconfig', { 'server.js': counter, 'iisnode.yml': 'nodeProcessCountPerApplication: 2\n' });
    const app = t.engine.getApp('selfconfig')!;
    const round = async (n: number) => {
      const bodies: string[] = [];
      for (let i = 0; i < n; i++) bodies.push(await body('selfconfig'));
      return bodies;
    };
    assert.deepEqual(await round(4), ['Hello, world 1', 'Hello, world 1', 'Hello, world 2', 'Hello, world 2']);
    await body('selfconfig', '/update');
    await eventually(() => app.workers().length === 4 && app.workers().every((w) => w.state === 'ready'), 10_000);
    assert.deepEqual(await round(8), [1, 1, 1, 1, 2, 2, 2, 2].map((n) => `Hello, world ${n}`));
  });

  test('143 recycle signal: the worker pid differs after the app writes "recycle" to IISNODE_CONTROL_PIPE', async () => {
    const app = `const net = require('net');
require('http').createServer((q, r) => {
  if (q.url === '/recycle') setTimeout(() => net.connect(process.env.IISNODE_CONTROL_PIPE, function () { this.end('recycle'); }), 100);
  r.end(String(process.pid));
}).listen(process.env.PORT);
`;
    await site('signal', { 'server.js': app, 'berth.yml': 'recycleSignalEnabled: true\n' });
    const before = await body('signal', '/recycle');
    await eventually(async () => (await body('signal')) !== before, 10_000, 50);
  });

  // With the engine's own timing (300 ms quiet window, 2 s at most), which is the point of this test. Under Wine,
  // chokidar's stat() of each event is a wineserver round trip: the 200 events come out over 5-8 s, two bursts by
  // definition. A Windows stat() is a system call (200 in well under the window), so this runs on Windows itself.
  test('a burst of 200 file writes gives one recycle', { skip: skipUnderWine("Wine's stat() is a wineserver round trip: chokidar's 200 events take seconds to come out") }, async () => {
    const folder = await site('burst', { 'server.js': hello('v1') });
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFile(path.join(folder, `module${i}.js`), `module.exports = ${i};\n`)));
    await eventually(() => recycles('burst', 'recycle-succeeded').length === 1, 10_000);
    const started = recycles('burst', 'recycle-started')[0];
    assert.ok(started?.type === 'recycle-started');
    assert.match(started.reason, /^200 files (changed|added)/);
    await settle('burst', folder); // one recycle for the burst
  });

  test('deleting a watched file recycles', async () => {
    const folder = await site('deletion', { 'server.js': hello('v1'), 'helper.js': 'module.exports = 1;\n' });
    await rm(path.join(folder, 'helper.js'));
    await eventually(() => recycles('deletion', 'recycle-succeeded').length === 1, 8000);
    const started = recycles('deletion', 'recycle-started')[0];
    assert.ok(started?.type === 'recycle-started');
    assert.equal(started.reason, 'helper.js deleted');
  });

  test('globs with ** and !exclusions; changes that match nothing do not recycle', async () => {
    const folder = await site('globs', {
      'server.js': hello('v1'),
      'lib/deep/a.js': 'module.exports = 1;\n',
      'lib/deep/a.test.js': 'module.exports = 1;\n',
      'readme.txt': 'hello\n',
      'berth.yml': 'watchedFiles: "server.js;lib/**/*.js;!**/*.test.js"\n',
    });
    await writeFile(path.join(folder, 'lib/deep/a.test.js'), 'module.exports = 2;\n');
    await writeFile(path.join(folder, 'readme.txt'), 'changed\n');
    // Changes that match nothing: the first recycle names only the later a.js.
    await writeFile(path.join(folder, 'lib/deep/a.js'), 'module.exports = 2;\n');
    await eventually(() => recycles('globs', 'recycle-succeeded').length === 1, 8000);
    const started = recycles('globs', 'recycle-started')[0];
    assert.ok(started?.type === 'recycle-started');
    assert.equal(started.reason, 'lib/deep/a.js changed');
    await settle('globs', folder);
  });

  test('the log folder never triggers a recycle, even when everything is watched', async () => {
    const folder = await site('chatty', {
      'server.js': `require('http').createServer((q, r) => { console.log('request ' + q.url); r.end('ok'); }).listen(process.env.PORT);\n`,
      'berth.yml': 'watchedFiles: "**/*"\n',
    });
    for (let i = 0; i < 10; i++) await body('chatty', `/${i}`);
    // The lines are on disk in the log folder (inside the app folder) before the next change...
    const logs = path.join(folder, 'iisnode');
    await eventually(async () => {
      for (const name of await readdir(logs)) if ((await readFile(path.join(logs, name), 'utf8')).includes('request /9')) return true;
      return false;
    }, 10_000);
    // ...so the first recycle names only that change: the log writes triggered none.
    await settle('chatty', folder);
  });

  test('a broken configuration file keeps the running version serving and reports the error', async () => {
    const folder = await site('brokenconfig', { 'server.js': hello('still serving'), 'berth.yml': 'nodeProcessCountPerApplication: 1\n' });
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: lots\n');
    await eventually(() => recycles('brokenconfig', 'recycle-failed').length === 1, 8000);
    const failed = recycles('brokenconfig', 'recycle-failed')[0];
    assert.ok(failed?.type === 'recycle-failed');
    assert.match(failed.detail, /berth\.yml:1:1: nodeProcessCountPerApplication: "lots" is not a whole number/);
    assert.equal(await body('brokenconfig'), 'still serving');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    await eventually(() => recycles('brokenconfig', 'recycle-succeeded').length === 1, 8000);
    assert.equal(t.engine.getApp('brokenconfig')!.workers().length, 2);
  });

  test('an app errored by a broken configuration at start starts once the file is fixed', async () => {
    const folder = path.join(dir, 'fixlater');
    await mkdir(folder);
    await writeFile(path.join(folder, 'server.js'), hello('fixed'));
    await writeFile(path.join(folder, 'berth.yml'), 'maxLogFiles: -1\n');
    const app = await t.engine.addApp(folder);
    assert.equal(app.state, 'errored');
    await writeFile(path.join(folder, 'berth.yml'), 'maxLogFiles: 5\n');
    await eventually(() => app.state === 'running', 8000);
    assert.equal(await body('fixlater'), 'fixed');
  });
});
