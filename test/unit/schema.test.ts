import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPortRange, defaultSettings, INFINITE, SETTING_BY_KEY, SETTING_NAMES, SETTINGS, settingDef, type SettingDef } from '../../core/config/schema.js';
import { coerce } from '../../core/config/values.js';

describe('schema: every setting', () => {
  test('there are settings, and the names list matches the table', () => {
    assert.ok(SETTING_NAMES.length >= 35, `only ${SETTING_NAMES.length} settings`);
    assert.deepEqual([...SETTING_NAMES].sort(), Object.keys(SETTINGS).sort());
  });

  test('has a one-sentence description and a known support level', () => {
    for (const name of SETTING_NAMES) {
      const def = SETTINGS[name] as SettingDef;
      assert.equal(typeof def.description, 'string', name);
      assert.ok(def.description.trim().length > 10, `${name} has no real description`);
      assert.ok(['honoured', 'improved', 'ignored'].includes(def.support), `${name}: support ${def.support}`);
      if (def.support !== 'honoured') assert.ok(def.note && def.note.trim().length > 0, `${name} is ${def.support} but has no note saying why`);
    }
  });

  test('has a default of the right kind, within its own limits', () => {
    for (const name of SETTING_NAMES) {
      const def = SETTINGS[name] as SettingDef;
      switch (def.kind) {
        case 'uint':
          assert.equal(typeof def.default, 'number', name);
          assert.ok(Number.isInteger(def.default) && def.default >= 0 && def.default <= INFINITE, `${name}: ${def.default}`);
          if (def.min !== undefined) assert.ok(def.default >= def.min, `${name} default below min`);
          if (def.max !== undefined) assert.ok(def.default <= def.max, `${name} default above max`);
          break;
        case 'bool':
          assert.equal(typeof def.default, 'boolean', name);
          break;
        case 'string':
          assert.equal(typeof def.default, 'string', name);
          break;
        case 'enum':
          assert.ok(def.values.includes(def.default), name);
          break;
      }
    }
  });

  test('every default passes its own validation unchanged', () => {
    for (const name of SETTING_NAMES) {
      const def = SETTINGS[name] as SettingDef;
      const result = coerce(def, def.default);
      assert.deepEqual(result, { ok: true, value: def.default }, name);
    }
  });

  test('every default also survives a round trip through text (as from an environment variable)', () => {
    for (const name of SETTING_NAMES) {
      const def = SETTINGS[name] as SettingDef;
      const result = coerce(def, String(def.default));
      assert.deepEqual(result, { ok: true, value: def.default }, name);
    }
  });

  test('settingDef returns the table entry', () => {
    assert.equal(settingDef('maxLogFiles'), SETTINGS.maxLogFiles);
  });
});

describe('schema: defaults equal iisnode\'s documented defaults', () => {
  const documented = {
    nodeProcessCountPerApplication: 1,
    maxConcurrentRequestsPerProcess: 1024,
    maxNamedPipeConnectionRetry: 100,
    namedPipeConnectionRetryDelay: 250,
    maxNamedPipeConnectionPoolSize: 512,
    maxNamedPipePooledConnectionAge: 30000,
    initialRequestBufferSize: 4096,
    maxRequestBufferSize: 65536,
    uncFileChangesPollingInterval: 5000,
    gracefulShutdownTimeout: 60000,
    logDirectory: 'iisnode',
    loggingEnabled: true,
    maxLogFileSizeInKB: 128,
    maxTotalLogFileSizeInKB: 1024,
    maxLogFiles: 20,
    debuggingEnabled: true,
    debuggerPathSegment: 'debug',
    watchedFiles: '*.js;iisnode.yml',
    debuggerPortRange: '5058-6058',
    debuggerExtensionDll: 'iisnode-inspector-0.7.3.dll',
    debugHeaderEnabled: false,
    devErrorsEnabled: true,
    flushResponse: false,
    enableXFF: false,
    promoteServerVars: '',
    configOverrides: 'iisnode.yml',
    recycleSignalEnabled: false,
    idlePageOutTimePeriod: 0,
    nodeProcessStickySessions: false,
    asyncCompletionThreadCount: 0,
  } as const;

  for (const [name, value] of Object.entries(documented)) {
    test(`${name} = ${JSON.stringify(value)}`, () => {
      assert.equal(defaultSettings()[name as keyof typeof documented], value);
    });
  }

  test('the defaults Berth changed on purpose: node instead of node.exe, empty node_env', () => {
    const d = defaultSettings();
    assert.equal(d.nodeProcessCommandLine, 'node');
    assert.equal(d.node_env, '');
  });

  test('maxConcurrentRequestsPerProcess allows infinite, as in iisnode\'s schema', () => {
    const def: SettingDef = SETTINGS.maxConcurrentRequestsPerProcess;
    assert.equal(def.kind === 'uint' && def.allowInfinite, true);
  });

  test('configOverrides cannot be set in a file', () => {
    const def: SettingDef = SETTINGS.configOverrides;
    assert.equal(def.notInFile, true);
  });

  test('the expanded (%VAR%) settings include iisnode\'s expanded string settings', () => {
    for (const name of ['node_env', 'nodeProcessCommandLine', 'interceptor', 'logDirectory', 'watchedFiles', 'debuggerPortRange', 'configOverrides'] as const) {
      const def = SETTINGS[name] as SettingDef;
      assert.equal(def.expand, true, name);
    }
  });
});

describe('defaultSettings', () => {
  test('has every setting', () => {
    assert.deepEqual(Object.keys(defaultSettings()).sort(), [...SETTING_NAMES].sort());
  });

  test('returns a fresh object each time', () => {
    const a = defaultSettings();
    a.maxLogFiles = 99;
    assert.equal(defaultSettings().maxLogFiles, 20);
  });
});

describe('SETTING_BY_KEY', () => {
  test('maps every lower-cased name to the setting', () => {
    for (const name of SETTING_NAMES) assert.equal(SETTING_BY_KEY.get(name.toLowerCase()), name);
  });

  test('maps iisnode.yml\'s debugPortRange to debuggerPortRange', () => {
    assert.equal(SETTING_BY_KEY.get('debugportrange'), 'debuggerPortRange');
    assert.equal(SETTING_BY_KEY.get('debuggerportrange'), 'debuggerPortRange');
  });

  test('has only lower-case keys', () => {
    for (const key of SETTING_BY_KEY.keys()) assert.equal(key, key.toLowerCase());
  });
});

describe('checkPortRange', () => {
  test('accepts a range or one port from 1025 to 65535', () => {
    for (const value of ['5058-6058', '1025', '65535', '1025-65535', '9229-9229', ' 5058-6058 ']) {
      assert.equal(checkPortRange(value), undefined, value);
    }
  });

  test('refuses ports out of range', () => {
    assert.equal(checkPortRange('1024'), 'starts below 1025');
    assert.equal(checkPortRange('80-9000'), 'starts below 1025');
    assert.equal(checkPortRange('0'), 'starts below 1025');
    assert.equal(checkPortRange('65536'), 'ends above 65535');
    assert.equal(checkPortRange('5000-70000'), 'ends above 65535');
  });

  test('refuses a range that ends before it starts', () => {
    assert.equal(checkPortRange('6058-5058'), 'ends before it starts');
  });

  test('refuses what is not a port or a range', () => {
    for (const value of ['', 'abc', '5058-', '-6058', '5058 - 6058', '5058,6058', '5058-6058-7000', '50.58', '0x1400']) {
      assert.equal(checkPortRange(value), 'is not a port or a port range', JSON.stringify(value));
    }
  });
});
