/**
 * `berth debug`, `berth snapshot` and `berth profile` against a real `berth serve`: the printed inspector URL works
 * for a DevTools-protocol client (what Chrome's DevTools does when you paste the printed address).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const BERTH = path.join(REPO, 'bin', 'berth.js');

function berth(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function evaluate(url: string, expression: string): Promise<unknown> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  try {
    return await new Promise((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: { result: { value: unknown } } };
        if (message.id === 1) resolve(message.result!.result.value);
      });
      socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression } }));
    });
  } finally {
    socket.close();
  }
}

test('berth debug on prints attach information that works; snapshot and profile write files; debug off', async () => {
  const { dir, cleanup } = await tempDir('berth-debug-cli-');
  const env = { ...process.env, BERTH_HOME: path.join(dir, 'home') };
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const folder = await copyFixture('behaviours', dir, 'debuggee');
  const child = spawn(process.execPath, [BERTH, 'serve', folder, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  try {
    await eventually(() => /Control API on ws:/.test(out) && /ready \(pid \d+\)/.test(out), 15_000);
    const on = await berth(['debug', 'debuggee', 'on'], env);
    assert.equal(on.code, 0, on.stderr);
    const inspector = /Inspector:\s+(ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(on.stdout)?.[1];
    assert.ok(inspector, on.stdout);
    assert.match(on.stdout, /DevTools:\s+devtools:\/\/devtools\/bundled\/js_app\.html\?experiments=true&v8only=true&ws=127\.0\.0\.1:\d+\//);
    assert.match(on.stdout, /"request": "attach"/);
    const pid = Number(/worker pid (\d+)/.exec(on.stdout)![1]);
    assert.equal(await evaluate(inspector, 'process.pid'), pid);
    const res = await request(port, { host: 'debuggee.localhost' });
    assert.equal(res.headers['x-pid'], String(pid), 'the debug worker serves the app');

    const info = await berth(['debug', 'debuggee', 'info', '--json'], env);
    assert.equal(JSON.parse(info.stdout).webSocketUrl, inspector);

    const snapshot = await berth(['snapshot', 'debuggee'], env);
    assert.equal(snapshot.code, 0, snapshot.stderr);
    const file = /: (\S+\.heapsnapshot) \(/.exec(snapshot.stdout)![1]!;
    assert.ok(file.startsWith(path.join(dir, 'home', 'snapshots')));
    assert.ok(JSON.parse(await readFile(file, 'utf8')).snapshot);

    const profile = await berth(['profile', 'debuggee', '--seconds', '1'], env);
    assert.equal(profile.code, 0, profile.stderr);
    assert.match(profile.stdout, /\.cpuprofile \(\d+ KB\)/);

    const off = await berth(['debug', 'debuggee', 'off'], env);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /debugging is off/);
    const usage = await berth(['debug', 'debuggee', 'sideways'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /must be on, off or info/);
  } finally {
    interrupt(child);
    await new Promise((r) => child.on('exit', r));
    await cleanup();
  }
});
