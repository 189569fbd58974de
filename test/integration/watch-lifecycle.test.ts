/**
 * The file watcher's life cycle on real folders: forced polling (the backend used for network folders, exercised
 * here on a local folder), close() releasing everything, and errors reported rather than thrown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { watch } from 'chokidar';
import { createAppWatcher, type AppWatcherOptions, type ChangeTrigger } from '../../core/watch/index.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { DEBOUNCE_MS, QUIET_MS, watchApp } from '../helpers/watch.js';
import { PATIENCE } from '../helpers/wine.js';



/**
 * Runs a watcher in a child process that neither calls process.exit nor unrefs anything: it exits by itself only
 * if close() released every handle.
 */
async function childExitsAfterClose(t: TestContext, options: Partial<AppWatcherOptions>): Promise<string> {
  const { dir, cleanup } = await tempDir('berth-watch-child-');
  t.after(cleanup);
  await writeFile(path.join(dir, 'server.js'), 'one');
  const script = `
    const { createAppWatcher } = await import(process.argv[1]);
    const { writeFile } = await import('node:fs/promises');
    const options = JSON.parse(process.argv[2]);
    const watcher = createAppWatcher(options);
    watcher.on('error', (e) => console.log('error', e.message));
    await watcher.ready;
    const changed = new Promise((resolve) => watcher.once('change', resolve));
    await writeFile(options.root + '/server.js', 'two');
    console.log('trigger', (await changed).reason);
    await watcher.close();
    console.log('closed');
  `;
  const moduleUrl = pathToFileURL(path.join(REPO, 'dist', 'core', 'watch', 'index.js')).href;
  const childOptions = JSON.stringify({ root: dir, debounceMs: 100, ...options });
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, moduleUrl, childOptions], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Only a bound on a failure: a child that never exits is killed then (Node under Wine on a loaded machine takes
  // seconds just to start).
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000 * PATIENCE);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.equal(signal, null, `the child did not exit by itself after close(); output: ${output}`);
  assert.equal(code, 0, output);
  return output;
}

describe('watcher polling backend (forced)', () => {
  test('forcePolling polls: changes, additions, deletions and a late pattern folder all trigger', async (t) => {
    const files = { 'server.js': 'x', 'old.js': 'x', 'readme.txt': 'x' };
    const app = await watchApp(t, files, { watchedFiles: '*.js;idontexist\\*', forcePolling: true, pollingIntervalMs: 100 });
    assert.deepEqual(app.watcher.mode, { polling: true, reason: 'polling forced', intervalMs: 100 });
    await app.write('server.js', 'longer content');
    await app.write('readme.txt', 'not watched');
    assert.deepEqual(await app.trigger(1), { files: ['server.js'], first: 'server.js', count: 1, reason: 'server.js changed' });
    await app.write('new.js');
    assert.equal((await app.trigger(2)).reason, 'new.js added');
    await app.remove('old.js');
    assert.equal((await app.trigger(3)).reason, 'old.js deleted');
    await app.write('idontexist/a.txt');
    assert.equal((await app.trigger(4)).reason, 'idontexist/a.txt added');
    await app.settle();
  });

  test('BERTH_FORCE_POLLING=1 forces polling; the interval defaults to 5000 ms', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, { env: { BERTH_FORCE_POLLING: '1' } });
    assert.deepEqual(app.watcher.mode, { polling: true, reason: 'polling forced', intervalMs: 5000 });
    const started = Date.now();
    await app.write('server.js', 'a change of size');
    assert.equal((await app.trigger()).reason, 'server.js changed');
    t.diagnostic(`polling every 5000 ms: trigger ${Date.now() - started} ms after the write`);
  });

  test('a local folder is watched natively unless forced', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, { env: {} });
    assert.deepEqual(app.watcher.mode, { polling: false, reason: 'local folder', intervalMs: 5000 });
  });
});

describe('watcher close()', () => {
  test('no trigger after close, and no watch left', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' });
    assert.deepEqual(app.watcher.watchedFolders(), ['']);
    const closing = app.watcher.close();
    assert.equal(app.watcher.close(), closing, 'close() is idempotent');
    await closing;
    assert.equal(app.watcher.closed, true);
    assert.deepEqual(app.watcher.watchedFolders(), []);
    await app.write('server.js');
    await app.write('new.js');
    // Proving an absence with nothing later to wait for: a closed watcher reports nothing, so give a trigger the time
    // it would need (watchedFolders() above is the direct proof that nothing is watched).
    await sleep(QUIET_MS);
    assert.deepEqual(app.triggers, []);
  });

  test('changes still waiting for the quiet window are dropped by close', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, { debounceMs: 1500 });
    await app.write('server.js');
    await eventually(() => app.watcher.pending, 10_000);
    await app.watcher.close();
    assert.equal(app.watcher.pending, false);
    // Proving an absence with nothing later to wait for: a closed watcher reports nothing, so wait past the
    // window in which the dropped batch would have been reported.
    await sleep(2000);
    assert.deepEqual(app.triggers, []);
  });

  test('close() right after creation settles ready and close, and watches nothing', async (t) => {
    const { dir, cleanup } = await tempDir('berth-watch-');
    t.after(cleanup);
    const watcher = createAppWatcher({ root: dir, watchedFiles: '**/*' });
    const closed = watcher.close();
    await Promise.race([Promise.all([watcher.ready, closed]), sleep(10_000).then(() => assert.fail('ready/close did not settle'))]);
    assert.deepEqual(watcher.watchedFolders(), []);
  });

  test('the process exits by itself after close() (native backend)', async (t) => {
    const output = await childExitsAfterClose(t, {});
    assert.equal(output, 'trigger server.js changed\nclosed\n');
  });

  test('the process exits by itself after close() (polling backend)', async (t) => {
    const output = await childExitsAfterClose(t, { forcePolling: true, pollingIntervalMs: 100 });
    assert.equal(output, 'trigger server.js changed\nclosed\n');
  });
});

describe('watcher errors', () => {
  /** A real chokidar watcher whose instance the test can reach, to make it report an error. */
  function spyingWatch() {
    const made: ReturnType<typeof watch>[] = [];
    const deps = { watch: ((paths, options) => {
      const w = watch(paths, options);
      made.push(w);
      return w;
    }) as typeof watch };
    return { made, deps };
  }

  const emfile = () => Object.assign(new Error('EMFILE: too many open files, watch'), { code: 'EMFILE' });

  test('errors are emitted as error events and watching goes on', async (t) => {
    const { dir, cleanup } = await tempDir('berth-watch-');
    t.after(cleanup);
    await writeFile(path.join(dir, 'server.js'), 'x');
    const { made, deps } = spyingWatch();
    const watcher = createAppWatcher({ root: dir, debounceMs: DEBOUNCE_MS }, deps);
    t.after(() => watcher.close());
    const errors: Error[] = [];
    const triggers: ChangeTrigger[] = [];
    watcher.on('error', (error) => errors.push(error));
    watcher.on('change', (trigger) => triggers.push(trigger));
    await watcher.ready;
    assert.equal(made.length, 1);
    const error = emfile();
    made[0]!.emit('error', error);
    assert.deepEqual(errors, [error]);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'EMFILE');
    await writeFile(path.join(dir, 'server.js'), 'y');
    await eventually(() => triggers.length === 1, 10_000);
  });

  test('without an error listener an error becomes a process warning, never an exception', async (t) => {
    const { dir, cleanup } = await tempDir('berth-watch-');
    t.after(cleanup);
    const { made, deps } = spyingWatch();
    const watcher = createAppWatcher({ root: dir }, deps);
    t.after(() => watcher.close());
    await watcher.ready;
    const warning = once(process, 'warning') as Promise<[Error]>;
    assert.doesNotThrow(() => made[0]!.emit('error', emfile()));
    const [emitted] = await warning;
    assert.equal(emitted.name, 'BerthWatchWarning');
    assert.match(emitted.message, /file watcher for .*: EMFILE: too many open files/);
  });

  test('a non-Error thrown by the file system layer still arrives as an Error', async (t) => {
    const { dir, cleanup } = await tempDir('berth-watch-');
    t.after(cleanup);
    const { made, deps } = spyingWatch();
    const watcher = createAppWatcher({ root: dir }, deps);
    t.after(() => watcher.close());
    const errors: Error[] = [];
    watcher.on('error', (error) => errors.push(error));
    await watcher.ready;
    made[0]!.emit('error', 'EPERM: operation not permitted' as unknown as Error);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof Error);
    assert.equal(errors[0].message, 'EPERM: operation not permitted');
  });
});
