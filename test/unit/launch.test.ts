import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultSettings, type Settings } from '../../core/config/schema.js';
import { BERTH_VERSION, IISNODE_COMPAT_VERSION } from '../../core/version.js';
import { workerCommand, workerEnvironment } from '../../core/worker/launch.js';
import { REPO } from '../helpers/paths.js';

const PIPE = '\\\\.\\pipe\\berth-0123456789abcdef';
const SOCK = '/tmp/berth-0123456789abcdef.sock';

function settings(overrides: Partial<Settings> = {}): Settings {
  return { ...defaultSettings(), ...overrides };
}

/** Every key of `env` spelled like `name`, ignoring case. */
function spellings(env: NodeJS.ProcessEnv, name: string): string[] {
  return Object.keys(env).filter((k) => k.toUpperCase() === name.toUpperCase());
}

describe('workerCommand', () => {
  test('iisnode\'s node.exe means node outside Windows, in any case', () => {
    assert.deepEqual(workerCommand('node.exe', 'linux'), ['node']);
    assert.deepEqual(workerCommand('NODE.EXE', 'darwin'), ['node']);
    assert.deepEqual(workerCommand('Node.exe --max-old-space-size=4096', 'linux'), ['node', '--max-old-space-size=4096']);
  });

  test('node.exe is kept on Windows', () => {
    assert.deepEqual(workerCommand('node.exe', 'win32'), ['node.exe']);
    assert.deepEqual(workerCommand('node.exe --inspect', 'win32'), ['node.exe', '--inspect']);
  });

  test('flags are kept, in order', () => {
    assert.deepEqual(workerCommand('node --max-old-space-size=4096 --trace-warnings', 'linux'), ['node', '--max-old-space-size=4096', '--trace-warnings']);
  });

  test('a quoted full path with flags (iisnode\'s documented form)', () => {
    const line = '"C:\\Program Files\\nodejs\\node.exe" --max-old-space-size=4096';
    assert.deepEqual(workerCommand(line, 'win32'), ['C:\\Program Files\\nodejs\\node.exe', '--max-old-space-size=4096']);
  });

  test('only a bare node.exe is rewritten; other programs and paths are kept', () => {
    assert.deepEqual(workerCommand('/usr/local/bin/node --x', 'linux'), ['/usr/local/bin/node', '--x']);
    assert.deepEqual(workerCommand('bun', 'linux'), ['bun']);
    assert.deepEqual(workerCommand('node', 'win32'), ['node']);
  });

  test('an empty or blank command line means node', () => {
    assert.deepEqual(workerCommand('', 'linux'), ['node']);
    assert.deepEqual(workerCommand('   ', 'win32'), ['node']);
  });
});

describe('workerEnvironment', () => {
  test('keeps the inherited environment and does not change the object it was given', () => {
    const base = { PATH: '/usr/bin', HOME: '/home/me', PORT: '3000' };
    const copy = { ...base };
    const env = workerEnvironment(base, settings(), SOCK, 'linux');
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.HOME, '/home/me');
    assert.notEqual(env, base);
    assert.deepEqual(base, copy);
  });

  test('PORT is the worker\'s endpoint and wins over an inherited PORT', () => {
    assert.equal(workerEnvironment({}, settings(), SOCK, 'linux').PORT, SOCK);
    assert.equal(workerEnvironment({ PORT: '3000' }, settings(), SOCK, 'linux').PORT, SOCK);
    assert.equal(workerEnvironment({ PORT: '80' }, settings(), PIPE, 'win32').PORT, PIPE);
  });

  test('win32: PORT also wins over a differently-cased Port, which is removed', () => {
    const env = workerEnvironment({ Port: '3000', port: '4000' }, settings(), PIPE, 'win32');
    assert.deepEqual(spellings(env, 'PORT'), ['PORT']);
    assert.equal(env.PORT, PIPE);
  });

  test('linux: names are case-sensitive, so a `Port` is a different variable and stays', () => {
    const env = workerEnvironment({ Port: '3000' }, settings(), SOCK, 'linux');
    assert.equal(env.PORT, SOCK);
    assert.equal(env.Port, '3000');
  });

  test('NODE_ENV from node_env wins over an inherited NODE_ENV', () => {
    const env = workerEnvironment({ NODE_ENV: 'development' }, settings({ node_env: 'production' }), SOCK, 'linux');
    assert.equal(env.NODE_ENV, 'production');
  });

  test('win32: NODE_ENV from node_env wins over a differently-cased inherited one', () => {
    const env = workerEnvironment({ Node_Env: 'development' }, settings({ node_env: 'production' }), PIPE, 'win32');
    assert.deepEqual(spellings(env, 'NODE_ENV'), ['NODE_ENV']);
    assert.equal(env.NODE_ENV, 'production');
  });

  test('an empty node_env keeps the inherited NODE_ENV', () => {
    assert.equal(workerEnvironment({ NODE_ENV: 'staging' }, settings({ node_env: '' }), SOCK, 'linux').NODE_ENV, 'staging');
    assert.equal(workerEnvironment({}, settings({ node_env: '' }), SOCK, 'linux').NODE_ENV, undefined);
  });

  test('iisnode\'s unexpanded default %node_env% keeps the inherited NODE_ENV', () => {
    assert.equal(workerEnvironment({ NODE_ENV: 'staging' }, settings({ node_env: '%node_env%' }), SOCK, 'linux').NODE_ENV, 'staging');
    assert.equal(workerEnvironment({}, settings({ node_env: '%node_env%' }), SOCK, 'linux').NODE_ENV, undefined);
  });

  test('IISNODE_VERSION and BERTH_VERSION are set, over inherited values', () => {
    const env = workerEnvironment({ IISNODE_VERSION: '0.1.0', BERTH_VERSION: 'old' }, settings(), SOCK, 'linux');
    assert.equal(env.IISNODE_VERSION, IISNODE_COMPAT_VERSION);
    assert.equal(env.IISNODE_VERSION, '0.2.27');
    assert.equal(env.BERTH_VERSION, BERTH_VERSION);
  });

  test('BERTH_VERSION is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(BERTH_VERSION, pkg.version);
  });

  test('NODE_PENDING_PIPE_INSTANCES defaults to 5000', () => {
    assert.equal(workerEnvironment({}, settings(), PIPE, 'win32').NODE_PENDING_PIPE_INSTANCES, '5000');
    assert.equal(workerEnvironment({}, settings(), SOCK, 'linux').NODE_PENDING_PIPE_INSTANCES, '5000');
  });

  test('an inherited NODE_PENDING_PIPE_INSTANCES is kept', () => {
    assert.equal(workerEnvironment({ NODE_PENDING_PIPE_INSTANCES: '64' }, settings(), SOCK, 'linux').NODE_PENDING_PIPE_INSTANCES, '64');
    const win = workerEnvironment({ node_pending_pipe_instances: '64' }, settings(), PIPE, 'win32');
    assert.deepEqual(spellings(win, 'NODE_PENDING_PIPE_INSTANCES'), ['node_pending_pipe_instances']);
    assert.equal(win.node_pending_pipe_instances, '64');
  });

  test('logging variables carry the settings when loggingEnabled', () => {
    const env = workerEnvironment(
      {},
      settings({ loggingEnabled: true, logDirectory: 'logs', maxLogFileSizeInKB: 64, maxTotalLogFileSizeInKB: 512, maxLogFiles: 7 }),
      SOCK,
      'linux',
    );
    assert.equal(env.IISNODE_LOGGINGENABLED, '1');
    assert.equal(env.IISNODE_LOGDIRECTORY, 'logs');
    assert.equal(env.IISNODE_MAXLOGFILESIZEINKB, '64');
    assert.equal(env.IISNODE_MAXTOTALLOGFILESIZEINKB, '512');
    assert.equal(env.IISNODE_MAXLOGFILES, '7');
  });

  test('logging variables are absent when logging is off', () => {
    const env = workerEnvironment({}, settings({ loggingEnabled: false }), SOCK, 'linux');
    for (const name of ['IISNODE_LOGGINGENABLED', 'IISNODE_LOGDIRECTORY', 'IISNODE_MAXLOGFILESIZEINKB', 'IISNODE_MAXTOTALLOGFILESIZEINKB', 'IISNODE_MAXLOGFILES']) {
      assert.equal(env[name], undefined, name);
    }
  });

  test('only the expected variables are added to an empty environment', () => {
    const env = workerEnvironment({}, settings({ node_env: 'production' }), SOCK, 'linux');
    assert.deepEqual(Object.keys(env).sort(), [
      'BERTH_REDIRECT_LISTEN',
      'BERTH_VERSION',
      'IISNODE_LOGDIRECTORY',
      'IISNODE_LOGGINGENABLED',
      'IISNODE_MAXLOGFILES',
      'IISNODE_MAXLOGFILESIZEINKB',
      'IISNODE_MAXTOTALLOGFILESIZEINKB',
      'IISNODE_VERSION',
      'NODE_ENV',
      'NODE_PENDING_PIPE_INSTANCES',
      'PORT',
    ]);
  });
});
