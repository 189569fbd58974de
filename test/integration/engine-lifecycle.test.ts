/** The engine's own lifecycle: stopping apps and the engine cleans up workers and their endpoints. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { addRunningApp, startEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually, isAlive } from '../helpers/wait.js';

test('stopping an app and the engine stops its workers and removes their socket files', async () => {
  const { dir, cleanup } = await tempDir();
  const t = await startEngine();
  try {
    const folder = await copyFixture('counter', dir, 'lifecycle');
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 2\n');
    const app = await addRunningApp(t, folder);
    const workers = app.workers();
    assert.equal(workers.length, 2);
    for (const w of workers) {
      assert.equal(w.state, 'ready');
      if (process.platform !== 'win32') assert.ok(existsSync(w.endpoint), `${w.endpoint} exists while the worker runs`);
    }
    assert.equal((await request(t.port, { host: 'lifecycle.localhost' })).status, 200);

    await app.stop();
    assert.equal(app.state, 'stopped');
    for (const w of workers) {
      assert.equal(w.state, 'exited');
      assert.equal(w.exitInfo?.expected, true);
      assert.ok(!isAlive(w.pid!));
      if (process.platform !== 'win32') await eventually(() => !existsSync(w.endpoint), 2000);
    }
    const stopped = await request(t.port, { host: 'lifecycle.localhost' });
    assert.equal(stopped.status, 503);
    assert.match(stopped.body, /The app lifecycle is stopped/);

    await app.start();
    await t.waitFor((e) => e.type === 'app-state' && e.app === 'lifecycle' && e.state === 'running' && app.workers().every((w) => w.state === 'ready'));
    assert.equal((await request(t.port, { host: 'lifecycle.localhost' })).body, 'Hello, world 1');
  } finally {
    await t.stop();
    await cleanup();
  }
});

test('a crashed worker is reported and replaced right away', async () => {
  const { dir, cleanup } = await tempDir();
  const t = await startEngine();
  try {
    const app = await addRunningApp(t, await copyFixture('counter', dir, 'replaced'));
    const [first] = app.workers();
    process.kill(first!.pid!, 'SIGKILL');
    const exit = await t.waitFor((e) => e.type === 'worker-exit' && e.pid === first!.pid);
    assert.ok(exit.type === 'worker-exit');
    assert.equal(exit.expected, false);
    // Windows ends a process with an exit code (TerminateProcess) and reports no signal.
    if (process.platform === 'win32') assert.equal(exit.signal, null);
    else assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.restartInMs, 100);
    await eventually(() => app.workers()[0]?.state === 'ready' && app.workers()[0] !== first, 5000);
    assert.equal((await request(t.port, { host: 'replaced.localhost' })).body, 'Hello, world 1');
  } finally {
    await t.stop();
    await cleanup();
  }
});
