/**
 * The app registry on disk: changes are written atomically and survive a restart of the engine; a damaged file is kept
 * aside and reported, never overwritten; a file from a newer Berth is refused and left alone.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appSummaries, appSummary } from '../../core/control/views.js';
import { Engine } from '../../core/engine.js';
import type { EngineEvent } from '../../core/events.js';
import { parseRegistry } from '../../core/registry/format.js';
import { corruptStamp, Registry, RegistryError } from '../../core/registry/registry.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
before(async () => ({ dir, cleanup } = await tempDir('berth-registry-')));
after(() => cleanup());

async function freshHome(): Promise<string> {
  const home = path.join(dir, `home-${++n}`);
  await mkdir(home);
  return home;
}

// path.resolve: a POSIX-looking folder becomes a full path of this platform (on Windows, on the current drive).
const entry = (name: string, folder = path.resolve(`/srv/${name}`)) => ({ name, folder, enabled: true, overrides: {} });

describe('Registry file', () => {
  test('a missing file is an empty registry; each change is on disk at once, with nothing half-written left around', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    const { registry, problem } = await Registry.open(file);
    assert.equal(problem, undefined);
    assert.deepEqual(registry.entries, []);
    await registry.add(entry('shop'));
    await registry.add({ ...entry('blog'), overrides: { nodeProcessCountPerApplication: 2 } });
    await registry.update('shop', { enabled: false });
    assert.deepEqual(parseRegistry(await readFile(file, 'utf8')).data.apps, [
      { ...entry('shop'), enabled: false },
      { ...entry('blog'), overrides: { nodeProcessCountPerApplication: 2 } },
    ]);
    await registry.remove('shop');
    const reopened = await Registry.open(file);
    assert.deepEqual(reopened.registry.entries, [{ ...entry('blog'), overrides: { nodeProcessCountPerApplication: 2 } }]);
    assert.deepEqual(await readdir(home), ['apps.yml']);
  });

  test('changes asked for at the same time are written one after the other, none lost', async () => {
    const file = path.join(await freshHome(), 'apps.yml');
    const { registry } = await Registry.open(file);
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => registry.add(entry(name))));
    assert.deepEqual(registry.entries.map((e) => e.name), ['a', 'b', 'c', 'd']);
    assert.deepEqual((await Registry.open(file)).registry.entries.map((e) => e.name), ['a', 'b', 'c', 'd']);
  });

  test('a failed write changes nothing and says why', async () => {
    const home = await freshHome();
    await writeFile(path.join(home, 'not-a-folder'), '');
    const registry = Registry.empty(path.join(home, 'not-a-folder', 'apps.yml'));
    await assert.rejects(registry.add(entry('shop')), (e: unknown) => e instanceof RegistryError && e.code === 'WRITE_FAILED' && /could not save its app list .*ENOTDIR.*nothing was changed/.test(e.message));
    assert.deepEqual(registry.entries, []);
  });

  test('a damaged file is moved aside under a timestamped name, reported, and never overwritten', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    const damaged = 'version: 1\napps:\n  - folder: /srv/shop\n    enabled: maybe\n';
    await writeFile(file, damaged);
    const at = new Date('2025-03-04T05:06:07.089Z');
    const { registry, problem } = await Registry.open(file, { now: () => at });
    assert.equal(corruptStamp(at), '2025-03-04T05-06-07-089Z');
    assert.deepEqual(problem, {
      file,
      movedTo: `${file}.corrupt-2025-03-04T05-06-07-089Z`,
      reason: 'line 3: app 1: "enabled" must be true or false, not "maybe"',
    });
    assert.deepEqual(registry.entries, []);
    assert.equal(await readFile(problem.movedTo, 'utf8'), damaged);
    await registry.add(entry('blog'));
    assert.equal(await readFile(problem.movedTo, 'utf8'), damaged, 'the damaged file is kept as it was');
    assert.deepEqual(parseRegistry(await readFile(file, 'utf8')).data.apps.map((e) => e.name), ['blog']);
  });

  test('a file from a newer Berth is refused with advice and left where it is', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    await writeFile(file, 'version: 7\napps: []\n');
    await assert.rejects(Registry.open(file), (e: unknown) => e instanceof RegistryError && e.code === 'TOO_NEW' && /newer version of Berth \(format version 7; this Berth reads up to version 1\)\. Upgrade Berth/.test(e.message));
    assert.deepEqual(await readdir(home), ['apps.yml']);
  });

  test('a hand-written list of folders (format 0) is read, and written in the current format at the next change', async () => {
    const file = path.join(await freshHome(), 'apps.yml');
    await writeFile(file, '# my apps\n- /srv/shop\n- /srv/blog\n');
    const { registry, migratedFrom } = await Registry.open(file);
    assert.equal(migratedFrom, 0);
    assert.deepEqual(registry.entries.map((e) => e.name), ['shop', 'blog']);
    await registry.update('blog', { enabled: false });
    const text = await readFile(file, 'utf8');
    assert.match(text, /^version: 1$/m);
    assert.deepEqual(parseRegistry(text).data.apps.map((e) => [e.name, e.enabled]), [['shop', true], ['blog', false]]);
  });
});

describe('Engine with a registry', () => {
  async function engineFor(file: string): Promise<{ engine: Engine; events: EngineEvent[] }> {
    const { registry, problem } = await Registry.open(file);
    const engine = new Engine({
      port: 0,
      registry,
      ...(problem ? { registryProblem: problem } : {}),
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      watchFiles: false,
    });
    const events: EngineEvent[] = [];
    engine.on('event', (e) => events.push(e));
    await engine.start();
    return { engine, events };
  }

  test('apps are remembered across engine restarts: names, enabled state, order; a missing folder is kept and reported', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    const apps = path.join(dir, `apps-${n}`);
    await mkdir(apps);
    const shop = await copyFixture('counter', apps, 'shop');
    const blog = await copyFixture('counter', apps, 'blog');
    const gone = await copyFixture('counter', apps, 'gone');

    const first = await engineFor(file);
    try {
      await first.engine.addApp(shop);
      await first.engine.addApp(blog, { name: 'journal' });
      await first.engine.addApp(gone);
      await first.engine.setEnabled('journal', false);
      assert.deepEqual(appSummaries(first.engine).map((a) => [a.name, a.persisted, a.enabled]), [
        ['shop', true, true],
        ['journal', true, false],
        ['gone', true, true],
      ]);
    } finally {
      await first.engine.stop(2000);
    }
    await rename(gone, `${gone}-moved`);

    const second = await engineFor(file);
    try {
      const { engine, events } = second;
      await eventually(() => appSummary(engine, 'shop').state === 'running', 10_000);
      assert.deepEqual(appSummaries(engine).map((a) => [a.name, a.state, a.enabled]), [
        ['shop', 'running', true],
        ['journal', 'stopped', false],
        ['gone', 'missing', true],
      ]);
      const missing = appSummary(engine, 'gone');
      assert.match(missing.problem!.title, /The folder .*gone does not exist, so the app gone was not started\./);
      assert.match(missing.problem!.detail, /berth start gone.*berth remove gone/);
      assert.ok(events.some((e) => e.type === 'app-error' && e.app === 'gone'));
      // Nothing is forgotten: the missing app is still in the file.
      assert.deepEqual(parseRegistry(await readFile(file, 'utf8')).data.apps.map((a) => a.name), ['shop', 'journal', 'gone']);
      // Put back, it starts.
      await rename(`${gone}-moved`, gone);
      assert.equal(appSummary(engine, await engine.startApp('gone')).state, 'running');
      await engine.removeApp('gone');
      assert.deepEqual(parseRegistry(await readFile(file, 'utf8')).data.apps.map((a) => a.name), ['shop', 'journal']);
    } finally {
      await second.engine.stop(2000);
    }
  });

  test('adding the same folder twice is refused, and the registry keeps one entry', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    const folder = path.join(dir, `twice-${n}`);
    await cp(path.join(REPO, 'test', 'fixtures', 'helloworld'), folder, { recursive: true });
    const { engine } = await engineFor(file);
    try {
      await engine.addApp(folder, { start: false });
      await assert.rejects(engine.addApp(`${folder}/`), /is already hosted as twice-/);
      await assert.rejects(engine.addApp(path.join(dir, 'nowhere')), /is not a folder/);
      await assert.rejects(engine.addApp(path.join(REPO, 'test', 'fixtures', 'counter'), { name: appSummaries(engine)[0]!.name }), /already used by the app in/);
      await assert.rejects(engine.addApp(path.join(REPO, 'test', 'fixtures', 'counter'), { name: 'Not A Label' }), /cannot be an app name.*"not-a-label"/);
      assert.equal(parseRegistry(await readFile(file, 'utf8')).data.apps.length, 1);
    } finally {
      await engine.stop(2000);
    }
  });

  test('a damaged registry is reported by the engine as an event, and the engine starts', async () => {
    const home = await freshHome();
    const file = path.join(home, 'apps.yml');
    await writeFile(file, 'apps: {\n');
    const { engine, events } = await engineFor(file);
    try {
      const problem = events.find((e) => e.type === 'registry-problem');
      assert.ok(problem && problem.type === 'registry-problem');
      assert.match(problem.reason, /not valid YAML/);
      assert.equal(await readFile(problem.movedTo, 'utf8'), 'apps: {\n');
      assert.deepEqual(appSummaries(engine), []);
    } finally {
      await engine.stop(2000);
    }
  });
});
