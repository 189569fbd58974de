/**
 * Settings files never stall or crash the engine (issue 16, items 3 and 5): files over the size limit are refused
 * before they are read, absurd nesting is an error naming file, line and limit (never "Maximum call stack"), big
 * files are parsed off the engine's thread, and a seeded fuzz of YAML and web.config inputs never crashes the
 * loaders and gets every error with a line.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config/load.js';
import { MAX_CONFIG_FILE_BYTES, MAX_CONFIG_NESTING } from '../../core/config/file-guard.js';
import { parseWebConfig, readWebConfig } from '../../core/iis/web-config.js';
import { tempDir } from '../helpers/paths.js';

let root: string;
let cleanup: () => Promise<void>;
let counter = 0;
before(async () => ({ dir: root, cleanup } = await tempDir('berth-guard-')));
after(() => cleanup());

async function folder(files: Record<string, string>): Promise<string> {
  const dir = path.join(root, `app${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function configError(files: Record<string, string>): Promise<ConfigError> {
  const dir = await folder(files);
  try {
    await loadConfig(dir, { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

/** A seeded generator (mulberry32): the same seed gives the same inputs, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('settings file size limit', () => {
  for (const name of ['berth.yml', 'iisnode.yml']) {
    test(`${name} over ${MAX_CONFIG_FILE_BYTES / 1024} KB is refused with a clear error`, async () => {
      const error = await configError({ [name]: 'someSetting: value\n'.repeat(60_000) });
      assert.equal(error.issues.length, 1);
      assert.equal(error.issues[0]!.file, path.join(root, `app${counter}`, name));
      assert.match(error.message, /is 1114 KB, over the 256 KB limit for settings files, so it was not read/);
    });
  }

  test('a file just under the limit is read', async () => {
    const text = `maxLogFiles: 7\n${'# padding\n'.repeat(Math.floor((MAX_CONFIG_FILE_BYTES - 100) / 10))}`;
    const dir = await folder({ 'berth.yml': text });
    assert.equal((await loadConfig(dir, { env: {} })).settings.maxLogFiles, 7);
  });

  test('web.config over the limit is refused with a clear error', async () => {
    const dir = await folder({ 'web.config': `<configuration>${'<!-- padding -->\n'.repeat(20_000)}</configuration>` });
    const config = await readWebConfig(path.join(dir, 'web.config'));
    assert.match(config!.fatal!.message, /over the 256 KB limit/);
  });
});

describe('deep nesting', () => {
  test('`[` nested 100 000 deep: an error naming file, line and limit, not "Maximum call stack"', async () => {
    const error = await configError({ 'berth.yml': `maxLogFiles: 3\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` });
    const issue = error.issues[0]!;
    assert.equal(issue.line, 2);
    assert.match(issue.file!, /berth\.yml$/);
    assert.match(issue.message, new RegExp(`nests deeper than ${MAX_CONFIG_NESTING} levels`));
    assert.doesNotMatch(error.message, /call stack/i);
  });

  test('flow maps and compact block sequences count too', async () => {
    for (const text of [`a: ${'{b: '.repeat(5000)}`, `${'- '.repeat(50_000)}x\n`, `a: 1\nb: 2\nc: ${'[{'.repeat(40)}\n`]) {
      const error = await configError({ 'berth.yml': text });
      assert.match(error.message, /nests deeper than 64 levels/, text.slice(0, 40));
      assert.doesNotMatch(error.message, /call stack/i);
    }
  });

  test('brackets in quotes and comments, and a little real nesting, are fine', async () => {
    const dir = await folder({ 'berth.yml': `# ${'['.repeat(200)}\nnode_env: '${'['.repeat(200)}'\nwatchedFiles: "${'{'.repeat(100)}"\n` });
    assert.equal((await loadConfig(dir, { env: {} })).settings.node_env, '['.repeat(200));
  });

  test('web.config elements nested 40 000 deep: an error with line and limit', () => {
    const text = `<configuration>\n${'<a>'.repeat(40_000)}${'</a>'.repeat(40_000)}</configuration>`;
    const config = parseWebConfig(text, { file: 'web.config' });
    assert.equal(config.fatal!.line, 2);
    assert.match(config.fatal!.message, /nests deeper than 64 levels/);
  });
});

describe('big files', () => {
  test('thousands of unknown keys: the first 50 are listed, the rest summed up, in well under the old seconds', async () => {
    const lines = Array.from({ length: 6000 }, (_, i) => `someUnknownSetting${i}: value${i}`);
    const dir = await folder({ 'berth.yml': `${lines.join('\n')}\nmaxLogFiles: 9\n` });
    const config = await loadConfig(dir, { env: {} });
    assert.equal(config.settings.maxLogFiles, 9, 'read on the parse thread, all the same');
    assert.equal(config.warnings.length, 51);
    assert.match(config.warnings[50]!.message, /^5950 more unknown settings, from this line on, are ignored/);
    assert.equal(config.warnings[50]!.line, 51);
  });

  test('a duplicate key in a big file is still an error with its line', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `k${i}: v`);
    const error = await configError({ 'berth.yml': `${lines.join('\n')}\nk7: again\n` });
    assert.equal(error.issues[0]!.line, 3001);
    assert.match(error.issues[0]!.message, /Map keys must be unique \("k7" is also on line 8\)/);
  });
});

describe('fuzz: random YAML and web.config inputs', () => {
  const rnd = random(0x5eed16);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const yamlPieces = ['maxLogFiles: 3', 'node_env: production', 'a: [1, 2', 'b: {c: d}', '- x', '? k', ': v', '*alias', '&anchor x', '!!tag y', '%YAML 1.2', '---', '...', '"unclosed', "'q''s'", '|', '>', '  indented: 1', '\t tab: 1', 'key: value # comment', 'k: k: k', '[[[[', ']]]]', '{{', '}', '\0', '\ufeff', 'é: ü', 'maxLogFiles: 3'];
  const xmlPieces = ['<configuration>', '</configuration>', '<system.webServer>', '</system.webServer>', '<iisnode loggingEnabled="false" />', '<iisnode nodeProcessCountPerApplication="x"/>', '<handlers><add name="n" path="server.js" verb="*" modules="iisnode"/></handlers>', '<rewrite><rules><rule name="r"><match url=".*"/></rule></rules></rewrite>', '<!-- c', '-->', '<![CDATA[ x ]]>', '<?xml version="1.0"?>', '<a b="', '">', '<', '>', '&amp;', '&bogus;', '</a>', '<a/>', '\0'];

  test('loadConfig never crashes, and every error it reports has a file and a line', async () => {
    for (let n = 0; n < 150; n++) {
      const lines = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(yamlPieces));
      let text = lines.join(pick(['\n', '\r\n', '\n\n']));
      if (rnd() < 0.3) {
        const at = Math.floor(rnd() * text.length);
        text = text.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + text.slice(at);
      }
      const dir = await folder({ [pick(['berth.yml', 'iisnode.yml'])]: text });
      try {
        await loadConfig(dir, { env: {} });
      } catch (error) {
        assert.ok(error instanceof ConfigError, `input ${JSON.stringify(text)}: ${String(error)}`);
        for (const issue of error.issues) {
          assert.ok(issue.file && typeof issue.line === 'number' && issue.line >= 1, `input ${JSON.stringify(text)}: ${JSON.stringify(issue)}`);
          assert.doesNotMatch(issue.message, /call stack/i);
        }
      }
    }
  });

  test('parseWebConfig never throws, and a fatal problem always has a line', () => {
    for (let n = 0; n < 300; n++) {
      let text = Array.from({ length: 1 + Math.floor(rnd() * 10) }, () => pick(xmlPieces)).join(pick(['', '\n']));
      if (rnd() < 0.3) {
        const at = Math.floor(rnd() * text.length);
        text = text.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + text.slice(at);
      }
      const config = parseWebConfig(text, { file: 'web.config', env: {} });
      if (config.fatal) assert.ok(typeof config.fatal.line === 'number' && config.fatal.line >= 1, `input ${JSON.stringify(text)}: ${JSON.stringify(config.fatal)}`);
      for (const layer of config.layers) for (const issue of (layer as { errors?: { line?: number }[] }).errors ?? []) assert.equal(typeof issue.line, 'number', `input ${JSON.stringify(text)}`);
    }
  });
});
