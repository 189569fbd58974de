import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { resolveStartCommand } from '../../core/app/start-command.js';
import { tempDir } from '../helpers/paths.js';

describe('start commands are resolved without a shell', () => {
  test('npm/yarn/npx scripts, node with flags, bins from node_modules, port flags unless the command sets one', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    await mkdir(path.join(dir, 'node_modules', 'astro', 'dist'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules', 'astro', 'package.json'), JSON.stringify({ name: 'astro', bin: { astro: 'astro.js' } }));
    const scripts = { start: 'npm run serve -- --extra', serve: 'node --enable-source-maps dist/server.js --x', preview: 'astro preview' };
    const viaNpm = await resolveStartCommand(dir, 'npm start', scripts);
    assert.deepEqual([viaNpm.nodeFlags, viaNpm.script, viaNpm.args], [['--enable-source-maps'], path.join(dir, 'dist', 'server.js'), ['--x', '--extra']]);
    const astro = await resolveStartCommand(dir, 'yarn preview', scripts);
    assert.equal(astro.script, path.join(dir, 'node_modules', 'astro', 'astro.js'));
    assert.deepEqual(astro.portArgs, ['--port', '{port}', '--host', '127.0.0.1']);
    assert.deepEqual((await resolveStartCommand(dir, 'npx astro preview --port 4000', scripts)).portArgs, []);
    await assert.rejects(resolveStartCommand(dir, 'vite preview', scripts), /runs "vite", which is not installed in .*node_modules: run npm install/);
    await assert.rejects(resolveStartCommand(dir, 'NODE_ENV=production node a.js', scripts), /needs one \(NODE_ENV=production\)/);
    await assert.rejects(resolveStartCommand(dir, 'npm run nope', scripts), /"nope" is not in "scripts"/);
  });

  test("a tool installed in a parent folder's node_modules (a workspace's hoisted install) is found there, the nearest first", async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const app = path.join(dir, 'packages', 'site');
    for (const [where, file] of [[dir, 'root.js'], [path.join(dir, 'packages'), 'nearer.js']] as const) {
      await mkdir(path.join(where, 'node_modules', 'vite', 'bin'), { recursive: true });
      await writeFile(path.join(where, 'node_modules', 'vite', 'package.json'), JSON.stringify({ name: 'vite', bin: { vite: `bin/${file}` } }));
    }
    await mkdir(app, { recursive: true });
    const preview = await resolveStartCommand(app, 'npm start', { start: 'vite preview' });
    assert.equal(preview.script, path.join(dir, 'packages', 'node_modules', 'vite', 'bin', 'nearer.js'));
    assert.deepEqual(preview.args, ['preview']);
    assert.equal((await resolveStartCommand(dir, 'vite preview', {})).script, path.join(dir, 'node_modules', 'vite', 'bin', 'root.js'));
  });

  test('a Vite whose CLI locks a project to one preview process gets --bypass-lock (one per worker); an older one does not', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    for (const [name, cli] of [['new', 'cli.option("--bypass-lock", "[boolean] disable process locks")'], ['old', 'cli.option("--force")']] as const) {
      const vite = path.join(dir, name, 'node_modules', 'vite');
      await mkdir(path.join(vite, 'bin'), { recursive: true });
      await mkdir(path.join(vite, 'dist', 'node'), { recursive: true });
      await writeFile(path.join(vite, 'package.json'), JSON.stringify({ name: 'vite', bin: { vite: 'bin/vite.js' } }));
      await writeFile(path.join(vite, 'dist', 'node', 'cli.js'), cli);
    }
    assert.deepEqual((await resolveStartCommand(path.join(dir, 'new'), 'vite preview', {})).args, ['preview', '--bypass-lock']);
    assert.deepEqual((await resolveStartCommand(path.join(dir, 'new'), 'vite preview --bypass-lock', {})).args, ['preview', '--bypass-lock']);
    assert.deepEqual((await resolveStartCommand(path.join(dir, 'old'), 'vite preview', {})).args, ['preview']);
  });
});
