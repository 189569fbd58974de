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
});
