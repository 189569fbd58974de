/**
 * The file watcher on real folders: what never triggers (node_modules, the log folder, .git), and that ignored
 * folders are not even watched. "No trigger" is proven without waiting: a change that does trigger, written after the
 * ignored ones, gives the first trigger and names only itself; `settle()` then shows nothing else was pending.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchApp } from '../helpers/watch.js';



describe('watcher ignores', () => {
  test('node_modules is neither watched nor triggering by default, even with **', async (t) => {
    const files = { 'server.js': 'x', 'node_modules/pkg/index.js': 'x', 'node_modules/part.js': 'x', 'lib/a.js': 'x' };
    const app = await watchApp(t, files, { watchedFiles: '**/*.js' });
    assert.deepEqual(app.watcher.watchedFolders(), ['', 'lib']);
    await app.write('node_modules/pkg/index.js');
    await app.write('node_modules/part.js');
    await app.write('node_modules/newpkg/lib/x.js');
    await app.write('node_modules/part.js');
    await app.write('lib/a.js');
    assert.deepEqual((await app.trigger()).files, ['lib/a.js'], 'the first trigger names only lib/a.js');
    await app.settle();
  });

  test('iisnode test 117: node_modules\\*.js watches files directly in node_modules', async (t) => {
    const files = { 'hello.js': 'x', 'node_modules/part.js': 'one', 'node_modules/pkg/index.js': 'x' };
    const app = await watchApp(t, files, { watchedFiles: '*.js;node_modules\\*.js' });
    assert.deepEqual(app.watcher.watchedFolders(), ['', 'node_modules']);
    await app.write('node_modules/part.js', 'two');
    const trigger = await app.trigger();
    assert.deepEqual(trigger.files, ['node_modules/part.js']);
    assert.equal(trigger.reason, 'node_modules/part.js changed');
    await app.write('node_modules/pkg/index.js');
    await app.settle(); // deeper node_modules files are not named by the pattern
  });

  test('the log folder inside the app folder never triggers, even with **/*', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x', 'iisnode/index.html': 'x' }, { watchedFiles: '**/*', logDirectory: 'iisnode' });
    assert.ok(!app.watcher.watchedFolders().includes('iisnode'));
    // A worker writing its log, line after line, and rotating into a new file.
    for (let i = 0; i < 10; i++) {
      await app.write('iisnode/host-1234-stdout-1.txt', `line ${i}\n`.repeat(i + 1));
      await sleep(50); // spaced like a real writer's lines, so each one is its own file event (no assertion waits on it)
    }
    await app.write('iisnode/host-1234-stdout-2.txt');
    await app.write('iisnode/index.html');
    await app.write('views/page.html');
    assert.deepEqual((await app.trigger()).files, ['views/page.html'], 'the first trigger names only views/page.html');
    await app.settle();
  });

  test('a nested log folder given as an absolute path is ignored too', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, (dir) => ({ watchedFiles: '**/*.txt', logDirectory: path.join(dir, 'data', 'logs') }));
    await app.write('data/logs/out.txt');
    await app.write('data/logs/2024/old.txt');
    await app.write('data/notes.txt');
    assert.deepEqual((await app.trigger()).files, ['data/notes.txt'], 'the first trigger names only data/notes.txt');
    await app.settle();
  });

  test('.git never triggers and is not watched, whatever the patterns', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x', '.git/HEAD': 'ref: refs/heads/main\n' }, { watchedFiles: '**/*;.git\\*' });
    assert.ok(!app.watcher.watchedFolders().includes('.git'));
    await app.write('.git/HEAD', 'ref: refs/heads/other\n');
    await app.write('.git/index.lock');
    await app.write('.git/objects/ab/cdef0123');
    await app.remove('.git/index.lock');
    await app.write('server.js');
    assert.deepEqual((await app.trigger()).files, ['server.js'], 'the first trigger names only server.js');
    await app.settle();
  });

  test('set-up problems are reported as warnings, and the usable entries still work', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, (dir) => ({ watchedFiles: '*.js;..\\shared\\*.js', logDirectory: dir }));
    assert.deepEqual(app.watcher.warnings, [
      'the log folder is the app folder itself: log files that match watchedFiles will recycle the app',
      'watchedFiles entry "..\\shared\\*.js" uses "..": only files inside the app folder can be watched',
    ]);
    await app.write('server.js');
    assert.equal((await app.trigger()).reason, 'server.js changed');
  });
});
