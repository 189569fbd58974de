/**
 * Smoke check of the benchmark harness: a --quick run of the hello scenario must start and stop both hosts, put load
 * on them and report figures. It never asserts on speed: this machine may be busy, and timing is the benchmark's
 * business (npm run bench), not the test suite's.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO, tempDir } from '../helpers/paths.js';

interface BenchReport {
  scenarios: {
    name: string;
    error?: string;
    median: { reference: Record<string, number>; berth: Record<string, number> };
    figures: { name: string; reference: number; berth: number; ratio: number }[];
  }[];
}

test('the benchmark (--quick --only hello) runs both hosts and reports figures as JSON', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir('berth-bench-');
  try {
    const jsonFile = path.join(dir, 'bench.json');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(REPO, 'dist', 'test', 'bench', 'run.js'), '--quick', '--only', 'hello', '--json', jsonFile],
        // SIGTERM on timeout: the benchmark then stops every process it started.
        { cwd: REPO, timeout: 90_000, killSignal: 'SIGTERM', maxBuffer: 10 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, `the benchmark failed:\n${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout, /\| hello +\| cluster ×2 +\| throughput/, 'the table has the hello throughput row');

    const report = JSON.parse(await readFile(jsonFile, 'utf8')) as BenchReport;
    const hello = report.scenarios.find((s) => s.name === 'hello');
    assert.ok(hello, 'the JSON has the hello scenario');
    assert.equal(hello.error, undefined);
    const throughput = hello.figures.find((f) => f.name === 'throughput');
    assert.ok(throughput, 'the hello scenario has a throughput figure');
    assert.ok(throughput.reference > 0, `reference throughput ${throughput.reference} req/s`);
    assert.ok(throughput.berth > 0, `Berth throughput ${throughput.berth} req/s`);
    assert.ok(Number.isFinite(throughput.ratio) && throughput.ratio > 0, `ratio ${throughput.ratio}`);
    assert.ok(hello.median.reference.rps! > 0 && hello.median.berth.rps! > 0);
  } finally {
    await cleanup();
  }
});
