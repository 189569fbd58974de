/**
 * `npm test`: node's test runner over dist/test (engine, main process, end to end), then vitest over the renderer's
 * component and store tests. Each prints its own report ending with `N passed, N failed`; this adds them up into one
 * closing line. A runner that crashes or prints no closing line counts as one failure. No shell, no globs: the same
 * on Windows.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, \d+ skipped)?\s*$/;

interface Outcome {
  passed: number;
  failed: number;
}

function runStep(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let last: Outcome | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = SUMMARY.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
        if (match) last = { passed: Number(match[1]), failed: Number(match[2]) };
      }
    });
    child.on('error', (error) => {
      process.stderr.write(`${name}: could not start: ${error.message}\n`);
      resolve({ passed: 0, failed: 1 });
    });
    child.on('close', (code) => {
      if (!last) {
        process.stderr.write(`${name}: ended (code ${code}) without its closing line; counted as one failure.\n`);
        resolve({ passed: 0, failed: 1 });
      } else if (code !== 0 && last.failed === 0) {
        process.stderr.write(`${name}: exit code ${code} with no failing test; counted as one failure.\n`);
        resolve({ passed: last.passed, failed: 1 });
      } else resolve(last);
    });
  });
}

const node = await runStep('node:test', [path.join(REPO, 'dist', 'test', 'run.js'), ...process.argv.slice(2)]);
const vitest = await runStep('vitest', [path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { NO_COLOR: '1', FORCE_COLOR: '0' });
const passed = node.passed + vitest.passed;
const failed = node.failed + vitest.failed;
process.stdout.write(`\nnode:test ${node.passed} passed, ${node.failed} failed; vitest ${vitest.passed} passed, ${vitest.failed} failed\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
