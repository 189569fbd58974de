/**
 * Writing settings into a user's berth.yml / iisnode.yml: comments, blank lines, order, key spelling, line endings and
 * BOM survive; everything is validated before anything is written; what is written reads back through Berth's loader.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../core/config/load.js';
import { planChanges, SettingsFileError, suggestSetting, writeSettings } from '../../core/control/settings-file.js';
import { tempDir } from '../helpers/paths.js';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
before(async () => ({ dir, cleanup } = await tempDir('berth-settings-')));
after(() => cleanup());

/** A fresh app folder holding `name` with `text`. */
async function appWith(name: string, text: string | undefined): Promise<{ folder: string; file: string }> {
  const folder = path.join(dir, `app-${++n}`);
  await mkdir(folder);
  const file = path.join(folder, name);
  if (text !== undefined) await writeFile(file, text);
  return { folder, file };
}

const BERTH_YML = `# Settings for the shop.
# Two workers: one per core on the build box.

nodeProcessCountPerApplication: 2   # keep in sync with the VM
maxLogFiles: 10

# Recycle on template changes too
watchedFiles: '*.js;views/*.hbs'
DevErrorsEnabled: false
`;

describe('writeSettings: keeps what the user wrote', () => {
  test('a value changes in place, a new key is appended, comments, blank lines, order and spelling stay', async () => {
    const { folder, file } = await appWith('berth.yml', BERTH_YML);
    const result = await writeSettings({ file, env: {}, patch: { nodeProcessCountPerApplication: 4, devErrorsEnabled: true, loadBalancing: 'LEASTBUSY' } });
    assert.equal(result.created, false);
    assert.deepEqual(result.changes, [
      { setting: 'nodeProcessCountPerApplication', key: 'nodeProcessCountPerApplication', from: 2, to: 4 },
      { setting: 'devErrorsEnabled', key: 'DevErrorsEnabled', from: false, to: true },
      { setting: 'loadBalancing', key: 'loadBalancing', from: null, to: 'leastBusy' },
    ]);
    const text = await readFile(file, 'utf8');
    assert.equal(
      text,
      `# Settings for the shop.
# Two workers: one per core on the build box.

nodeProcessCountPerApplication: 4 # keep in sync with the VM
maxLogFiles: 10

# Recycle on template changes too
watchedFiles: '*.js;views/*.hbs'
DevErrorsEnabled: true
loadBalancing: leastBusy
`,
    );
    const loaded = await loadConfig(folder, { env: {} });
    assert.equal(loaded.settings.nodeProcessCountPerApplication, 4);
    assert.equal(loaded.settings.devErrorsEnabled, true);
    assert.equal(loaded.settings.loadBalancing, 'leastBusy');
    assert.equal(loaded.settings.watchedFiles, '*.js;views/*.hbs');
  });

  test('removing a key (null) keeps the comment lines above it', async () => {
    const { folder, file } = await appWith('berth.yml', BERTH_YML);
    const result = await writeSettings({ file, env: {}, patch: { watchedFiles: null, nodeProcessCountPerApplication: null } });
    assert.deepEqual(result.changes.map((c) => [c.setting, c.to]), [['watchedFiles', null], ['nodeProcessCountPerApplication', null]]);
    const text = await readFile(file, 'utf8');
    assert.doesNotMatch(text, /watchedFiles|nodeProcessCountPerApplication/);
    for (const comment of ['# Settings for the shop.', '# Two workers: one per core on the build box.', '# Recycle on template changes too']) assert.ok(text.includes(comment), `${comment} is kept:\n${text}`);
    assert.ok(text.indexOf('# Recycle on template changes too') < text.indexOf('DevErrorsEnabled'));
    const loaded = await loadConfig(folder, { env: {} });
    assert.deepEqual(loaded.sources.watchedFiles, { kind: 'default' });
    assert.equal(loaded.settings.maxLogFiles, 10);
  });

  test('removing the last key keeps its comment at the end', async () => {
    const { file } = await appWith('berth.yml', 'maxLogFiles: 3\n# about the hostname\nhostname: shop\n');
    await writeSettings({ file, env: {}, patch: { hostname: null } });
    assert.equal(await readFile(file, 'utf8'), 'maxLogFiles: 3\n# about the hostname\n');
  });

  test('iisnode.yml: iisnode\'s way of writing it (no space after the colon, bare wildcards) still reads the same', async () => {
    const { folder, file } = await appWith('iisnode.yml', '# from IIS\nnodeProcessCountPerApplication:1\nwatchedFiles: *.js;iisnode.yml\nnodeProcessCommandLine: "C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=512\n');
    await writeSettings({ file, env: {}, patch: { loggingEnabled: false, nodeProcessCommandLine: '"C:\\Program Files\\nodejs\\node.exe" --inspect' } });
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# from IIS\nnodeProcessCountPerApplication: 1\n/);
    assert.match(text, /^loggingEnabled: false$/m);
    const loaded = await loadConfig(folder, { env: {} });
    assert.equal(loaded.file, file);
    assert.equal(loaded.settings.nodeProcessCountPerApplication, 1);
    assert.equal(loaded.settings.watchedFiles, '*.js;iisnode.yml');
    assert.equal(loaded.settings.loggingEnabled, false);
    assert.equal(loaded.settings.nodeProcessCommandLine, '"C:\\Program Files\\nodejs\\node.exe" --inspect');
  });

  test('Windows line endings and a byte-order mark are kept', async () => {
    const { file } = await appWith('berth.yml', '\uFEFF# shop\r\nmaxLogFiles: 3\r\n');
    await writeSettings({ file, env: {}, patch: { maxLogFiles: 4, enableXFF: true } });
    assert.equal(await readFile(file, 'utf8'), '\uFEFF# shop\r\nmaxLogFiles: 4\r\nenableXFF: true\r\n');
  });

  test('a missing file is created; %VAR% values are written as given and checked expanded', async () => {
    const { folder, file } = await appWith('berth.yml', undefined);
    const env = { LOGROOT: path.join(dir, 'logs') };
    const result = await writeSettings({ file, env, patch: { logDirectory: '%LOGROOT%\\shop', node_env: 'production' } });
    assert.equal(result.created, true);
    assert.equal(await readFile(file, 'utf8'), "logDirectory: '%LOGROOT%\\shop'\nnode_env: production\n");
    assert.equal((await loadConfig(folder, { env })).settings.logDirectory, `${env.LOGROOT}\\shop`);
  });

  test('values that would read as another type are quoted (a hostname of digits stays text)', async () => {
    const { folder, file } = await appWith('berth.yml', 'hostname: shop\n');
    await writeSettings({ file, env: {}, patch: { hostname: '123', promoteServerVars: 'REMOTE_ADDR,HTTP_X_A' } });
    const loaded = await loadConfig(folder, { env: {} });
    assert.equal(loaded.settings.hostname, '123');
    assert.equal(loaded.settings.promoteServerVars, 'REMOTE_ADDR,HTTP_X_A');
  });

  test('writing the values a file already has changes nothing on disk', async () => {
    const { file } = await appWith('berth.yml', 'maxLogFiles:   7   # seven\n');
    const before = await stat(file);
    const result = await writeSettings({ file, env: {}, patch: { maxLogFiles: 7 } });
    assert.deepEqual(result.changes, [{ setting: 'maxLogFiles', key: 'maxLogFiles', from: 7, to: 7 }]);
    assert.equal(await readFile(file, 'utf8'), 'maxLogFiles:   7   # seven\n');
    assert.equal((await stat(file)).mtimeMs, before.mtimeMs);
  });
});

describe('writeSettings: validates everything before writing anything', () => {
  async function refused(patch: Record<string, unknown>, code: string, message: RegExp, text = BERTH_YML): Promise<void> {
    const { file } = await appWith('berth.yml', text);
    await assert.rejects(writeSettings({ file, env: {}, patch }), (e: unknown) => {
      assert.ok(e instanceof SettingsFileError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), text, 'the file is untouched');
  }

  test('an unknown setting, with "did you mean"; even next to a valid one', () =>
    refused({ maxLogFiles: 3, nodeProcessCountPerAplication: 2 }, 'UNKNOWN_SETTING', /"nodeProcessCountPerAplication" is not a Berth setting\. Did you mean "nodeProcessCountPerApplication"\?/));

  test('an invalid value says what is expected', () => refused({ maxLogFiles: -1 }, 'INVALID_SETTING', /maxLogFiles: -1 is negative\. Expected a whole number of at least 0/));

  test('an enum value not in the list', () => refused({ loadBalancing: 'random' }, 'INVALID_SETTING', /one of roundRobin, leastBusy/));

  test('a setting iisnode never allowed in a file', () => refused({ configOverrides: 'x.yml' }, 'INVALID_SETTING', /cannot be set in a settings file.*BERTH_CONFIGOVERRIDES/));

  test('the same setting twice (by an alias)', () => refused({ debuggerPortRange: '6000-6001', debugPortRange: '6000-6002' }, 'INVALID_SETTING', /same setting/));

  test('a file that is not valid YAML is never rewritten', () => refused({ maxLogFiles: 3 }, 'SETTINGS_FILE_INVALID', /berth\.yml:\d+ is not valid YAML.*fix it by hand/, 'maxLogFiles: 3\n  bad: [\n'));

  test('a file that is a list, not settings', () => refused({ maxLogFiles: 3 }, 'SETTINGS_FILE_INVALID', /not a list of `key: value` lines/, '- a\n- b\n'));
});

describe('planChanges and suggestions', () => {
  test('values are normalised for writing: booleans and numbers from text, enum case', () => {
    assert.deepEqual(
      planChanges({ enableXFF: 'yes', maxLogFiles: '12', loadBalancing: 'leastbusy' }, {}).map((c) => [c.name, c.write]),
      [['enableXFF', true], ['maxLogFiles', 12], ['loadBalancing', 'leastBusy']],
    );
  });

  test('a shortened name is recognised', () => {
    assert.equal(suggestSetting('nodeProcessCount'), 'nodeProcessCountPerApplication');
    assert.equal(suggestSetting('maxlogfile'), 'maxLogFiles');
    assert.equal(suggestSetting('zzzz'), undefined);
  });
});
