import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { detectEntry, ENTRY_CANDIDATES, EntryError } from '../../core/app/entry.js';
import { tempDir } from '../helpers/paths.js';

let root: string;
let cleanup: () => Promise<void>;
let counter = 0;

before(async () => {
  ({ dir: root, cleanup } = await tempDir('berth-entry-'));
});
after(async () => {
  await cleanup();
});

/** A fresh folder with the given files (a name ending in / is a folder). */
async function app(files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(root, `app${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(dir, name);
    if (name.endsWith('/')) {
      await mkdir(full, { recursive: true });
    } else {
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, text);
    }
  }
  return dir;
}

async function entryError(promise: Promise<unknown>): Promise<EntryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EntryError, `expected an EntryError, got ${String(error)}`);
    assert.equal(error.name, 'EntryError');
    return error;
  }
  assert.fail('expected an EntryError');
}

describe('detectEntry: entry from the configuration', () => {
  test('a file with its extension', async () => {
    const dir = await app({ 'src/main.js': '', 'server.js': '' });
    const found = await detectEntry(dir, 'src/main.js', path.join(dir, 'berth.yml'));
    assert.deepEqual(found, { file: path.join(dir, 'src', 'main.js'), how: 'entry in berth.yml' });
  });

  test('a file without its extension, as node resolves it', async () => {
    const dir = await app({ 'src/main.js': '' });
    const found = await detectEntry(dir, 'src/main');
    assert.equal(found.file, path.join(dir, 'src', 'main.js'));
    assert.equal(found.how, 'entry in the configuration');
  });

  test('an .mjs or .cjs file without its extension', async () => {
    const mjs = await app({ 'start.mjs': '' });
    assert.equal((await detectEntry(mjs, 'start')).file, path.join(mjs, 'start.mjs'));
    const cjs = await app({ 'start.cjs': '' });
    assert.equal((await detectEntry(cjs, 'start')).file, path.join(cjs, 'start.cjs'));
  });

  test('a folder with index.js', async () => {
    const dir = await app({ 'lib/index.js': '' });
    assert.equal((await detectEntry(dir, 'lib')).file, path.join(dir, 'lib', 'index.js'));
  });

  test('the configured entry wins over package.json main and the fallbacks', async () => {
    const dir = await app({ 'package.json': '{"main":"other.js"}', 'other.js': '', 'server.js': '', 'custom.js': '' });
    assert.equal((await detectEntry(dir, 'custom.js')).file, path.join(dir, 'custom.js'));
  });

  test('an absolute entry is used as is', async () => {
    const elsewhere = await app({ 'boot.js': '' });
    const dir = await app({ 'server.js': '' });
    assert.equal((await detectEntry(dir, path.join(elsewhere, 'boot.js'))).file, path.join(elsewhere, 'boot.js'));
  });

  test('a missing configured entry is an EntryError naming it and the file it set it in', async () => {
    const dir = await app({ 'server.js': '' });
    const error = await entryError(detectEntry(dir, 'src/missing.js', path.join(dir, 'berth.yml')));
    assert.match(error.message, /"src\/missing\.js"/);
    assert.ok(error.message.includes(path.join(dir, 'berth.yml')), error.message);
    assert.ok(error.message.includes(path.join(dir, 'src', 'missing.js')), error.message);
  });

  test('a configured entry that is a folder without an index is an EntryError', async () => {
    const dir = await app({ 'lib/': '' });
    await entryError(detectEntry(dir, 'lib'));
  });
});

describe('detectEntry: package.json main', () => {
  test('main names a file', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: 'lib/start.js' }), 'lib/start.js': '', 'server.js': '' });
    assert.deepEqual(await detectEntry(dir, ''), { file: path.join(dir, 'lib', 'start.js'), how: 'package.json main' });
  });

  test('main without an extension', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: 'lib/start' }), 'lib/start.js': '' });
    assert.equal((await detectEntry(dir, '')).file, path.join(dir, 'lib', 'start.js'));
  });

  test('main names a folder with index.js', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: './lib' }), 'lib/index.js': '' });
    assert.equal((await detectEntry(dir, '')).file, path.join(dir, 'lib', 'index.js'));
  });

  test('main prefers the file over a folder of the same name, as node does', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: 'lib' }), 'lib/index.js': '', 'lib.js': '' });
    assert.equal((await detectEntry(dir, '')).file, path.join(dir, 'lib.js'));
  });

  test('a missing main (npm init -y writes "index.js") falls back to the usual candidates, saying so', async () => {
    const pkg = JSON.stringify({ name: 'x', version: '1.0.0', main: 'index.js', scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    for (const name of ['app.js', 'server.js']) {
      const dir = await app({ 'package.json': pkg, [name]: '' });
      const found = await detectEntry(dir, '');
      assert.equal(found.file, path.join(dir, name));
      assert.equal(found.how, `${name} (package.json "main" names "index.js", which does not exist)`);
    }
  });

  test('a missing main falls back to the package.json start script', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: 'index.js', scripts: { start: 'node src/boot.js' } }), 'src/boot.js': '' });
    const found = await detectEntry(dir, '');
    assert.equal(found.file, path.join(dir, 'src', 'boot.js'));
    assert.ok(found.start, 'runs the start script');
    assert.match(found.how, /^package\.json start script \(package\.json "main" names "index\.js"/);
  });

  test('a missing main with nothing else found is an EntryError naming the missing main', async () => {
    const dir = await app({ 'package.json': JSON.stringify({ main: 'dist/missing.js', scripts: { test: 'x' } }), 'main.js': '' });
    const error = await entryError(detectEntry(dir, ''));
    assert.match(error.message, /package\.json "main" names "dist\/missing\.js", which does not exist/);
    assert.ok(error.message.includes(dir), error.message);
    assert.ok(error.message.includes('server.js, app.js, index.js'), error.message);
    assert.match(error.message, /Fix "main", or set entry in berth\.yml/);
  });

  test('a broken package.json is an EntryError naming the file', async () => {
    const dir = await app({ 'package.json': '{ "main": "server.js", }', 'server.js': '' });
    const error = await entryError(detectEntry(dir, ''));
    assert.ok(error.message.includes(path.join(dir, 'package.json')), error.message);
    assert.match(error.message, /is not valid JSON/);
  });

  test('a package.json without main, or with an empty or non-string main, falls back', async () => {
    for (const pkg of [{ name: 'x' }, { main: '' }, { main: '   ' }, { main: 42 }]) {
      const dir = await app({ 'package.json': JSON.stringify(pkg), 'app.js': '' });
      assert.deepEqual(await detectEntry(dir, ''), { file: path.join(dir, 'app.js'), how: 'app.js' }, JSON.stringify(pkg));
    }
  });
});

describe('detectEntry: fallbacks', () => {
  test('the candidates are server.js, app.js, index.js in that order', () => {
    assert.deepEqual([...ENTRY_CANDIDATES], ['server.js', 'app.js', 'index.js']);
  });

  test('server.js first', async () => {
    const dir = await app({ 'index.js': '', 'app.js': '', 'server.js': '' });
    assert.deepEqual(await detectEntry(dir, ''), { file: path.join(dir, 'server.js'), how: 'server.js' });
  });

  test('then app.js', async () => {
    const dir = await app({ 'index.js': '', 'app.js': '' });
    assert.deepEqual(await detectEntry(dir, ''), { file: path.join(dir, 'app.js'), how: 'app.js' });
  });

  test('then index.js', async () => {
    const dir = await app({ 'index.js': '' });
    assert.deepEqual(await detectEntry(dir, ''), { file: path.join(dir, 'index.js'), how: 'index.js' });
  });

  test('a folder called server.js is not a file', async () => {
    const dir = await app({ 'server.js/': '', 'index.js': '' });
    assert.equal((await detectEntry(dir, '')).file, path.join(dir, 'index.js'));
  });

  test('nothing found: the message lists everything that was looked for', async () => {
    const dir = await app({ 'readme.md': '', 'main.js': '' });
    const error = await entryError(detectEntry(dir, ''));
    assert.ok(error.message.includes(dir), error.message);
    for (const part of ['entry', 'package.json', 'server.js, app.js, index.js']) assert.ok(error.message.includes(part), `${part} missing: ${error.message}`);
  });

  test('a folder that does not exist is an EntryError, not a crash', async () => {
    await entryError(detectEntry(path.join(root, 'does-not-exist'), ''));
  });
});
