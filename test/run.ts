/**
 * Runs every test file under dist/test (unit and integration) with node's test runner, prints the spec report,
 * and ends with one `N passed, N failed` line. No globs, so it behaves the same on Windows.
 *
 *   node dist/test/run.js [filter...]   only files whose path contains one of the filters
 */
import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { PATIENCE } from './helpers/wine.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'fixtures' && name !== 'bench') found.push(...testFiles(full));
    } else if (name.endsWith('.test.js')) found.push(full);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = testFiles(here).filter((f) => !filters.length || filters.some((x) => f.includes(x)));
let passed = 0;
let failed = 0;
let skipped = 0;
// A file that runs longer than this fails (longer under Wine, where every system call is translated: 12 minutes, under
// the Windows lane's own limit per file, so that the report still says which test was running).
const stream = run({ files, concurrency: Math.max(2, os.availableParallelism()), timeout: 180_000 * Math.min(PATIENCE, 4) });
stream.on('test:pass', (event) => {
  if (event.details.type === 'suite') return;
  // A skipped test (only ever under Wine: see test/helpers/wine.ts) is counted apart, its reason in the report.
  if (event.skip !== undefined && event.skip !== false) skipped++;
  else passed++;
});
stream.on('test:fail', (event) => {
  // A file that fails to load is reported as a failing test too, so it counts.
  if (event.details.type !== 'suite') failed++;
});
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
});
