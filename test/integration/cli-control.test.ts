/**
 * The `berth` commands as a user runs them: a real `berth serve` child process with its own Berth home (BERTH_HOME),
 * and each command a child process of its own that finds the engine through the discovery file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AppSummary } from '../../core/control/protocol.js';
import { interrupt } from '../helpers/interrupt.js';
import { request } from '../helpers/http.js';
import { freeLoopbackPort as freePort } from '../../core/worker/free-port.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const BERTH = path.join(REPO, 'bin', 'berth.js');

let dir: string;
let cleanup: () => Promise<void>;
let home: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-cli-'));
  home = path.join(dir, 'home');
  env = { ...process.env, BERTH_HOME: home, NODE_PATH: path.join(REPO, 'node_modules') };
});
after(() => cleanup());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function berth(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: options.env ?? env, cwd: options.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Served {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

/** `berth serve` with no folders (the remembered apps), until its control API is announced. */
async function serve(): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BERTH, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let text = '';
  child.stdout!.on('data', (c) => (text += c));
  child.stderr!.on('data', (c) => (text += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(() => /Control API on ws:/.test(text) || child.exitCode !== null, 15_000).catch(() => false);
  if (!/Control API on ws:\/\/127\.0\.0\.1:\d+\/control/.test(text)) {
    child.kill('SIGKILL'); // it must not outlive the test
    assert.fail(`berth serve announced no control API (exit ${child.exitCode}); its output:\n${text}`);
  }
  return {
    child,
    port,
    output: () => text,
    exited,
    stop: async () => {
      interrupt(child);
      return exited;
    },
  };
}

function ok(run: Run, pattern?: RegExp): void {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  if (pattern) assert.match(run.stdout, pattern);
}

function failed(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.match(run.stderr, pattern);
}

describe('berth commands against a running engine', () => {
  test('with no engine running: exit 3 and how to start one; a left-over discovery file is recognised', async () => {
    failed(await berth(['ls']), 3, /^No Berth engine is running \(none is registered in .*home\)\. Start one with `npx berth serve`\.\n$/);
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'engine.json'), JSON.stringify({ pid: 2 ** 22 + 12345, url: 'ws://127.0.0.1:9/control', host: '127.0.0.1', port: 9, frontUrl: '', version: '', startedAt: 0 }));
    failed(await berth(['status']), 3, /No Berth engine is running: .*engine\.json is left over from one that stopped \(the engine that wrote it \(pid \d+\) is no longer running\)/);
    // A Berth home that cannot be a folder: serve says so, the commands find no engine there.
    const unusable = { ...env, BERTH_HOME: path.join(home, 'engine.json', 'home') };
    failed(await berth(['serve', '--port', '0'], { env: unusable }), 1, /^berth: Berth cannot use its home folder .*engine\.json[\\/]home \(creating it: ENOTDIR\)\. Make it writable for this user, or set BERTH_HOME to a folder that is\.\n$/);
    failed(await berth(['ls'], { env: unusable }), 3, /No Berth engine is running \(none is registered in /);
    // Usage errors are reported as such, engine or not.
    failed(await berth(['start']), 2, /berth start: expected one app name/);
    failed(await berth(['ls', '--bogus']), 2, /berth ls: Unknown option '--bogus'/);
    failed(await berth(['frobnicate']), 2, /unknown command "frobnicate"/);
  });

  test('serve with no folders, then add, ls, status, logs, stop/start/restart/recycle, disable/enable, config, remove', async () => {
    const served = await serve();
    try {
      ok(await berth(['ls']), /^No apps\. Add one with `npx berth add <folder>`\.\n$/);
      const folder = await copyFixture('chatty', dir, 'shop');

      // add, relative to the command's folder
      const added = await berth(['add', 'shop']);
      ok(added, new RegExp(`^Added shop \\(Berth remembers it\\)\\.\\nshop is running: http://shop\\.localhost:${served.port}/ \\(1 worker\\)\\n$`));
      failed(await berth(['add', folder]), 1, /berth add: .*is already hosted as shop\./);
      assert.match((await request(served.port, { host: 'shop.localhost' })).body, /^ok \d+/);

      // ls and status, as text and JSON
      const ls = await berth(['ls']);
      ok(ls, /^name\s+state\s+workers\s+url\s+folder\nshop\s+running\s+1\/1\s+http:\/\/shop\.localhost:\d+\/\s+.*shop\n$/);
      const list = JSON.parse((await berth(['ls', '--json'])).stdout) as AppSummary[];
      assert.deepEqual(list.map((a) => [a.name, a.state, a.folder]), [['shop', 'running', folder]]);
      // The first memory sample comes within a second of the worker's start; each check is a whole CLI run, which on a
      // loaded machine (or under Wine) takes seconds: the deadline only bounds a failure.
      const firstSample = async () => (JSON.parse((await berth(['status', '--json'])).stdout) as { apps: { workerList: { memory: unknown }[] }[] }).apps[0]!.workerList[0]!.memory !== null;
      await eventually(firstSample, 30_000, 200);
      const status = await berth(['status']);
      ok(status, /control API\s+ws:\/\/127\.0\.0\.1:\d+\/control/);
      assert.match(status.stdout, /app\s+state\s+workers\s+memory\s+cpu\s+req\/s\s+active\s+restarts\nshop\s+running\s+1\/1\s+\d+(\.\d)? MB/);
      assert.match(status.stdout, /shop workers:\n {2}pid \d+\s+ready\s+up (\d+[dhm] )?\d+[smh]\s+\d+(\.\d)? MB\s+heap/);
      assert.match(status.stdout, /\nshop {2}Lane: fast\n/);
      const statusJson = JSON.parse((await berth(['status', '--json'])).stdout) as { engine: { mode: string; pid: number }; apps: { name: string; workerList: unknown[]; lane: string; laneReasons: string[] }[] };
      assert.equal(statusJson.engine.mode, 'registry');
      assert.equal(statusJson.engine.pid, served.child.pid);
      assert.equal(statusJson.apps[0]!.workerList.length, 1);
      assert.deepEqual([statusJson.apps[0]!.lane, statusJson.apps[0]!.laneReasons], ['fast', []]);

      // logs: the latest lines, stderr only, and following
      await request(served.port, { host: 'shop.localhost', path: '/print?lines=3&tag=out' });
      await request(served.port, { host: 'shop.localhost', path: '/print?lines=1&tag=err&stream=stderr' });
      await eventually(async () => (await berth(['logs', 'shop'])).stderr.includes('err 000000000'), 30_000, 200);
      const logs = await berth(['logs', 'shop', '-n', '2']);
      ok(logs);
      assert.match(logs.stdout, /^\[shop \d+\] out 000000002 x*\n$/);
      assert.match(logs.stderr, /^\[shop \d+\] err 000000000 x*\n$/);
      const errorsOnly = await berth(['logs', 'shop', '--stderr']);
      assert.equal(errorsOnly.stdout, '');
      assert.match(errorsOnly.stderr, /err 000000000/);
      const follower = spawn(process.execPath, [BERTH, 'logs', 'shop', '-f', '-n', '0'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let followed = '';
      follower.stdout!.on('data', (c) => (followed += c));
      const followerExit = new Promise<number | null>((resolve) => follower.on('exit', resolve));
      // `logs -f` prints nothing when its subscription starts: print live lines until the follower shows some.
      await eventually(
        async () => {
          await request(served.port, { host: 'shop.localhost', path: '/print?lines=2&tag=live' });
          return followed.includes('live 000000001');
        },
        20_000,
        250,
      );
      assert.doesNotMatch(followed, /out 0000/);
      interrupt(follower); // Ctrl+C (over IPC on Windows, where kill('SIGINT') is TerminateProcess)
      assert.equal(await followerExit, 0);

      // lifecycle
      ok(await berth(['stop', 'shop']), /^shop is stopped/);
      assert.equal((await request(served.port, { host: 'shop.localhost' })).status, 503);
      failed(await berth(['recycle', 'shop']), 1, /is stopped; there is nothing to recycle/);
      ok(await berth(['start', 'shop']), /^shop is running: http:\/\/shop\.localhost:\d+\/ \(1 worker\)\n$/);
      ok(await berth(['restart', 'shop']), /^shop restarted: /);
      ok(await berth(['recycle', 'shop']), /^shop upgraded to generation \d+ \(1 worker\); the previous one drains gracefully\.\n$/);
      ok(await berth(['disable', 'shop']), /^shop is disabled and stopped; it stays stopped when the engine starts again\.\n$/);
      ok(await berth(['ls']), /shop\s+stopped \(disabled\)/);
      ok(await berth(['enable', 'shop']), /^shop is enabled: it starts with the engine\.\nshop is running/);
      failed(await berth(['start', 'nope']), 1, /^berth start: There is no app named "nope"\. The apps are: shop\.\n$/);

      // config: write (comments kept), read with sources, refuse a typo
      await writeFile(path.join(folder, 'berth.yml'), '# tuned by hand\nmaxLogFiles: 4\n');
      await eventually(async () => (await berth(['config', 'shop'])).stdout.includes('maxLogFiles'), 30_000, 200);
      const set = await berth(['config', 'shop', 'nodeProcessCountPerApplication=2', '--unset', 'maxLogFiles']);
      ok(set, /^nodeProcessCountPerApplication: \(not set\) → 2\nmaxLogFiles: 4 → \(removed\)\nWritten to .*berth\.yml\. shop recycles gracefully to apply it\.\n$/);
      assert.equal(await readFile(path.join(folder, 'berth.yml'), 'utf8'), '# tuned by hand\nnodeProcessCountPerApplication: 2\n');
      await eventually(async () => (JSON.parse((await berth(['ls', '--json'])).stdout) as AppSummary[])[0]!.readyWorkers === 2, 30_000, 200);
      ok(await berth(['config', 'shop']), /^shop: settings file .*berth\.yml\nsetting\s+value\s+from\nnodeProcessCountPerApplication\s+2\s+berth\.yml:2\n$/);
      failed(await berth(['config', 'shop', 'nodeProcessCountPerAplication=3']), 1, /Did you mean "nodeProcessCountPerApplication"\?/);

      // status <app>: the lane, and why not the fast one once a setting needs the proxy (after the recycle)
      ok(await berth(['config', 'shop', 'enableXFF=true']), /shop recycles gracefully to apply it/);
      await eventually(async () => (await berth(['status', 'shop'])).stdout.includes('Lane: proxy'), 30_000, 200);
      const one = await berth(['status', 'shop']);
      ok(one, /\nshop {2}Lane: proxy — enableXFF adds X-Forwarded-For to every request\n/);
      const oneJson = JSON.parse((await berth(['status', 'shop', '--json'])).stdout) as { apps: AppSummary[] };
      assert.deepEqual(oneJson.apps.map((a) => [a.name, a.lane, a.laneReasons]), [['shop', 'proxy', ['enableXFF adds X-Forwarded-For to every request']]]);
      failed(await berth(['status', 'nope']), 1, /^berth status: There is no app named "nope"/);
      failed(await berth(['status', 'shop', 'nope']), 2, /^berth status: expected at most one app: berth status \[app\], not "nope" as well\.\n$/);

      // one engine per Berth home
      failed(await berth(['serve', '--port', '0']), 1, /Another Berth engine is already running from .*home \(pid \d+, http:\/\/127\.0\.0\.1:\d+\/\)/);
    } finally {
      assert.equal(await served.stop(), 0);
    }
    assert.ok(!existsSync(path.join(home, 'engine.json')), 'a clean stop removes the discovery file');
    failed(await berth(['ls']), 3, /No Berth engine is running/);
  });

  test('the next `berth serve` hosts the remembered app; remove forgets it', async () => {
    const served = await serve();
    try {
      await eventually(() => /\[shop\] running/.test(served.output()), 15_000);
      ok(await berth(['ls']), /shop\s+running\s+2\/2/);
      ok(await berth(['remove', 'shop']), /^Removed shop \(and forgot it\)\. Its folder was not touched\.\n$/);
      ok(await berth(['ls']), /^No apps/);
      assert.match(await readFile(path.join(home, 'apps.yml'), 'utf8'), /^apps: \[\]$/m);
    } finally {
      await served.stop();
    }
  });

  test('config env.NAME=value gives the app a variable its workers see, listed as •••• only; --unset env.NAME removes it', async () => {
    const served = await serve();
    try {
      const folder = await copyFixture('app-env', dir, 'envy');
      ok(await berth(['add', folder]), /^Added envy /);
      const secret = `cli-secret-${process.pid}-${Date.now().toString(36)}`;
      const seen = async () => (JSON.parse((await request(served.port, { host: 'envy.localhost', path: '/env?name=GREETING' })).body) as { values: { GREETING: string | null } }).values.GREETING;
      assert.equal(await seen(), null);

      const set = await berth(['config', 'envy', `env.GREETING=${secret}`]);
      ok(set, /^env\.GREETING: .*\nWritten to .*berth\.yml \(created\)\. envy recycles gracefully to apply it\.\n$/);
      assert.equal(set.stdout.includes(secret), false, `the value is printed back: ${set.stdout}`);
      assert.match(await readFile(path.join(folder, 'berth.yml'), 'utf8'), new RegExp(`^env:\\n {2}GREETING: ${secret}$`, 'm'));
      // The recycled workers have it.
      await eventually(async () => (await seen()) === secret, 30_000, 200);

      // The listing names it with a mask and where it is written, never the value (text and JSON).
      const listed = await berth(['config', 'envy']);
      ok(listed, /^env\s+value\s+from\nGREETING\s+••••\s+berth\.yml:\d+\n/m);
      assert.equal(listed.stdout.includes(secret), false, `the listing shows the value: ${listed.stdout}`);
      const json = await berth(['config', 'envy', '--json']);
      ok(json);
      assert.deepEqual((JSON.parse(json.stdout) as { env: { name: string }[] }).env.map((v) => v.name), ['GREETING']);
      assert.equal(json.stdout.includes(secret), false, 'config --json carries the value');
      // Nor in the app's events or the engine's own output.
      const events = await berth(['events', 'envy', '--json']);
      ok(events);
      assert.equal(events.stdout.includes(secret), false, 'an event carries the value');
      assert.equal(served.output().includes(secret), false, 'the engine printed the value');

      // A name Berth sets is refused, naming it.
      failed(await berth(['config', 'envy', 'env.PORT=1']), 1, /PORT/);

      const unset = await berth(['config', 'envy', '--unset', 'env.GREETING']);
      ok(unset, /^env\.GREETING: .*→ \(removed\)\nWritten to .*berth\.yml\. envy recycles gracefully to apply it\.\n$/);
      assert.equal(unset.stdout.includes(secret), false);
      await eventually(async () => (await seen()) === null, 30_000, 200);
      assert.doesNotMatch(await readFile(path.join(folder, 'berth.yml'), 'utf8'), /GREETING/);
      const after = await berth(['config', 'envy']);
      ok(after);
      assert.doesNotMatch(after.stdout, /GREETING|^env\s/m);
      ok(await berth(['remove', 'envy']), /^Removed envy/);
    } finally {
      await served.stop();
    }
  });
});
