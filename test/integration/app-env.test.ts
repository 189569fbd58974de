/**
 * Per-app environment variables (berth.yml's `env:`), against a real engine with real workers: they reach
 * process.env in every worker (over the engine's environment, under Berth's own), a bad name is refused with
 * file:line and the fix while the running version keeps serving, config.set and a hand edit recycle the app into the
 * new values, and no value ever shows in events, the history file, the app's log files or API answers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeControlClient as ControlClient } from '../../core/control/client.js';
import { ControlError } from '../../core/control/client.js';
import type { EngineEvent } from '../../core/events.js';
import { startTestService, type TestService } from '../helpers/control.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const NEW_SECRET = `rotated-${randomBytes(6).toString('hex')}`;

let t: TestService;
let client: ControlClient;
let dir: string;
let folder: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-appenv-'));
  t = await startTestService();
  client = await t.connect();
});
after(async () => {
  await t.stop();
  await cleanup();
});

interface EnvAnswer {
  pid: number;
  values: Record<string, string | null>;
}

async function ask(names: string[]): Promise<EnvAnswer> {
  const query = names.map((n) => `name=${encodeURIComponent(n)}`).join('&');
  const res = await request(t.service.engine.port, { host: 'envapp.localhost', path: `/env?${query}`, agent: false });
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as EnvAnswer;
}

/** Asks until `workers` different worker processes have answered; their answers by pid. */
async function everyWorker(names: string[], workers: number): Promise<Map<number, EnvAnswer['values']>> {
  const seen = new Map<number, EnvAnswer['values']>();
  await eventually(async () => {
    const answer = await ask(names);
    seen.set(answer.pid, answer.values);
    return seen.size >= workers;
  }, 20_000);
  return seen;
}

function eventsSince(index: number, app: string): EngineEvent[] {
  return t.events.slice(index).filter((e) => 'app' in e && e.app === app);
}

async function filesUnder(folderPath: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folderPath, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

describe('per-app environment variables', { timeout: 120_000 }, () => {
  test('berth.yml env reaches process.env in both workers, over the engine\'s environment and under Berth\'s own', async () => {
    folder = await copyFixture('app-env', dir, 'envapp');
    await writeFile(
      path.join(folder, 'berth.yml'),
      [
        '# two workers, each with the app\'s variables',
        'nodeProcessCountPerApplication: 2',
        'env:',
        `  API_TOKEN: ${SECRET}`,
        '  RETRIES: 3',
        '  VERBOSE: true',
        '  ZIP: 0123',
        '  FROM_ENGINE: overridden',
        '',
      ].join('\n'),
    );
    const engineEnv = t.service.engine.env;
    engineEnv.FROM_ENGINE = 'engine';
    engineEnv.ONLY_ENGINE = 'inherited';
    const added = await client.call('apps.add', { folder });
    assert.equal(added.state, 'running');
    const workers = await everyWorker(['API_TOKEN', 'RETRIES', 'VERBOSE', 'ZIP', 'FROM_ENGINE', 'ONLY_ENGINE', 'PORT'], 2);
    assert.equal(workers.size, 2);
    for (const values of workers.values()) {
      assert.equal(values.API_TOKEN, SECRET);
      assert.equal(values.RETRIES, '3');
      assert.equal(values.VERBOSE, 'true');
      assert.equal(values.ZIP, '0123', 'a number is kept as written');
      assert.equal(values.FROM_ENGINE, 'overridden', "the app's value wins over the engine's");
      assert.equal(values.ONLY_ENGINE, 'inherited');
      assert.ok(values.PORT && values.PORT !== '', "Berth's PORT is there");
    }
  });

  test('config.get and apps.get show the names and lines, never the values', async () => {
    const view = await client.call('config.get', { app: 'envapp' });
    const file = path.join(folder, 'berth.yml');
    assert.deepEqual(view.env, [
      { name: 'API_TOKEN', file, line: 4 },
      { name: 'RETRIES', file, line: 5 },
      { name: 'VERBOSE', file, line: 6 },
      { name: 'ZIP', file, line: 7 },
      { name: 'FROM_ENGINE', file, line: 8 },
    ]);
    const detail = await client.call('apps.get', { app: 'envapp' });
    assert.doesNotMatch(JSON.stringify(view) + JSON.stringify(detail) + JSON.stringify(await client.call('apps.list')), new RegExp(SECRET));
  });

  test('config.set writes env into berth.yml, reports masked changes, and the app recycles into the new values', async () => {
    const before = t.events.length;
    const result = await client.call('config.set', { app: 'envapp', env: { API_TOKEN: NEW_SECRET, EXTRA: 'added', ZIP: null } });
    assert.equal(result.takesEffect, 'recycle');
    assert.deepEqual(
      result.changes.map((c) => [c.setting, c.from, c.to]),
      [
        ['env.API_TOKEN', '••••', '••••'],
        ['env.EXTRA', null, '••••'],
        ['env.ZIP', '••••', null],
      ],
    );
    const text = await readFile(path.join(folder, 'berth.yml'), 'utf8');
    assert.match(text, new RegExp(`^  API_TOKEN: ${NEW_SECRET}$`, 'm'));
    assert.match(text, /^ {2}EXTRA: added$/m);
    assert.doesNotMatch(text, /ZIP/);
    assert.match(text, /^# two workers/);
    await t.waitFor((e) => t.events.indexOf(e) >= before && e.type === 'recycle-succeeded' && e.app === 'envapp', 30_000);
    const written = eventsSince(before, 'envapp').find((e) => e.type === 'settings-written');
    assert.ok(written && written.type === 'settings-written');
    assert.deepEqual(written.changes, [
      { setting: 'env.API_TOKEN', to: '••••' },
      { setting: 'env.EXTRA', to: '••••' },
      { setting: 'env.ZIP', to: null },
    ]);
    // Every worker of the new generation answers with the new values.
    const current = (await client.call('apps.get', { app: 'envapp' })).workerList.map((w) => w.pid);
    assert.equal(current.length, 2);
    const workers = await everyWorker(['API_TOKEN', 'EXTRA', 'ZIP'], 2);
    for (const pid of current) assert.deepEqual(workers.get(pid!), { API_TOKEN: NEW_SECRET, EXTRA: 'added', ZIP: null }, `worker ${pid}`);
    // The configuration the app now runs with: the new names.
    assert.deepEqual((await client.call('config.get', { app: 'envapp' })).env.map((v) => v.name), ['API_TOKEN', 'RETRIES', 'VERBOSE', 'FROM_ENGINE', 'EXTRA']);
  });

  test('config.set refuses a name Berth owns or an invalid one, naming it and the fix; the file is unchanged', async () => {
    const text = await readFile(path.join(folder, 'berth.yml'), 'utf8');
    for (const [env, message] of [
      [{ PORT: '8080' }, /env: PORT: PORT is set by Berth.*portMode: tcp/],
      [{ BERTH_SECRET: 'x' }, /names starting with BERTH_ are Berth's own/],
      [{ '1BAD': 'x' }, /"1BAD" is not a valid environment variable name\. Use letters, digits and _ only/],
    ] as const) {
      try {
        await client.call('config.set', { app: 'envapp', env });
        assert.fail('expected INVALID_SETTING');
      } catch (error) {
        assert.ok(error instanceof ControlError, String(error));
        assert.equal(error.code, 'INVALID_SETTING');
        assert.match(error.message, message);
        assert.equal(error.details?.setting, 'env');
      }
    }
    assert.equal(await readFile(path.join(folder, 'berth.yml'), 'utf8'), text);
  });

  test('a bad key written by hand is refused with file, line, key and fix; the running version keeps serving', async () => {
    const file = path.join(folder, 'berth.yml');
    const good = await readFile(file, 'utf8');
    const before = t.events.length;
    await writeFile(file, `${good}  PORT: 1234\n  NESTED:\n    a: ${SECRET}\n`);
    const failed = await t.waitFor((e) => t.events.indexOf(e) >= before && e.type === 'recycle-failed' && e.app === 'envapp', 30_000);
    assert.ok(failed.type === 'recycle-failed');
    const lines = good.split('\n').length;
    assert.match(failed.detail, new RegExp(`berth\\.yml:${lines}:3: env: PORT: PORT is set by Berth.* Remove it`));
    assert.match(failed.detail, new RegExp(`berth\\.yml:${lines + 1}:3: env: NESTED is a map; an environment variable holds one text value\\. Write it on one line`));
    assert.doesNotMatch(failed.detail, new RegExp(SECRET));
    assert.equal(failed.stillServing !== null, true);
    assert.equal((await ask(['API_TOKEN'])).values.API_TOKEN, NEW_SECRET);
    // Fixed by hand: the next change recycles again.
    const fixedAt = t.events.length;
    await writeFile(file, good.replace('EXTRA: added', 'EXTRA: again'));
    await t.waitFor((e) => t.events.indexOf(e) >= fixedAt && e.type === 'recycle-succeeded' && e.app === 'envapp', 30_000);
    await eventually(async () => (await ask(['EXTRA'])).values.EXTRA === 'again', 20_000);
  });

  test('no value is in the events, the history file, the app\'s log files or the engine\'s answers', async () => {
    await client.call('config.set', { app: 'envapp', env: { API_TOKEN: null } });
    const history = await client.call('events.history', { app: 'envapp' });
    await t.service.engine.history.flush();
    const historyFiles = (await filesUnder(t.home)).filter((f) => /history|events/i.test(path.basename(f)));
    assert.ok(historyFiles.length > 0, 'the history file was written');
    const logFiles = (await filesUnder(path.join(folder, 'iisnode'))).filter((f) => f.endsWith('.txt') || f.endsWith('.log') || f.endsWith('.html'));
    assert.ok(logFiles.length > 0, 'the app wrote log files');
    const texts = [
      JSON.stringify(t.events),
      JSON.stringify(history),
      JSON.stringify(await client.call('logs.get', { app: 'envapp', lines: 5000 })),
      JSON.stringify(await client.call('apps.get', { app: 'envapp' })),
      ...(await Promise.all([...historyFiles, ...logFiles].map((f) => readFile(f, 'utf8')))),
    ];
    for (const secret of [SECRET, NEW_SECRET]) {
      for (const text of texts) assert.equal(text.includes(secret), false, `${secret} found`);
    }
    // The history did record what happened: the variables' names.
    assert.ok(history.events.some((e) => e.event.type === 'settings-written' && e.event.changes.some((c) => c.setting === 'env.API_TOKEN')));
  });
});
