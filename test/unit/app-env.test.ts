/**
 * berth.yml's `env:` (per-app environment variables) in the loader, the settings writer and the worker's
 * environment: values become text as written, bad names and nested values are refused with file:line and the fix
 * (never the value), the writer keeps the file's comments and reports changes masked, Berth's own variables win.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, formatIssue, loadConfig } from '../../core/config/load.js';
import { defaultSettings } from '../../core/config/schema.js';
import { SettingsFileError, writeSettings } from '../../core/control/settings-file.js';
import { ENV_MASK, envNameProblem, envValueText } from '../../core/shared/env-vars.js';
import { workerEnvironment } from '../../core/worker/launch.js';
import { tempDir } from '../helpers/paths.js';

let root: string;
let cleanup: () => Promise<void>;
let counter = 0;
before(async () => ({ dir: root, cleanup } = await tempDir('berth-appenv-unit-')));
after(() => cleanup());

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = path.join(root, `app${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function configError(text: string, name = 'berth.yml'): Promise<ConfigError> {
  const dir = await folderWith({ [name]: text });
  try {
    await loadConfig(dir, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

async function writeError(file: string, envPatch: Record<string, unknown>): Promise<SettingsFileError> {
  try {
    await writeSettings({ file, env: {}, patch: {}, envPatch });
  } catch (error) {
    assert.ok(error instanceof SettingsFileError, String(error));
    return error;
  }
  assert.fail('expected a SettingsFileError');
}

describe('env names and values (shared rules)', () => {
  test('portable names pass; invalid ones, PORT, NODE_EXTRA_CA_CERTS and BERTH_*/IISNODE_* (any case) are refused', () => {
    for (const name of ['API_URL', '_private', 'a1', 'NODE_ENV', 'NODE_OPTIONS', 'DATABASE_URL']) assert.equal(envNameProblem(name), undefined, name);
    for (const name of ['', '1A', 'A-B', 'A B', 'A.B', 'Ä']) assert.ok(envNameProblem(name), name);
    assert.match(envNameProblem('port')!.problem, /set by Berth/);
    assert.match(envNameProblem('NODE_EXTRA_CA_CERTS')!.fix, /environment Berth runs in/);
    assert.match(envNameProblem('berth_redirect_listen')!.problem, /starting with BERTH_ are Berth's own/);
    assert.match(envNameProblem('IISNODE_VERSION')!.problem, /starting with IISNODE_/);
  });

  test('values: text as is, numbers and booleans as written, nothing as empty, maps and lists refused', () => {
    assert.equal(envValueText('x'), 'x');
    assert.equal(envValueText(3), '3');
    assert.equal(envValueText(123, '0123'), '0123');
    assert.equal(envValueText(true), 'true');
    assert.equal(envValueText(null), '');
    assert.equal(envValueText({ a: 1 }), undefined);
    assert.equal(envValueText([1]), undefined);
  });
});

describe('loadConfig: env', () => {
  test('reads the map, with numbers and true/false as text (as written) and each variable\'s line', async () => {
    const dir = await folderWith({
      'berth.yml': "nodeProcessCountPerApplication: 2\nenv:\n  API_URL: https://example.com/a?b=c#d\n  RETRIES: 3\n  ZIP: 0123\n  RATIO: 1.10\n  ON: yes\n  FLAG: true\n  EMPTY:\n  STAR: *not-an-alias\n  QUOTED: '42'\nmaxLogFiles: 4\n",
    });
    const config = await loadConfig(dir, { env: {} });
    assert.deepEqual(config.env, {
      API_URL: 'https://example.com/a?b=c#d',
      RETRIES: '3',
      ZIP: '0123',
      RATIO: '1.10',
      ON: 'yes',
      FLAG: 'true',
      EMPTY: '',
      STAR: '*not-an-alias',
      QUOTED: '42',
    });
    assert.equal(config.envLines.API_URL, 3);
    assert.equal(config.envLines.QUOTED, 11);
    assert.equal(config.settings.maxLogFiles, 4);
    assert.deepEqual(config.warnings, []);
  });

  test('no env, or `env:` with nothing under it: no variables', async () => {
    assert.deepEqual((await loadConfig(await folderWith({ 'berth.yml': 'maxLogFiles: 3\n' }), { env: {} })).env, {});
    assert.deepEqual((await loadConfig(await folderWith({ 'berth.yml': 'env:\n' }), { env: {} })).env, {});
  });

  test('a bad name, a name Berth owns, a map or a list: errors with file:line, the variable and the fix, never the value', async () => {
    const error = await configError('env:\n  GOOD: fine\n  1BAD: hunter2\n  PORT: hunter2\n  berth_x: hunter2\n  NESTED:\n    inner: hunter2\n  LIST: [hunter2]\n');
    const lines = error.issues.map(formatIssue);
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.match(lines[0]!, /berth\.yml:3:3: env: "1BAD" is not a valid environment variable name\. Use letters, digits and _ only/);
    assert.match(lines[1]!, /berth\.yml:4:3: env: PORT: PORT is set by Berth.*Remove it/);
    assert.match(lines[2]!, /berth\.yml:5:3: env: berth_x: names starting with BERTH_ are Berth's own.*Use another name/);
    assert.match(lines[3]!, /berth\.yml:6:3: env: NESTED is a map; an environment variable holds one text value\. Write it on one line/);
    assert.match(lines[4]!, /berth\.yml:8:3: env: LIST is a list/);
    assert.deepEqual(error.issues.map((i) => i.key), ['env.1BAD', 'env.PORT', 'env.berth_x', 'env.NESTED', 'env.LIST']);
    assert.deepEqual(error.issues.map((i) => i.value), [ENV_MASK, ENV_MASK, ENV_MASK, 'a map', 'a list']);
    assert.doesNotMatch(JSON.stringify(error.issues) + error.message, /hunter2/);
  });

  test('env that is not a map, a name given twice (also in another case: Windows), env in iisnode.yml', async () => {
    assert.match(formatIssue((await configError('env: API=1\n')).issues[0]!), /berth\.yml:1:1: env must be a map of variable names to values\. Write `env:` then/);
    const twice = await configError('env:\n  API: a\n  api: b\n');
    assert.match(formatIssue(twice.issues[0]!), /berth\.yml:3:3: env: api is given twice \(as API on line 2; Windows does not tell names apart by case\)\. Keep one of the two lines\./);
    const iisnode = await configError('nodeProcessCountPerApplication: 1\nenv:\n', 'iisnode.yml');
    assert.match(formatIssue(iisnode.issues[0]!), /iisnode\.yml:2:1: env \(the app's environment variables\) is read from berth\.yml only.*Rename iisnode\.yml to berth\.yml/);
  });
});

describe('writeSettings: env', () => {
  test('adds, replaces and removes variables where they stand, keeping comments; changes are masked', async () => {
    const dir = await folderWith({ 'berth.yml': '# shop\nnodeProcessCountPerApplication: 2\nenv:\n  # the API\n  API_KEY: old-secret # rotate monthly\n  KEEP: 1\n  DROP: x\n' });
    const file = path.join(dir, 'berth.yml');
    const result = await writeSettings({ file, env: {}, patch: { maxLogFiles: 3 }, envPatch: { API_KEY: 'new-secret', DROP: null, NEW_ONE: 42, KEEP: '1', GONE: null } });
    assert.deepEqual(result.changes, [
      { setting: 'maxLogFiles', key: 'maxLogFiles', from: null, to: 3 },
      { setting: 'env.API_KEY', key: 'env.API_KEY', from: ENV_MASK, to: ENV_MASK, secret: true },
      { setting: 'env.DROP', key: 'env.DROP', from: ENV_MASK, to: null, secret: true },
      { setting: 'env.NEW_ONE', key: 'env.NEW_ONE', from: null, to: ENV_MASK, secret: true },
    ]);
    assert.doesNotMatch(JSON.stringify(result), /new-secret|old-secret/);
    const text = await readFile(file, 'utf8');
    assert.equal(text, "# shop\nnodeProcessCountPerApplication: 2\nenv:\n  # the API\n  API_KEY: new-secret # rotate monthly\n  KEEP: 1\n  NEW_ONE: '42'\nmaxLogFiles: 3\n");
    const config = await loadConfig(dir, { env: {} });
    assert.deepEqual(config.env, { API_KEY: 'new-secret', KEEP: '1', NEW_ONE: '42' });
  });

  test('creates env in a new file; removing the last variable removes env; the same value changes nothing', async () => {
    const dir = await folderWith({});
    const file = path.join(dir, 'berth.yml');
    const created = await writeSettings({ file, env: {}, patch: {}, envPatch: { TOKEN: 'a b: c', DEBUG: true } });
    assert.equal(created.created, true);
    assert.deepEqual((await loadConfig(dir, { env: {} })).env, { TOKEN: 'a b: c', DEBUG: 'true' });
    const same = await writeSettings({ file, env: {}, patch: {}, envPatch: { TOKEN: 'a b: c' } });
    assert.deepEqual(same.changes, []);
    await writeSettings({ file, env: {}, patch: {}, envPatch: { TOKEN: null, DEBUG: null } });
    assert.equal(await readFile(file, 'utf8'), '');
  });

  test('refuses bad names, names Berth owns, maps, the same name twice and iisnode.yml, writing nothing', async () => {
    const dir = await folderWith({ 'berth.yml': 'env:\n  A: 1\n' });
    const file = path.join(dir, 'berth.yml');
    assert.match((await writeError(file, { 'BAD NAME': 'x' })).message, /"BAD NAME" is not a valid environment variable name/);
    assert.match((await writeError(file, { IISNODE_X: 'x' })).message, /names starting with IISNODE_ are Berth's own/);
    assert.match((await writeError(file, { Port: 'x' })).message, /PORT is set by Berth/);
    assert.match((await writeError(file, { A: { nested: 'hunter2' } })).message, /env: A must be one text value \(or null to remove it\), not object\./);
    assert.match((await writeError(file, { KEY: 'a', key: 'b' })).message, /KEY and key are the same variable on Windows/);
    assert.equal(await readFile(file, 'utf8'), 'env:\n  A: 1\n');
    const iisDir = await folderWith({ 'iisnode.yml': 'maxLogFiles: 2\n' });
    const refused = await writeError(path.join(iisDir, 'iisnode.yml'), { A: 'x' });
    assert.match(refused.message, /kept in berth\.yml only, and this app uses iisnode\.yml\. Rename iisnode\.yml to berth\.yml/);
    assert.deepEqual(refused.details, { setting: 'env', file: path.join(iisDir, 'iisnode.yml') });
  });
});

describe('workerEnvironment: the app\'s variables', () => {
  test('over the inherited environment, under Berth\'s own', () => {
    const env = workerEnvironment({ SHARED: 'engine', NODE_ENV: 'development' }, { ...defaultSettings(), node_env: 'production' }, '/tmp/x.sock', 'linux', {
      SHARED: 'app',
      NODE_ENV: 'test',
      OWN: '1',
    });
    assert.equal(env.SHARED, 'app');
    assert.equal(env.OWN, '1');
    assert.equal(env.NODE_ENV, 'production', 'the node_env setting wins when set');
    assert.equal(env.PORT, '/tmp/x.sock');
  });

  test('on Windows the app\'s spelling replaces every other spelling of the name', () => {
    const env = workerEnvironment({ Api_Key: 'engine' }, defaultSettings(), '\\\\.\\pipe\\x', 'win32', { API_KEY: 'app' });
    assert.deepEqual(
      Object.keys(env).filter((k) => k.toUpperCase() === 'API_KEY'),
      ['API_KEY'],
    );
    assert.equal(env.API_KEY, 'app');
  });
});
