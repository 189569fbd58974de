/**
 * Start commands (issue 15): a folder with no entry script but a package.json start script, or a start setting,
 * runs that command per worker on a TCP port, without a shell; a tool that ignores PORT gets its port flags.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { tempDir } from '../helpers/paths.js';

/** A stand-in for `vite preview`: it ignores PORT and listens where --port and --host say, like the real tool. */
const FAKE_VITE = `#!/usr/bin/env node
const http = require('http');
const argv = process.argv.slice(2);
const flag = (name) => argv[argv.indexOf(name) + 1];
http.createServer((req, res) => res.end(JSON.stringify({ argv, pid: process.pid }))).listen(Number(flag('--port')) || 4173, flag('--host') || 'localhost');
`;

describe('start commands', () => {
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

  async function folder(name: string, files: Record<string, string>): Promise<string> {
    const root = path.join(dir, name);
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    return root;
  }

  test('package.json start "npm run preview" runs vite preview per worker with --port and --host', async () => {
    const root = await folder('preview', {
      'package.json': JSON.stringify({ scripts: { start: 'npm run preview', preview: 'vite preview' } }),
      'berth.yml': 'nodeProcessCountPerApplication: 2\n',
      'node_modules/vite/package.json': JSON.stringify({ name: 'vite', bin: { vite: 'bin/vite.js' } }),
      'node_modules/vite/bin/vite.js': FAKE_VITE,
    });
    const app = await addRunningApp(t, root);
    assert.equal(app.workers().length, 2);
    const res = await request(t.port, { host: 'preview.localhost' });
    assert.equal(res.status, 200);
    const { argv } = JSON.parse(res.body) as { argv: string[] };
    const ports = app.workers().map((w) => w.endpoint);
    assert.equal(argv[0], 'preview');
    assert.ok(ports.includes(argv[argv.indexOf('--port') + 1]!), `${argv.join(' ')} uses a worker port (${ports.join(', ')})`);
    assert.equal(argv[argv.indexOf('--host') + 1], '127.0.0.1');
    assert.match(app.entry?.how ?? '', /package\.json start script/);
  });

  test('a start setting naming a node command runs it with its arguments', async () => {
    const root = await folder('start-setting', {
      'berth.yml': 'start: node web/main.js --greeting hello\n',
      'web/main.js': "require('http').createServer((q, r) => r.end(process.argv.slice(2).join(' '))).listen(process.env.PORT);\n",
    });
    await addRunningApp(t, root);
    assert.equal((await request(t.port, { host: 'start-setting.localhost' })).body, '--greeting hello');
  });

  test('a start command that needs a shell is refused with the way out', async () => {
    const root = await folder('shell-start', { 'package.json': JSON.stringify({ scripts: { start: 'npm run build && node server.js' } }) });
    const app = await t.engine.addApp(root);
    assert.equal(app.state, 'errored');
    assert.match(app.problem?.detail ?? '', /without a shell, and "npm run build && node server\.js" needs one \(&&\)\. Set entry in berth\.yml/);
  });
});
