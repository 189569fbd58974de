import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adaptIisnodeYaml, ConfigError, formatIssue, loadConfig, type ConfigIssue, type LoadedConfig } from '../../core/config/load.js';
import { defaultSettings, SETTING_NAMES } from '../../core/config/schema.js';
import { tempDir } from '../helpers/paths.js';

let root: string;
let cleanup: () => Promise<void>;
let counter = 0;

before(async () => {
  ({ dir: root, cleanup } = await tempDir('berth-load-'));
});
after(async () => {
  await cleanup();
});

/** A fresh app folder holding the given files. */
async function folder(files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(root, `app${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function load(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; config: LoadedConfig }> {
  const dir = await folder(files);
  return { dir, config: await loadConfig(dir, { env }) };
}

async function loadError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; error: ConfigError }> {
  const dir = await folder(files);
  try {
    await loadConfig(dir, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return { dir, error };
  }
  assert.fail('expected loadConfig to throw a ConfigError');
}

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${JSON.stringify(items)}`);
  return items[0]!;
}

describe('loadConfig: defaults and sources', () => {
  test('no file, no environment: every default, every source "default", no file, no warnings', async () => {
    const { config } = await load({});
    assert.deepEqual(config.settings, defaultSettings());
    for (const name of SETTING_NAMES) assert.deepEqual(config.sources[name], { kind: 'default' }, name);
    assert.equal(config.file, undefined);
    assert.deepEqual(config.warnings, []);
  });

  test('does not read process.env when an env is given', async () => {
    const saved = process.env.BERTH_MAXLOGFILES;
    process.env.BERTH_MAXLOGFILES = '3';
    try {
      const { config } = await load({}, {});
      assert.equal(config.settings.maxLogFiles, 20);
    } finally {
      if (saved === undefined) delete process.env.BERTH_MAXLOGFILES;
      else process.env.BERTH_MAXLOGFILES = saved;
    }
  });

  test('file values report the file and the line they are on', async () => {
    const { dir, config } = await load({ 'berth.yml': '# comment\n\nnodeProcessCountPerApplication: 3\nloggingEnabled: false\n' });
    const file = path.join(dir, 'berth.yml');
    assert.equal(config.file, file);
    assert.equal(config.settings.nodeProcessCountPerApplication, 3);
    assert.equal(config.settings.loggingEnabled, false);
    assert.deepEqual(config.sources.nodeProcessCountPerApplication, { kind: 'file', file, line: 3 });
    assert.deepEqual(config.sources.loggingEnabled, { kind: 'file', file, line: 4 });
    assert.deepEqual(config.sources.maxLogFiles, { kind: 'default' });
  });

  test('keys in a file are matched case-insensitively', async () => {
    const { config } = await load({ 'berth.yml': 'NODEPROCESSCOUNTPERAPPLICATION: 4\nloggingenabled: no\n' });
    assert.equal(config.settings.nodeProcessCountPerApplication, 4);
    assert.equal(config.settings.loggingEnabled, false);
    assert.deepEqual(config.warnings, []);
  });

  test('YAML-typed and quoted values are coerced', async () => {
    const { config } = await load({ 'berth.yml': 'maxLogFiles: "7"\ndebugHeaderEnabled: "yes"\ndebuggerPortRange: 9229\nnode_env: production\n' });
    assert.equal(config.settings.maxLogFiles, 7);
    assert.equal(config.settings.debugHeaderEnabled, true);
    assert.equal(config.settings.debuggerPortRange, '9229');
    assert.equal(config.settings.node_env, 'production');
  });
});

describe('loadConfig: precedence', () => {
  test('file > BERTH_/IISNODE_ environment > default', async () => {
    const env = { BERTH_NODEPROCESSCOUNTPERAPPLICATION: '3', IISNODE_MAXLOGFILES: '9', BERTH_LOGGINGENABLED: 'false' };
    const { dir, config } = await load({ 'berth.yml': 'nodeProcessCountPerApplication: 2\n' }, env);
    assert.equal(config.settings.nodeProcessCountPerApplication, 2);
    assert.deepEqual(config.sources.nodeProcessCountPerApplication, { kind: 'file', file: path.join(dir, 'berth.yml'), line: 1 });
    assert.equal(config.settings.maxLogFiles, 9);
    assert.deepEqual(config.sources.maxLogFiles, { kind: 'env', name: 'IISNODE_MAXLOGFILES' });
    assert.equal(config.settings.loggingEnabled, false);
    assert.deepEqual(config.sources.loggingEnabled, { kind: 'env', name: 'BERTH_LOGGINGENABLED' });
    assert.equal(config.settings.maxTotalLogFileSizeInKB, 1024);
    assert.deepEqual(config.sources.maxTotalLogFileSizeInKB, { kind: 'default' });
  });

  test('BERTH_ beats IISNODE_ for the same setting', async () => {
    const { config } = await load({}, { IISNODE_MAXLOGFILES: '9', BERTH_MAXLOGFILES: '4' });
    assert.equal(config.settings.maxLogFiles, 4);
    assert.deepEqual(config.sources.maxLogFiles, { kind: 'env', name: 'BERTH_MAXLOGFILES' });
  });

  test('BERTH_ beats IISNODE_ whatever the order of the environment', async () => {
    const { config } = await load({}, { BERTH_MAXLOGFILES: '4', IISNODE_MAXLOGFILES: '9' });
    assert.equal(config.settings.maxLogFiles, 4);
  });

  test('environment names are matched case-insensitively and the source names the variable as written', async () => {
    const { config } = await load({}, { berth_maxLogFiles: '6', Iisnode_LoggingEnabled: 'FALSE', iisnode_debuggerportrange: '7000-7010' });
    assert.equal(config.settings.maxLogFiles, 6);
    assert.deepEqual(config.sources.maxLogFiles, { kind: 'env', name: 'berth_maxLogFiles' });
    assert.equal(config.settings.loggingEnabled, false);
    assert.deepEqual(config.sources.loggingEnabled, { kind: 'env', name: 'Iisnode_LoggingEnabled' });
    assert.equal(config.settings.debuggerPortRange, '7000-7010');
  });

  test('`key:` with no value in a file keeps the environment\'s value', async () => {
    const { config } = await load({ 'berth.yml': 'maxLogFiles:\nloggingEnabled:   # later\n' }, { BERTH_MAXLOGFILES: '7' });
    assert.equal(config.settings.maxLogFiles, 7);
    assert.deepEqual(config.sources.maxLogFiles, { kind: 'env', name: 'BERTH_MAXLOGFILES' });
    assert.equal(config.settings.loggingEnabled, true);
    assert.deepEqual(config.sources.loggingEnabled, { kind: 'default' });
    assert.deepEqual(config.warnings, []);
  });

  test('environment values are not %VAR%-expanded (as in iisnode), file values are', async () => {
    const env = { LOGROOT: 'D:\\logs', BERTH_NODE_ENV: '%STAGE%', STAGE: 'staging' };
    const { config } = await load({ 'berth.yml': "logDirectory: '%logroot%\\app'\n" }, env);
    assert.equal(config.settings.node_env, '%STAGE%');
    assert.equal(config.settings.logDirectory, 'D:\\logs\\app');
  });
});

describe('loadConfig: which file', () => {
  test('berth.yml wins over iisnode.yml, and a warning names the ignored file', async () => {
    const { dir, config } = await load({ 'berth.yml': 'maxLogFiles: 3\n', 'iisnode.yml': 'maxLogFiles: 5\nloggingEnabled: maybe\n' });
    assert.equal(config.file, path.join(dir, 'berth.yml'));
    assert.equal(config.settings.maxLogFiles, 3);
    const warning = only(config.warnings);
    assert.equal(warning.severity, 'warning');
    assert.equal(warning.file, path.join(dir, 'iisnode.yml'));
    assert.match(warning.message, /is ignored because berth\.yml is present/);
    assert.match(formatIssue(warning), new RegExp(`^${escapeRegExp(path.join(dir, 'iisnode.yml'))}: is ignored because berth\\.yml is present\\.`));
    assert.match(warning.fix ?? '', /berth\.yml/);
  });

  test('iisnode.yml is read when there is no berth.yml', async () => {
    const { dir, config } = await load({ 'iisnode.yml': 'nodeProcessCountPerApplication: 4\n' });
    assert.equal(config.file, path.join(dir, 'iisnode.yml'));
    assert.equal(config.settings.nodeProcessCountPerApplication, 4);
    assert.deepEqual(config.sources.nodeProcessCountPerApplication, { kind: 'file', file: path.join(dir, 'iisnode.yml'), line: 1 });
  });

  test('configOverrides in a file is ignored with a warning', async () => {
    const { dir, config } = await load({ 'berth.yml': 'maxLogFiles: 2\nconfigOverrides: custom.yml\n', 'custom.yml': 'maxLogFiles: 9\n' });
    assert.equal(config.settings.configOverrides, 'iisnode.yml');
    assert.equal(config.settings.maxLogFiles, 2);
    const warning = only(config.warnings);
    assert.equal(warning.file, path.join(dir, 'berth.yml'));
    assert.equal(warning.line, 2);
    assert.equal(warning.key, 'configOverrides');
    assert.match(warning.message, /configOverrides cannot be set in a file/);
    assert.match(warning.fix ?? '', /BERTH_CONFIGOVERRIDES/);
  });

  test('configOverrides in iisnode.yml is ignored too', async () => {
    const { config } = await load({ 'iisnode.yml': 'configOverrides: custom.yml\n', 'custom.yml': 'maxLogFiles: 9\n' });
    assert.equal(config.settings.configOverrides, 'iisnode.yml');
    assert.equal(config.settings.maxLogFiles, 20);
    assert.match(only(config.warnings).message, /cannot be set in a file/);
  });

  test('BERTH_CONFIGOVERRIDES=custom.yml makes the loader read custom.yml instead of iisnode.yml', async () => {
    const { dir, config } = await load(
      { 'custom.yml': 'maxLogFiles:9\n', 'iisnode.yml': 'maxLogFiles: 5\n' },
      { BERTH_CONFIGOVERRIDES: 'custom.yml' },
    );
    assert.equal(config.settings.configOverrides, 'custom.yml');
    assert.deepEqual(config.sources.configOverrides, { kind: 'env', name: 'BERTH_CONFIGOVERRIDES' });
    assert.equal(config.file, path.join(dir, 'custom.yml'));
    assert.equal(config.settings.maxLogFiles, 9); // read in the iisnode dialect: `key:value` works
    assert.deepEqual(config.warnings, []);
  });

  test('IISNODE_CONFIGOVERRIDES works too, and berth.yml still wins over the named file', async () => {
    const { dir, config } = await load({ 'berth.yml': 'maxLogFiles: 3\n', 'custom.yml': 'maxLogFiles: 9\n' }, { IISNODE_CONFIGOVERRIDES: 'custom.yml' });
    assert.equal(config.settings.maxLogFiles, 3);
    assert.equal(only(config.warnings).file, path.join(dir, 'custom.yml'));
  });

  test('an empty configOverrides from the environment disables iisnode.yml', async () => {
    const { config } = await load({ 'iisnode.yml': 'maxLogFiles: 5\n' }, { BERTH_CONFIGOVERRIDES: '' });
    assert.equal(config.file, undefined);
    assert.equal(config.settings.maxLogFiles, 20);
  });
});

describe('loadConfig: debugPortRange and debuggerPortRange', () => {
  for (const file of ['berth.yml', 'iisnode.yml']) {
    for (const key of ['debugPortRange', 'debuggerPortRange']) {
      test(`${key} in ${file}`, async () => {
        const { dir, config } = await load({ [file]: `\n${key}: 9000-9100\n` });
        assert.equal(config.settings.debuggerPortRange, '9000-9100');
        assert.deepEqual(config.sources.debuggerPortRange, { kind: 'file', file: path.join(dir, file), line: 2 });
        assert.deepEqual(config.warnings, []);
      });
    }
  }

  test('a bad range names the key as written', async () => {
    const { error } = await loadError({ 'berth.yml': 'debugPortRange: 80-90\n' });
    const issue = only(error.issues);
    assert.equal(issue.key, 'debugPortRange');
    assert.equal(issue.value, '80-90');
    assert.match(issue.message, /starts below 1025/);
    assert.match(issue.fix ?? '', /port range such as 5058-6058/);
  });
});

describe('loadConfig: errors', () => {
  test('a bad value names file, line, column, key, value and an expected-value fix', async () => {
    const { dir, error } = await loadError({ 'berth.yml': 'loggingEnabled: true\nnodeProcessCountPerApplication: ten\n' });
    const file = path.join(dir, 'berth.yml');
    const issue = only(error.issues);
    assert.deepEqual(issue, {
      severity: 'error',
      file,
      line: 2,
      column: 1,
      key: 'nodeProcessCountPerApplication',
      value: 'ten',
      message: 'nodeProcessCountPerApplication: "ten" is not a whole number.',
      fix: 'Expected a whole number from 0 to 256, for example `nodeProcessCountPerApplication: 1`.',
    });
    assert.equal(
      error.message,
      `${file}:2:1: nodeProcessCountPerApplication: "ten" is not a whole number. Expected a whole number from 0 to 256, for example \`nodeProcessCountPerApplication: 1\`.`,
    );
    assert.equal(error.name, 'ConfigError');
  });

  test('a bad value is never replaced by 0 or by the default', async () => {
    const { error } = await loadError({ 'berth.yml': 'nodeProcessCountPerApplication: -2\n' });
    assert.equal(only(error.issues).message, 'nodeProcessCountPerApplication: -2 is negative.');
  });

  test('a typed YAML value is shown without quotes', async () => {
    const { error } = await loadError({ 'berth.yml': 'nodeProcessCountPerApplication: 1000\n' });
    const issue = only(error.issues);
    assert.equal(issue.value, '1000');
    assert.equal(issue.message, 'nodeProcessCountPerApplication: 1000 is above 256.');
  });

  test('a bad environment value names the variable and how to fix it', async () => {
    const { error } = await loadError({}, { IISNODE_MAXLOGFILES: 'many' });
    const issue = only(error.issues);
    assert.equal(issue.env, 'IISNODE_MAXLOGFILES');
    assert.equal(issue.key, 'maxLogFiles');
    assert.equal(issue.value, 'many');
    assert.equal(issue.file, undefined);
    assert.equal(
      formatIssue(issue),
      'environment variable IISNODE_MAXLOGFILES: maxLogFiles "many" is not a whole number. Expected a whole number of at least 0; set IISNODE_MAXLOGFILES to a valid value or unset it.',
    );
  });

  test('a bad environment value is an error even when the file sets the same setting', async () => {
    const { error } = await loadError({ 'berth.yml': 'maxLogFiles: 3\n' }, { BERTH_MAXLOGFILES: 'x' });
    assert.equal(only(error.issues).env, 'BERTH_MAXLOGFILES');
  });

  test('several errors, from the environment and the file, are all reported', async () => {
    const { dir, error } = await loadError(
      { 'berth.yml': 'maxLogFiles: lots\nloggingEnabled: maybe\ndebuggerPortRange: 7000-6000\nhostname: my_app\n' },
      { BERTH_GRACEFULSHUTDOWNTIMEOUT: '-5' },
    );
    const file = path.join(dir, 'berth.yml');
    assert.equal(error.issues.length, 5);
    assert.deepEqual(
      error.issues.map((i) => [i.key, i.line ?? i.env]),
      [
        ['gracefulShutdownTimeout', 'BERTH_GRACEFULSHUTDOWNTIMEOUT'],
        ['maxLogFiles', 1],
        ['loggingEnabled', 2],
        ['debuggerPortRange', 3],
        ['hostname', 4],
      ],
    );
    for (const issue of error.issues) assert.equal(issue.severity, 'error');
    const lines = error.message.split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[1]!, new RegExp(`^${escapeRegExp(file)}:1:1: maxLogFiles: "lots" is not a whole number\\.`));
    assert.match(lines[2]!, /:2:1: loggingEnabled: "maybe" is not true or false\. Expected true or false, for example `loggingEnabled: true`\.$/);
    assert.match(lines[3]!, /:3:1: debuggerPortRange: "7000-6000" ends before it starts\./);
    assert.match(lines[4]!, /:4:1: hostname: "my_app" has an invalid DNS label "my_app"\. Expected a DNS name such as shop or shop\.localhost/);
  });

  test('a key given as a YAML list is an error', async () => {
    const { dir, error } = await loadError({ 'berth.yml': 'maxLogFiles: 3\nwatchedFiles:\n  - a.js\n  - b.js\n' });
    const issue = only(error.issues);
    assert.equal(issue.file, path.join(dir, 'berth.yml'));
    assert.equal(issue.line, 2);
    assert.equal(issue.key, 'watchedFiles');
    assert.match(issue.message, /must be a single value, not a list or a map/);
  });

  test('a key given as a YAML map is an error', async () => {
    const { error } = await loadError({ 'berth.yml': 'nodeProcessCountPerApplication:\n  min: 1\n  max: 2\n' });
    const issue = only(error.issues);
    assert.equal(issue.line, 1);
    assert.match(issue.message, /nodeProcessCountPerApplication must be a single value/);
    assert.match(issue.fix ?? '', /nodeProcessCountPerApplication: 1/);
  });

  test('a flow list value is an error too', async () => {
    const { error } = await loadError({ 'berth.yml': 'loggingEnabled: [true]\n' });
    assert.match(only(error.issues).message, /must be a single value/);
  });

  test('a file that is a list rather than key: value lines is an error', async () => {
    const { error } = await loadError({ 'berth.yml': '- maxLogFiles\n- 3\n' });
    const issue = only(error.issues);
    assert.match(issue.message, /must be a list of `key: value` lines/);
    assert.equal(issue.line, 1);
  });

  test('invalid YAML: a tab-indented mapping is an error with its line number', async () => {
    const { dir, error } = await loadError({ 'berth.yml': 'maxLogFiles: 3\nhostname:\n\tname: shop\n' });
    const issue = error.issues[0]!;
    assert.equal(issue.file, path.join(dir, 'berth.yml'));
    assert.match(issue.message, /is not valid YAML/);
    assert.equal(issue.line, 3, `the issue should carry the line of the tab: ${JSON.stringify(issue)}`);
    assert.match(error.message, /berth\.yml:3(:\d+)?: is not valid YAML/);
  });

  test('invalid YAML: an unclosed quote is an error with a line number', async () => {
    const { error } = await loadError({ 'berth.yml': 'maxLogFiles: 3\nnodeProcessCommandLine: "node --inspect\nloggingEnabled: true\n' });
    const issue = error.issues[0]!;
    assert.match(issue.message, /is not valid YAML/);
    assert.equal(typeof issue.line, 'number', `the issue should carry a line number: ${JSON.stringify(issue)}`);
    assert.ok(issue.line! >= 2, `line ${issue.line}`);
  });

  test('invalid YAML: a duplicate key is an error with a line number', async () => {
    const { error } = await loadError({ 'berth.yml': 'maxLogFiles: 3\nmaxLogFiles: 4\n' });
    const issue = error.issues[0]!;
    assert.match(issue.message, /is not valid YAML/);
    assert.equal(issue.line, 2, `the issue should carry the line of the repeated key: ${JSON.stringify(issue)}`);
  });

  test('a berth.yml that cannot be read (a folder) is an error naming it', async () => {
    const dir = await folder();
    await mkdir(path.join(dir, 'berth.yml'));
    await assert.rejects(loadConfig(dir, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(only(error.issues).file, path.join(dir, 'berth.yml'));
      assert.match(error.message, /cannot be read/);
      return true;
    });
  });
});

describe('loadConfig: unknown keys', () => {
  test('a close typo gets a "Did you mean" warning with the real name, and the value is not applied', async () => {
    const { dir, config } = await load({ 'berth.yml': 'maxLogFiles: 3\nnodeProcessCountPerAplication: 4\n' });
    const warning = only(config.warnings);
    assert.equal(warning.severity, 'warning');
    assert.equal(warning.file, path.join(dir, 'berth.yml'));
    assert.equal(warning.line, 2);
    assert.equal(warning.key, 'nodeProcessCountPerAplication');
    assert.equal(warning.message, 'unknown setting "nodeProcessCountPerAplication" is ignored.');
    assert.equal(warning.fix, 'Did you mean "nodeProcessCountPerApplication"?');
    assert.match(formatIssue(warning), /berth\.yml:2:1: unknown setting "nodeProcessCountPerAplication" is ignored\. Did you mean "nodeProcessCountPerApplication"\?$/);
    assert.equal(config.settings.nodeProcessCountPerApplication, 1);
  });

  test('a typo of an alias suggests the setting name', async () => {
    const { config } = await load({ 'berth.yml': 'debugPortRang: 9000-9001\n' });
    assert.equal(only(config.warnings).fix, 'Did you mean "debuggerPortRange"?');
  });

  test('an unrelated key gets a warning without a suggestion', async () => {
    const { config } = await load({ 'berth.yml': 'foo: bar\n' });
    const warning = only(config.warnings);
    assert.equal(warning.message, 'unknown setting "foo" is ignored.');
    assert.equal(warning.fix, undefined);
  });
});

describe('iisnode.yml: the rules of iisnode functional test 126', () => {
  const accepted: Array<[string, string, number[]]> = [
    ['an empty file', '', []],
    ['`foo:`', 'foo:', [1]],
    ['`foo:    # comment`', 'foo:    # comment', [1]],
    ['`foo: bar` and `baz: 12`', 'foo: bar\nbaz: 12', [1, 2]],
    ['`foo:bar`, blank lines, `baz:7`', 'foo:bar\n\n\nbaz:7', [1, 4]],
  ];
  for (const [name, text, warningLines] of accepted) {
    test(`${name} is accepted (warnings only)`, async () => {
      const { dir, config } = await load({ 'iisnode.yml': text });
      assert.equal(config.file, path.join(dir, 'iisnode.yml'));
      assert.deepEqual(config.settings, defaultSettings());
      assert.deepEqual(config.warnings.map((w: ConfigIssue) => [w.severity, w.line]), warningLines.map((l) => ['warning', l]));
    });
  }

  test('`: foo` is an error: a value without a key', async () => {
    const { dir, error } = await loadError({ 'iisnode.yml': ': foo' });
    const issue = only(error.issues);
    assert.equal(issue.file, path.join(dir, 'iisnode.yml'));
    assert.equal(issue.line, 1);
    assert.match(issue.message, /value without a key/);
  });

  test('`   : bar` is an error too', async () => {
    const { error } = await loadError({ 'iisnode.yml': '   : bar' });
    const issue = only(error.issues);
    assert.equal(issue.line, 1);
    assert.match(issue.message, /value without a key/);
  });

  test('`loggingEnabled: foobar` is an error', async () => {
    const { dir, error } = await loadError({ 'iisnode.yml': 'loggingEnabled: foobar' });
    const issue = only(error.issues);
    assert.equal(issue.file, path.join(dir, 'iisnode.yml'));
    assert.equal(issue.line, 1);
    assert.equal(issue.key, 'loggingEnabled');
    assert.equal(issue.value, 'foobar');
    assert.match(issue.fix ?? '', /Expected true or false/);
  });

  test('CRLF line endings keep line numbers', async () => {
    const { config } = await load({ 'iisnode.yml': '# c\r\n\r\nmaxLogFiles:8\r\nfoo: 1\r\n' });
    assert.equal(config.settings.maxLogFiles, 8);
    assert.equal(only(config.warnings).line, 4);
  });
});

describe('iisnode.yml: lines written for iisnode\'s own parser', () => {
  test('a quoted command line keeps its quotes, as iisnode did', async () => {
    const line = 'nodeProcessCommandLine: "C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096';
    const { config } = await load({ 'iisnode.yml': `# heap\n${line}\n` });
    assert.equal(config.settings.nodeProcessCommandLine, '"C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096');
    assert.equal(config.sources.nodeProcessCommandLine.kind, 'file');
    assert.deepEqual(config.warnings, []);
  });

  test('a trailing comment after a quoted command line is dropped', async () => {
    const { config } = await load({ 'iisnode.yml': 'nodeProcessCommandLine: "C:\\node\\node.exe" --trace-warnings   # for debugging\n' });
    assert.equal(config.settings.nodeProcessCommandLine, '"C:\\node\\node.exe" --trace-warnings');
  });

  test('%VAR% in a quoted command line is expanded', async () => {
    const { config } = await load({ 'iisnode.yml': 'nodeProcessCommandLine: "%programfiles%\\nodejs\\node.exe"\n' }, { ProgramFiles: 'C:\\Program Files' });
    assert.equal(config.settings.nodeProcessCommandLine, '"C:\\Program Files\\nodejs\\node.exe"');
  });

  test('an unquoted Windows path is kept as written', async () => {
    const { config } = await load({ 'iisnode.yml': 'logDirectory: C:\\logs\\site\n' });
    assert.equal(config.settings.logDirectory, 'C:\\logs\\site');
  });

  test('iisnode\'s default `watchedFiles: *.js;iisnode.yml` line is accepted', async () => {
    // The line is in iisnode's own sample iisnode.yml; in YAML a leading `*` starts an alias.
    const { config } = await load({ 'iisnode.yml': 'watchedFiles: *.js;iisnode.yml\n' });
    assert.equal(config.settings.watchedFiles, '*.js;iisnode.yml');
  });

  test('a value that starts with %VAR% is accepted and expanded', async () => {
    // iisnode expands %VAR% in logDirectory and node_env; in YAML a leading `%` is a directive indicator.
    const { config } = await load({ 'iisnode.yml': 'logDirectory: %LOGROOT%\\site\nnode_env: %node_env%\n' }, { LOGROOT: 'D:\\logs' });
    assert.equal(config.settings.logDirectory, 'D:\\logs\\site');
    assert.equal(config.settings.node_env, '%node_env%');
  });
});

describe('adaptIisnodeYaml', () => {
  test('adds the space after a colon, drops the indent before keys (iisnode trimmed it) and keeps every line', () => {
    const text = 'foo:bar\n\n\nbaz:7\n  indented:1\nkeep: as is\n# comment:x\n';
    const adapted = adaptIisnodeYaml(text);
    assert.equal(adapted, 'foo: bar\n\n\nbaz: 7\nindented: 1\nkeep: as is\n# comment:x\n');
    assert.equal(adapted.split('\n').length, text.split('\n').length);
  });

  test('an indented key in iisnode.yml is read as a top-level setting, as iisnode read it', async () => {
    const { config } = await load({ 'iisnode.yml': 'loggingEnabled: false\n   maxLogFiles: 7\n' });
    assert.equal(config.settings.maxLogFiles, 7);
    assert.equal(config.settings.loggingEnabled, false);
  });

  test('keeps CRLF line endings and the line count', () => {
    const text = 'a:1\r\nb: 2\r\n\r\nc:3';
    const adapted = adaptIisnodeYaml(text);
    assert.equal(adapted, 'a: 1\r\nb: 2\r\n\r\nc: 3');
  });

  test('wraps a quoted command line in single quotes, keeping its double quotes', () => {
    const adapted = adaptIisnodeYaml('nodeProcessCommandLine: "C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096');
    assert.equal(adapted, `nodeProcessCommandLine: '"C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096'`);
  });

  test('doubles single quotes inside a wrapped command line', () => {
    const adapted = adaptIisnodeYaml(`interceptor: "C:\\it's\\interceptor.js"`);
    assert.equal(adapted, `interceptor: '"C:\\it''s\\interceptor.js"'`);
  });

  test('the command line keys are matched case-insensitively', () => {
    assert.equal(adaptIisnodeYaml('NODEPROCESSCOMMANDLINE:"node.exe" -x'), `NODEPROCESSCOMMANDLINE: '"node.exe" -x'`);
  });

  test('other quoted values and empty values are left alone', () => {
    assert.equal(adaptIisnodeYaml('logDirectory: "logs"'), 'logDirectory: "logs"');
    assert.equal(adaptIisnodeYaml('foo:'), 'foo:');
    assert.equal(adaptIisnodeYaml('foo:    # c'), 'foo:    # c');
    assert.equal(adaptIisnodeYaml(': foo'), ': foo');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
