/**
 * Every call of the control API over a real socket, against a real engine hosting real worker processes.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeControlClient as ControlClient } from '../../core/control/client.js';
import { ControlError } from '../../core/control/client.js';
import { parseRegistry } from '../../core/registry/format.js';
import { startTestService, type TestService } from '../helpers/control.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

let t: TestService;
let client: ControlClient;
let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-control-'));
  t = await startTestService();
  client = await t.connect();
});
after(async () => {
  await t.stop();
  await cleanup();
});

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<ControlError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ControlError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/**
 * Waits until every recycle of the app that has started has ended. A file watcher's late trigger (config.set's write,
 * seen again under load) recycles outside the calls; a debugging call made during it finds no debug worker.
 */
async function recyclesEnded(app: string): Promise<void> {
  await eventually(() => {
    let running = 0;
    for (const e of t.events) {
      if (!('app' in e) || e.app !== app) continue;
      if (e.type === 'recycle-started') running++;
      else if (e.type === 'recycle-succeeded' || e.type === 'recycle-failed') running--;
      // A stop during a recycle ends it without a recycle-succeeded/failed (the app is stopped, not upgraded).
      else if (e.type === 'app-state' && e.state === 'stopped') running = 0;
    }
    return running <= 0;
  }, 30_000);
}

describe('control API: calls', () => {
  let shop: string;

  test('engine.info says where everything is', async () => {
    const info = await client.call('engine.info');
    assert.equal(info.pid, process.pid);
    assert.equal(info.protocol, 1);
    assert.equal(info.mode, 'registry');
    assert.equal(info.controlUrl, t.url);
    assert.equal(info.home, t.home);
    assert.equal(info.registryFile, path.join(t.home, 'apps.yml'));
    assert.equal(info.frontUrl, `http://127.0.0.1:${t.service.engine.port}/`);
  });

  test('apps.add starts the app, waits until it runs, and remembers it; apps.list shows it', async () => {
    shop = await copyFixture('chatty', dir, 'shop');
    await writeFile(path.join(shop, 'berth.yml'), '# two workers\nnodeProcessCountPerApplication: 2\n');
    const added = await client.call('apps.add', { folder: shop });
    assert.equal(added.name, 'shop');
    assert.equal(added.state, 'running');
    assert.equal(added.readyWorkers, 2);
    assert.equal(added.persisted, true);
    assert.equal(added.url, `http://shop.localhost:${t.service.engine.port}/`);
    assert.match((await request(t.service.engine.port, { host: 'shop.localhost' })).body, /^ok \d+/);
    const list = await client.call('apps.list');
    assert.deepEqual(list.map((a) => [a.name, a.state, a.workers, a.generation]), [['shop', 'running', 2, 1]]);
    const registry = parseRegistry(await readFile(path.join(t.home, 'apps.yml'), 'utf8')).data;
    assert.deepEqual(registry.apps, [{ name: 'shop', folder: shop, enabled: true, overrides: {} }]);
  });

  test('apps.add refuses the same folder, a file, and a taken name, each with a reason', async () => {
    await rejects(client.call('apps.add', { folder: shop }), 'ALREADY_ADDED', /is already hosted as shop/);
    await rejects(client.call('apps.add', { folder: path.join(shop, 'server.js') }), 'NOT_A_FOLDER', /is not a folder/);
    const other = await copyFixture('helloworld', dir, 'other');
    await rejects(client.call('apps.add', { folder: other, name: 'shop' }), 'NAME_TAKEN', /already used by the app in/);
    await rejects(client.call('apps.add', { folder: other, name: 'Not Valid' }), 'INVALID_NAME', /"not-valid"/);
  });

  test('apps.get: workers with pid, state, uptime, memory; configuration with the source of each value', async () => {
    // Memory comes from the workers' own reports, once a second.
    await eventually(async () => (await client.call('apps.get', { app: 'shop' })).workerList.every((w) => w.memory !== null), 5000);
    const detail = await client.call('apps.get', { app: 'shop' });
    assert.equal(detail.host, 'shop.localhost');
    assert.equal(detail.entry, path.join(shop, 'server.js'));
    assert.equal(detail.configFile, path.join(shop, 'berth.yml'));
    assert.equal(detail.workerList.length, 2);
    for (const [slot, worker] of detail.workerList.entries()) {
      assert.equal(worker.slot, slot);
      assert.equal(worker.generation, 1);
      assert.equal(worker.state, 'ready');
      assert.ok(worker.pid && worker.pid > 0);
      assert.ok(worker.uptimeMs >= 0);
      assert.ok(worker.memory!.rss > 10 * 1024 * 1024, `rss ${worker.memory!.rss}`);
      assert.ok(worker.memory!.heapUsed > 0 && worker.memory!.heapUsed <= worker.memory!.heapTotal);
    }
    const setting = (name: string) => detail.config.settings.find((s) => s.name === name)!;
    assert.deepEqual(setting('nodeProcessCountPerApplication').source, { kind: 'file', file: path.join(shop, 'berth.yml'), line: 2 });
    assert.equal(setting('nodeProcessCountPerApplication').value, 2);
    assert.deepEqual(setting('maxLogFiles').source, { kind: 'default' });
    assert.equal(setting('loadBalancing').kind, 'enum');
    assert.deepEqual(setting('loadBalancing').values, ['roundRobin', 'leastBusy']);
    await rejects(client.call('apps.get', { app: 'nope' }), 'APP_NOT_FOUND', /There is no app named "nope"\. The apps are: shop\./);
  });

  test('config.get shows values from the environment with the variable\'s name', async () => {
    const folder = await copyFixture('helloworld', dir, 'envapp');
    const engine = t.service.engine;
    const previous = engine.env.BERTH_MAXLOGFILES;
    engine.env.BERTH_MAXLOGFILES = '7';
    try {
      await client.call('apps.add', { folder, start: false });
      const view = await client.call('config.get', { app: 'envapp' });
      const maxLogFiles = view.settings.find((s) => s.name === 'maxLogFiles')!;
      assert.equal(maxLogFiles.value, 7);
      assert.deepEqual(maxLogFiles.source, { kind: 'env', name: 'BERTH_MAXLOGFILES' });
      assert.equal(view.file, path.join(folder, 'berth.yml'));
    } finally {
      if (previous === undefined) delete engine.env.BERTH_MAXLOGFILES;
      else engine.env.BERTH_MAXLOGFILES = previous;
      await client.call('apps.remove', { app: 'envapp' });
    }
  });

  test('config.set writes berth.yml keeping its comment; the watcher recycles the app and the setting takes effect', async () => {
    const before = t.events.length;
    const result = await client.call('config.set', { app: 'shop', settings: { nodeProcessCountPerApplication: 1, maxLogFiles: 5 } });
    assert.equal(result.file, path.join(shop, 'berth.yml'));
    assert.equal(result.takesEffect, 'recycle');
    assert.deepEqual(result.changes.map((c) => [c.setting, c.from, c.to]), [['nodeProcessCountPerApplication', 2, 1], ['maxLogFiles', null, 5]]);
    assert.equal(await readFile(path.join(shop, 'berth.yml'), 'utf8'), '# two workers\nnodeProcessCountPerApplication: 1\nmaxLogFiles: 5\n');
    await t.waitFor((e) => t.events.indexOf(e) >= before && e.type === 'recycle-succeeded' && e.app === 'shop', 20_000);
    const detail = await client.call('apps.get', { app: 'shop' });
    assert.equal(detail.workerList.length, 1);
    assert.equal(detail.generation, 2);
    assert.equal(detail.config.settings.find((s) => s.name === 'maxLogFiles')!.value, 5);
    assert.ok(t.events.some((e) => e.type === 'settings-written' && e.app === 'shop'));
  });

  test('config.set validates before writing: unknown settings get "did you mean", bad values what is expected', async () => {
    const text = await readFile(path.join(shop, 'berth.yml'), 'utf8');
    const unknown = await rejects(client.call('config.set', { app: 'shop', settings: { maxLogFile: 3 } }), 'UNKNOWN_SETTING', /Did you mean "maxLogFiles"\?/);
    assert.equal(unknown.details?.suggestion, 'maxLogFiles');
    await rejects(client.call('config.set', { app: 'shop', settings: { maxLogFiles: 'many' } }), 'INVALID_SETTING', /maxLogFiles: "many" is not a whole number\. Expected a whole number of at least 0\./);
    assert.equal(await readFile(path.join(shop, 'berth.yml'), 'utf8'), text);
  });

  test('apps.stop, apps.start, apps.restart: each answers once done, with the state', async () => {
    const stopped = await client.call('apps.stop', { app: 'shop' });
    assert.equal(stopped.state, 'stopped');
    assert.equal((await request(t.service.engine.port, { host: 'shop.localhost' })).status, 503);
    await rejects(client.call('apps.recycle', { app: 'shop' }), 'APP_NOT_RUNNING', /is stopped; there is nothing to recycle/);
    const started = await client.call('apps.start', { app: 'shop' });
    assert.equal(started.state, 'running');
    assert.equal((await request(t.service.engine.port, { host: 'shop.localhost' })).status, 200);
    const restarted = await client.call('apps.restart', { app: 'shop' });
    assert.equal(restarted.state, 'running');
    assert.ok(restarted.generation! > started.generation!);
  });

  test('apps.recycle: a new generation takes over, the answer comes once it serves', async () => {
    const before = (await client.call('apps.get', { app: 'shop' })).generation!;
    const result = await client.call('apps.recycle', { app: 'shop', reason: 'test' });
    assert.equal(result.ok, true);
    assert.equal(result.app.generation, before + 1);
    assert.ok(t.events.some((e) => e.type === 'recycle-started' && e.reason === 'test'));
  });

  test('apps.recycle reports a failed upgrade (the previous version keeps serving)', async () => {
    const serving = (await client.call('apps.get', { app: 'shop' })).generation!;
    await writeFile(path.join(shop, 'server.js'), 'throw new Error("broken on purpose");\n');
    const result = await client.call('apps.recycle', { app: 'shop' });
    assert.equal(result.ok, false);
    assert.match(result.problem!.title, /The new version's worker exited while starting/);
    assert.match(result.problem!.stderr ?? '', /broken on purpose/);
    assert.equal(result.app.generation, serving);
    assert.equal(result.app.lastUpgradeProblem?.title, result.problem!.title);
    await copyFixture('chatty', dir, 'shop');
  });

  test('apps.disable stops the app and remembers it; apps.enable starts it again', async () => {
    const disabled = await client.call('apps.disable', { app: 'shop' });
    assert.equal(disabled.state, 'stopped');
    assert.equal(disabled.enabled, false);
    assert.equal(parseRegistry(await readFile(path.join(t.home, 'apps.yml'), 'utf8')).data.apps[0]!.enabled, false);
    const enabled = await client.call('apps.enable', { app: 'shop' });
    assert.equal(enabled.state, 'running');
    assert.equal(enabled.enabled, true);
    assert.equal(parseRegistry(await readFile(path.join(t.home, 'apps.yml'), 'utf8')).data.apps[0]!.enabled, true);
  });

  test('logs.get: the latest lines, filtered by stream', async () => {
    await request(t.service.engine.port, { host: 'shop.localhost', path: '/print?lines=3&tag=out' });
    await request(t.service.engine.port, { host: 'shop.localhost', path: '/print?lines=2&tag=err&stream=stderr' });
    const seen = async () => (await client.call('logs.get', { app: 'shop', lines: 5 })).map((l) => l.text.slice(0, 13));
    await eventually(async () => (await seen()).includes('err 000000001') && (await seen()).includes('out 000000002'), 5000);
    const all = await client.call('logs.get', { app: 'shop', lines: 5 });
    assert.deepEqual(all.map((l) => l.text.slice(0, 13)).sort(), ['err 000000000', 'err 000000001', 'out 000000000', 'out 000000001', 'out 000000002']);
    const errors = await client.call('logs.get', { app: 'shop', lines: 2, streams: ['stderr'] });
    assert.deepEqual(errors.map((l) => [l.stream, l.text.slice(0, 13)]), [['stderr', 'err 000000000'], ['stderr', 'err 000000001']]);
    assert.equal((await client.call('logs.get', { app: 'shop', lines: 0 })).length, 0);
  });

  test('metrics.get and metrics.history: the app and its workers, second by second', async () => {
    await eventually(async () => (await client.call('metrics.history', { app: 'shop' })).samples.length >= 2, 5000);
    const latest = await client.call('metrics.get', { app: 'shop' });
    assert.equal(latest.apps.length, 1);
    assert.equal(latest.apps[0]!.app, 'shop');
    const history = await client.call('metrics.history', { app: 'shop', seconds: 2 });
    assert.equal(history.samples.length, 2);
    assert.ok(history.samples[1]!.t > history.samples[0]!.t);
    await rejects(client.call('metrics.history', { app: 'nope' }), 'APP_NOT_FOUND', /no app named "nope"/);
  });

  test('debugging calls: start gives attach information, info reports it, heap snapshots land in the home folder, stop', async () => {
    await recyclesEnded('shop');
    const started = await client.call('debug.start', { app: 'shop' });
    assert.equal(started.active, true);
    assert.equal(started.mode, 'exclusive');
    assert.match(started.webSocketUrl!, /^ws:\/\/127\.0\.0\.1:\d+\//);
    assert.match(started.devtoolsUrl!, /^devtools:\/\/devtools\/bundled\/js_app\.html/);
    assert.equal((started.vscode as { request?: string }).request, 'attach');
    assert.deepEqual(await client.call('debug.info', { app: 'shop' }), started);
    const snapshot = await client.call('debug.heapSnapshot', { app: 'shop' });
    assert.equal(snapshot.pid, started.pid);
    assert.ok(snapshot.file.startsWith(path.join(t.home, 'snapshots')));
    assert.ok(snapshot.bytes > 0);
    await rejects(client.call('debug.heapSnapshot', { app: 'shop', worker: 1 }), 'DEBUG_FAILED', /no worker with pid 1/);
    await rejects(client.call('debug.start', { app: 'shop', mode: 'sideways' as never }), 'INVALID_PARAMS', /"mode" must be "exclusive" or "cookie"/);
    const stopped = await client.call('debug.stop', { app: 'shop' });
    assert.deepEqual(stopped, { app: 'shop', active: false });
    await rejects(client.call('debug.start', { app: 'nope' }), 'APP_NOT_FOUND', /no app named/);
  });

  test('debug.start and a stop or restart asked together run one after the other in the app\'s queue', async () => {
    /** The app's events since `from`: where debugging started, and where the app began to stop. */
    const order = (from: number) => {
      const events = t.events.slice(from).filter((e) => 'app' in e && e.app === 'shop');
      return {
        debugStarted: events.findIndex((e) => e.type === 'debug-started'),
        stopping: events.findIndex((e) => e.type === 'app-state' && e.state === 'stopping'),
      };
    };
    await recyclesEnded('shop');
    let from = t.events.length;
    const [debugging, stopped] = await Promise.all([client.call('debug.start', { app: 'shop' }), client.call('apps.stop', { app: 'shop' })]);
    assert.equal(debugging.active, true, 'the debug worker started before the stop began');
    assert.equal(stopped.state, 'stopped');
    let seen = order(from);
    assert.ok(seen.debugStarted >= 0 && seen.stopping > seen.debugStarted, `debugging started, then the app stopped: ${JSON.stringify(seen)}`);
    assert.deepEqual(await client.call('debug.info', { app: 'shop' }), { app: 'shop', active: false });

    assert.equal((await client.call('apps.start', { app: 'shop' })).state, 'running');
    from = t.events.length;
    const [again, restarted] = await Promise.all([client.call('debug.start', { app: 'shop' }), client.call('apps.restart', { app: 'shop' })]);
    assert.equal(again.active, true);
    assert.equal(restarted.state, 'running');
    seen = order(from);
    assert.ok(seen.debugStarted >= 0 && seen.stopping > seen.debugStarted, `debugging started, then the restart began: ${JSON.stringify(seen)}`);
    assert.deepEqual(await client.call('debug.info', { app: 'shop' }), { app: 'shop', active: false }, 'the restart came back with the normal workers');
    assert.equal((await request(t.service.engine.port, { host: 'shop.localhost' })).status, 200);
  });

  test('apps.remove stops the app, forgets it, and leaves its folder alone', async () => {
    const removed = await client.call('apps.remove', { app: 'shop' });
    assert.deepEqual(removed, { app: 'shop', persisted: true });
    assert.deepEqual(await client.call('apps.list'), []);
    assert.deepEqual(parseRegistry(await readFile(path.join(t.home, 'apps.yml'), 'utf8')).data.apps, []);
    assert.ok((await readFile(path.join(shop, 'server.js'), 'utf8')).length > 0);
    await rejects(client.call('apps.remove', { app: 'shop' }), 'APP_NOT_FOUND', /No app is hosted; add one with `berth add <folder>`/);
  });
});
