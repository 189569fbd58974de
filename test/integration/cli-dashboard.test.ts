/**
 * The web dashboard of a headless engine: `berth serve` serves the renderer build on its control API's port, and
 * `berth dashboard` prints the address with the token; the page's files need no token, the API behind them does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { runBerth, type CliRun } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const BERTH = path.join(REPO, 'bin', 'berth.js');

let dir: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-dashboard-'));
  env = { ...process.env, BERTH_HOME: path.join(dir, 'home') };
});
after(() => cleanup());

const berth = (args: string[]): Promise<CliRun> => runBerth(args, { env, cwd: dir });

describe('berth dashboard', () => {
  test('with no engine: exit 3 and how to start one; extra arguments are a usage error', async () => {
    const none = await berth(['dashboard']);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /No Berth engine is running .* Start one with `npx berth serve`\./);
    assert.equal((await berth(['dashboard', 'now'])).code, 2);
  });

  test('berth serve serves the dashboard on its control port; berth dashboard prints its address with the token', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [BERTH, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let text = '';
    child.stdout!.on('data', (c) => (text += c));
    child.stderr!.on('data', (c) => (text += c));
    try {
      await eventually(() => /npx berth dashboard/.test(text), 15_000);
      const run = await berth(['dashboard']);
      assert.equal(run.code, 0, run.stderr);
      const match = /^(http:\/\/127\.0\.0\.1:\d+\/)#token=([A-Za-z0-9_-]+)\n$/.exec(run.stdout);
      assert.ok(match, run.stdout);
      assert.match(run.stderr, /keep it to yourself/);
      // node:http rather than fetch(): Wine's build of Node cannot fetch() from loopback (undici's connect fails).
      const page = await request(Number(new URL(match[1]!).port));
      assert.equal(page.status, 200);
      assert.match(page.body, /<div id="app"><\/div>/);
      assert.match(String(page.headers['content-security-policy'] ?? ''), /default-src 'none'/);
      // The API behind it still needs the token (the page's files do not carry it).
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(`${match[1]}control`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
        req.on('response', (res) => (res.resume(), resolve(res.statusCode!)));
        req.on('upgrade', () => reject(new Error('upgraded without a token')));
        req.on('error', reject);
      });
      assert.equal(status, 401);
    } finally {
      interrupt(child);
      await new Promise((r) => child.on('exit', r));
    }
  });
});
