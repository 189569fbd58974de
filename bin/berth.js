#!/usr/bin/env node
// The `berth` command: runs the compiled CLI (dist/, built by `npm ci` / `npm install` in a checkout, and shipped in
// the package made by `npm pack`). In a checkout that was never built, it says so and builds first, never silently.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'dist', 'core', 'cli', 'main.js');

if (!existsSync(main)) {
  if (!existsSync(path.join(root, 'node_modules', 'typescript'))) {
    process.stderr.write(
      `berth: ${main} is missing and this copy of Berth cannot build it (no development tools in ${root}).\n` +
        'Run `npm install` in a checkout of Berth (it builds), or install a package made with `npm pack` (it is built).\n',
    );
    process.exit(1);
  }
  process.stderr.write(`berth: first run in ${root}: building Berth (npm run build, about a minute)…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32', windowsHide: true });
  if (built.status !== 0 || !existsSync(main)) {
    process.stderr.write(`berth: the build failed (exit ${built.status ?? built.signal}); fix the error above, then run \`npm run build\` in ${root}.\n`);
    process.exit(1);
  }
  process.stderr.write('berth: built.\n');
}

// The engine's V8 flags (core/engine/v8-flags.ts, shared with the desktop app's engine process), set before the CLI
// and the engine are loaded: loading them already grows V8's young generation.
if (process.argv[2] === 'serve') {
  const { applyEngineV8Flags } = await import(pathToFileURL(path.join(root, 'dist', 'core', 'engine', 'v8-flags.js')).href);
  applyEngineV8Flags();
}

await import(pathToFileURL(main).href);
