import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  migrate,
  MIGRATIONS,
  parseRegistry,
  REGISTRY_VERSION,
  RegistryFormatError,
  RegistryVersionError,
  stringifyRegistry,
  type Migration,
} from '../../core/registry/format.js';

const linux = { platform: 'linux' as const };

describe('registry migrations', () => {
  test('a document without a version is version 0: a list of folders becomes entries', () => {
    const { doc, from } = migrate({ apps: ['/a/shop', { folder: '/b/blog', enabled: false }] });
    assert.equal(from, 0);
    assert.deepEqual(doc, { version: 1, apps: [{ folder: '/a/shop', enabled: true }, { folder: '/b/blog', enabled: false }] });
  });

  test('a current document passes through unchanged', () => {
    const input = { version: REGISTRY_VERSION, apps: [] };
    const { doc, from } = migrate(input);
    assert.equal(from, REGISTRY_VERSION);
    assert.equal(doc, input);
  });

  test('migrations run one after the other, each on the previous one\'s result', () => {
    const table: Record<number, Migration> = {
      0: (d) => ({ ...d, version: 1, steps: ['0→1'] }),
      1: (d) => ({ ...d, version: 2, steps: [...(d.steps as string[]), '1→2'] }),
      2: (d) => ({ ...d, version: 3, steps: [...(d.steps as string[]), '2→3'] }),
    };
    assert.deepEqual(migrate({}, table, 3).doc.steps, ['0→1', '1→2', '2→3']);
    assert.deepEqual(migrate({ version: 2, steps: [] }, table, 3).doc.steps, ['2→3']);
  });

  test('a gap in the table, or a migration that does not produce the next version, is an error', () => {
    assert.throws(() => migrate({ version: 1 }, { 0: (d) => ({ ...d, version: 1 }) }, 2), /no migration from format version 1/);
    assert.throws(() => migrate({}, { 0: (d) => ({ ...d, version: 5 }) }, 1), /did not produce version 1/);
  });

  test('a newer version is refused (not treated as damage), a nonsense version is damage', () => {
    assert.throws(() => migrate({ version: REGISTRY_VERSION + 1 }), (e: unknown) => e instanceof RegistryVersionError && e.version === REGISTRY_VERSION + 1);
    assert.throws(() => migrate({ version: 'one' }), RegistryFormatError);
    assert.throws(() => migrate({ version: -1 }), RegistryFormatError);
  });

  test('every step of the real table exists up to the current version', () => {
    for (let v = 0; v < REGISTRY_VERSION; v++) assert.equal(typeof MIGRATIONS[v], 'function', `migration from ${v}`);
  });
});

describe('parseRegistry', () => {
  test('an empty file is an empty registry', () => {
    assert.deepEqual(parseRegistry('', linux).data, { version: 1, apps: [] });
    assert.deepEqual(parseRegistry('# nothing yet\n', linux).data.apps, []);
  });

  test('a hand-written list of folders (version 0) gets names from the folders, unique, and is enabled', () => {
    const { data, migratedFrom } = parseRegistry('- /home/me/Shop\n- /srv/other/shop\n', linux);
    assert.equal(migratedFrom, 0);
    assert.deepEqual(data.apps, [
      { name: 'shop', folder: '/home/me/Shop', enabled: true, overrides: {} },
      { name: 'shop-2', folder: '/srv/other/shop', enabled: true, overrides: {} },
    ]);
  });

  test('overrides are validated against the settings schema and kept under their real names', () => {
    const text = 'version: 1\napps:\n  - name: shop\n    folder: /a/shop\n    enabled: false\n    overrides:\n      NODEPROCESSCOUNTPERAPPLICATION: 3\n      debugPortRange: 6000-6010\n';
    assert.deepEqual(parseRegistry(text, linux).data.apps, [
      { name: 'shop', folder: '/a/shop', enabled: false, overrides: { nodeProcessCountPerApplication: 3, debuggerPortRange: '6000-6010' } },
    ]);
  });

  const damaged: [string, string, RegExp, number | undefined][] = [
    ['invalid YAML', 'version: 1\napps: [\n', /not valid YAML/, 3],
    ['a relative folder', 'version: 1\napps:\n  - folder: shop\n', /app 1: "folder" must be an absolute path/, 3],
    ['a bad name', 'version: 1\napps:\n  - folder: /a\n  - name: Shop Front\n    folder: /b\n', /app 2: "name" must be a DNS label/, 4],
    ['a folder listed twice', 'version: 1\napps:\n  - folder: /a/x\n  - folder: /a/x/\n', /listed twice/, 4],
    ['a name used twice', 'version: 1\napps:\n  - {name: x, folder: /a}\n  - {name: x, folder: /b}\n', /"x" is used twice/, 4],
    ['an unknown key', 'version: 1\napps:\n  - folder: /a\n    enabeld: true\n', /unknown key "enabeld"/, 3],
    ['enabled not a boolean', 'version: 1\napps:\n  - folder: /a\n    enabled: sometimes\n', /"enabled" must be true or false/, 3],
    ['an unknown override, with a suggestion', 'version: 1\napps:\n  - folder: /a\n    overrides: { maxLogFile: 3 }\n', /unknown setting "maxLogFile".*did you mean "maxLogFiles"/, 3],
    ['an invalid override value', 'version: 1\napps:\n  - folder: /a\n    overrides: { maxLogFiles: -3 }\n', /maxLogFiles -3 is negative/, 3],
    ['apps not a list', 'version: 1\napps: /a\n', /"apps" must be a list/, undefined],
    ['a scalar file', 'hello\n', /must be a map/, 1],
  ];
  for (const [what, text, message, line] of damaged) {
    test(`damage is reported with what and where: ${what}`, () => {
      assert.throws(
        () => parseRegistry(text, linux),
        (e: unknown) => e instanceof RegistryFormatError && message.test(e.message) && e.line === line,
      );
    });
  }

  test('Windows folders: absolute with a drive letter, and compared without case', () => {
    const win = { platform: 'win32' as const };
    assert.equal(parseRegistry('- C:\\Sites\\Shop\n', win).data.apps[0]!.name, 'shop');
    assert.throws(() => parseRegistry('- C:\\Sites\\Shop\n- c:\\sites\\shop\n', win), /listed twice/);
    assert.throws(() => parseRegistry('- Sites\\Shop\n', win), /absolute path/);
  });

  test('what Berth writes, it reads back the same', () => {
    const data = {
      version: 1 as const,
      apps: [
        { name: 'shop', folder: '/home/me/shop', enabled: true, overrides: {} },
        { name: 'blog', folder: "/home/me/it's: a blog #1", enabled: false, overrides: { nodeProcessCountPerApplication: 2, hostname: 'blog.test' } },
      ],
    };
    const text = stringifyRegistry(data);
    assert.match(text, /^# Berth's list of apps/);
    assert.match(text, /^version: 1$/m);
    assert.deepEqual(parseRegistry(text, linux), { data, migratedFrom: 1 });
  });
});
