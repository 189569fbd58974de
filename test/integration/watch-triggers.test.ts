/**
 * The file watcher on real folders with chokidar's native backend: what triggers a recycle, and how often.
 * Timing is tolerant (a busy 2-core machine): triggers are awaited for seconds, and "no trigger" is proven by a later
 * change whose trigger comes first and alone (`settle()`), not by waiting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEBOUNCE_MS, watchApp } from '../helpers/watch.js';
import { PATIENCE } from '../helpers/wine.js';



describe('watcher triggers (native backend)', () => {
  test('a change to a matching top-level file triggers once, naming the file', async (t) => {
    const app = await watchApp(t, { 'server.js': 'one', 'readme.txt': 'x' });
    const started = Date.now();
    await app.write('server.js', 'two');
    const trigger = await app.trigger();
    const latency = Date.now() - started;
    t.diagnostic(`trigger ${latency} ms after the write (debounce ${DEBOUNCE_MS} ms)`);
    assert.deepEqual(trigger, { files: ['server.js'], first: 'server.js', count: 1, reason: 'server.js changed' });
    assert.ok(latency >= DEBOUNCE_MS - 20, `waited for the quiet window (${latency} ms)`);
    await app.settle(); // exactly one trigger
  });

  test('non-matching files do not trigger: readme.txt, and a .js file in a subfolder for *.js', async (t) => {
    const app = await watchApp(t, { 'server.js': 'one', 'readme.txt': 'x', 'lib/util.js': 'x' });
    await app.write('readme.txt');
    await app.write('lib/util.js');
    await app.write('lib/new.js');
    await app.write('notes.md');
    // The watcher is alive: a matching change written after (and among) non-matching ones is reported alone, and
    // first: none of the earlier writes triggered.
    await app.write('readme.txt');
    await app.write('server.js');
    await app.write('lib/util.js');
    assert.deepEqual((await app.trigger()).files, ['server.js']);
    await app.settle();
  });

  test('200 files written in a burst give exactly one trigger listing them', async (t) => {
    const names = Array.from({ length: 200 }, (_, i) => `mod${String(i).padStart(3, '0')}.js`);
    // A burst is writes without a quiet window between them. Writing 200 files can take longer than 300 ms on a busy
    // machine, which is then two bursts by definition; a wider window keeps this test's writes one burst. Under Wine
    // the events themselves come out of chokidar over seconds (it checks each event with a stat() in turn, and a
    // Wine stat() is a round trip to wineserver: 200 took 5-8 s on the loaded lane machine), so the window is wider.
    const windowMs = 1500 * PATIENCE;
    const app = await watchApp(t, Object.fromEntries(names.map((n) => [n, 'v1'])), { debounceMs: windowMs, maxWaitMs: 20_000 * PATIENCE });
    // Like a `git checkout`: every tracked file rewritten at once.
    await Promise.all(names.map((n) => app.write(n, 'v2')));
    const trigger = await app.trigger();
    await app.settle(); // one trigger for the whole burst
    assert.equal(trigger.count, 200);
    assert.equal(trigger.files.length, 100, 'the list is capped');
    assert.equal(new Set(trigger.files).size, 100);
    for (const file of trigger.files) assert.ok(names.includes(file), file);
    assert.equal(trigger.first, trigger.files[0]);
    assert.match(trigger.reason, /^200 files changed \(mod\d{3}\.js, mod\d{3}\.js, mod\d{3}\.js, …\)$/);
  });

  test('deleting a watched file triggers; creating a matching file triggers', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x', 'old.js': 'x' });
    await app.remove('old.js');
    assert.equal((await app.trigger(1)).reason, 'old.js deleted');
    await app.write('fresh.js');
    assert.equal((await app.trigger(2)).reason, 'fresh.js added');
  });

  test('deleting a folder triggers for the watched files it held', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x', 'lib/a.js': 'x', 'lib/deep/b.js': 'x', 'lib/c.txt': 'x' }, { watchedFiles: 'lib/**/*.js' });
    await app.remove('lib');
    const trigger = await app.trigger();
    assert.deepEqual([...trigger.files].sort(), ['lib/a.js', 'lib/deep/b.js']);
  });

  test('berth.yml and iisnode.yml trigger even when watchedFiles omits them', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x' }, { watchedFiles: 'lib\\*.js' });
    await app.write('berth.yml', 'nodeProcessCountPerApplication: 2\n');
    assert.equal((await app.trigger(1)).reason, 'berth.yml added');
    await app.write('iisnode.yml', 'nodeProcessCountPerApplication: 2\n');
    assert.equal((await app.trigger(2)).reason, 'iisnode.yml added');
    await app.write('server.js');
    await app.settle('iisnode.yml'); // server.js is not in lib\*.js
  });

  test('iisnode test 121: a missing pattern folder is tolerated, and counts once created', async (t) => {
    const app = await watchApp(t, { 'hello.js': 'x' }, { watchedFiles: '*.js;idontexist\\*' });
    assert.deepEqual(app.watcher.warnings, []);
    // Folder and file appear together, as a checkout or an unzip makes them.
    await app.write('idontexist/settings.json', '{}');
    const trigger = await app.trigger();
    assert.deepEqual(trigger.files, ['idontexist/settings.json']);
    assert.equal(trigger.reason, 'idontexist/settings.json added');
    await app.write('idontexist/settings.json', '{"a":1}');
    assert.equal((await app.trigger(2)).reason, 'idontexist/settings.json changed');
  });

  test('** watches any depth; !**/*.test.js excludes test files', async (t) => {
    const app = await watchApp(t, { 'server.js': 'x', 'lib/a.js': 'x', 'lib/a.test.js': 'x' }, { watchedFiles: '**/*.js;!**/*.test.js' });
    await app.write('lib/a.test.js');
    await app.write('b.test.js');
    await app.write('lib/deep/er/c.test.js');
    // Test files are excluded: the first trigger names only the later d.js.
    await app.write('lib/deep/er/d.js');
    await app.write('lib/a.test.js');
    assert.deepEqual((await app.trigger()).files, ['lib/deep/er/d.js']);
    await app.settle();
  });
});
