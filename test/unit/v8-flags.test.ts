/**
 * The engine's start-up flags (core/engine/v8-flags.ts): until the engine serves, V8 optimizes nothing however hot
 * (start-up work is never hot again and optimizing it leaves compiler code resident); after `endEngineStartUp` a hot
 * function is optimized as usual. Run in a child process, which gets the flags as the engine does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/paths.js';

const SCRIPT = `
import v8 from 'node:v8';
const { applyEngineV8Flags, endEngineStartUp } = await import(${JSON.stringify(pathToFileURL(path.join(REPO, 'dist', 'core', 'engine', 'v8-flags.js')).href)});
applyEngineV8Flags();
v8.setFlagsFromString('--allow-natives-syntax');
const status = new Function('f', 'return %GetOptimizationStatus(f)');
const OPTIMIZED = 16 | 32 | 64; // V8's kOptimized, kMaglevved, kTurboFanned
const OPTIMIZING = 1024 | 2048 | 4096 | 8192; // marked for (concurrent) optimization, or being compiled
function work(n) { let s = 0; for (let i = 0; i < 50; i++) s += (n * i) % 7; return s; }
function hot(rounds) { for (let i = 0; i < rounds; i++) work(i); }
hot(200000);
const duringStartUp = status(work);
endEngineStartUp();
let after = 0;
for (let round = 0; round < 400 && !(after & OPTIMIZED); round++) {
  hot(20000);
  after = status(work);
  if (after & OPTIMIZING) await new Promise((resolve) => setImmediate(resolve)); // a concurrent compile lands between turns
}
process.stdout.write(JSON.stringify({ duringStartUp: (duringStartUp & OPTIMIZED) !== 0, after: (after & OPTIMIZED) !== 0 }));
`;

test('until the engine serves, V8 optimizes no function; after endEngineStartUp a hot one is optimized', { timeout: 120_000 }, async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', SCRIPT], { windowsHide: true }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
  assert.deepEqual(JSON.parse(output), { duringStartUp: false, after: true });
});
