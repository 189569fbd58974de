/**
 * `berth` anywhere: the package `npm pack` makes holds the built CLI, engine, worker bootstrap and dashboard, and the
 * command runs from where it is installed, serving a folder somewhere else. The package is unpacked by hand next to
 * this checkout's dependencies (what `npm install -g` does, without the network).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { FIXTURES, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { skipUnderWine } from '../helpers/wine.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ dir, cleanup } = await tempDir('berth-pack-')));
after(() => cleanup());

describe('the npm package', () => {
  const notUnderWine = skipUnderWine('Wine has no tar.exe, and junctions create nothing');
  test('holds the built CLI, bootstrap and dashboard, and serves a folder from anywhere', { skip: notUnderWine }, async () => {
    // --ignore-scripts: the suite runs after a build; packing must not rebuild dist/ under the running tests.
    const { stdout } = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO, shell: process.platform === 'win32', windowsHide: true });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = new Set(packed!.files.map((f) => f.path));
    for (const needed of ['bin/berth.js', 'dist/core/cli/main.js', 'dist/core/worker/bootstrap.cjs', 'dist/renderer/index.html', 'package.json']) {
      assert.ok(files.has(needed), `the package holds ${needed}`);
    }
    assert.ok(![...files].some((f) => f.startsWith('dist/test/') || f.startsWith('test/') || f.startsWith('node_modules/')), 'no tests or dependencies in the package');

    const installed = path.join(dir, 'lib', 'node_modules', 'berth-desktop');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', path.join(dir, packed!.filename), '-C', installed, '--strip-components=1'], { windowsHide: true });
    // Its dependencies, as npm would install them next to it (this checkout's copies: no network in tests).
    await symlink(path.join(REPO, 'node_modules'), path.join(installed, 'node_modules'), 'junction');
    const elsewhere = path.join(dir, 'projects');
    await cp(path.join(FIXTURES, 'helloworld'), path.join(elsewhere, 'hello'), { recursive: true });
    const env = { ...process.env, BERTH_HOME: path.join(dir, 'home') };
    const berth = path.join(installed, 'bin', 'berth.js');

    const help = await run(process.execPath, [berth, '--help'], { cwd: elsewhere, env });
    assert.match(help.stdout, /^Berth \d+\.\d+\.\d+/);

    const child = spawn(process.execPath, [berth, 'serve', '--port', '0', 'hello'], { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await eventually(() => /\[hello\] running/.test(output) || child.exitCode !== null, 30_000);
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1]);
      assert.ok(port, output);
      const res = await request(port, { host: 'hello.localhost' });
      assert.equal(res.status, 200, output);
      assert.match(res.body, /Hello/);
      // The worker's bootstrap came from the installed package.
      assert.doesNotMatch(output, /Cannot find module/);
    } finally {
      interrupt(child);
      await exited;
    }
  });
});
