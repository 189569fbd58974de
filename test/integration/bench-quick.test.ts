/**
 * Smoke check of the benchmark harness: a --quick run of the hello scenario must start and stop both hosts, put load
 * on them and report figures; a --quick run of the reload scenario covers the scenarios that measure Berth alone on a
 * throwaway copy of an app whose files they change. It never asserts on speed: this machine may be busy, and timing
 * is the benchmark's business (npm run bench), not the test suite's.
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
    figures: { name: string; reference: number | null; berth: number; ratio: number | null }[];
  }[];
}

/** Runs the benchmark with `args` plus --json; returns its exit code, output and the JSON report. */
async function runBench(args: string[], dir: string): Promise<{ code: number | null; stdout: string; stderr: string; report: BenchReport | undefined }> {
  const jsonFile = path.join(dir, `bench-${args.join('-').replace(/[^\w-]/g, '')}.json`);
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'dist', 'test', 'bench', 'run.js'), ...args, '--json', jsonFile],
      // SIGTERM on timeout: the benchmark then stops every process it started.
      { cwd: REPO, timeout: 90_000, killSignal: 'SIGTERM', maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
  const report = await readFile(jsonFile, 'utf8').then((text) => JSON.parse(text) as BenchReport, () => undefined);
  return { ...run, report };
}

test('the benchmark (--quick --only hello) runs both hosts and reports figures as JSON', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir('berth-bench-');
  try {
    const run = await runBench(['--quick', '--only', 'hello'], dir);
    assert.equal(run.code, 0, `the benchmark failed:\n${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout, /\| hello +\| cluster ×2 +\| throughput/, 'the table has the hello throughput row');

    const hello = run.report?.scenarios.find((s) => s.name === 'hello');
    assert.ok(hello, 'the JSON has the hello scenario');
    assert.equal(hello.error, undefined);
    const throughput = hello.figures.find((f) => f.name === 'throughput');
    assert.ok(throughput, 'the hello scenario has a throughput figure');
    assert.ok(throughput.reference! > 0, `reference throughput ${throughput.reference} req/s`);
    assert.ok(throughput.berth > 0, `Berth throughput ${throughput.berth} req/s`);
    assert.ok(Number.isFinite(throughput.ratio) && throughput.ratio! > 0, `ratio ${throughput.ratio}`);
    assert.ok(hello.median.reference.rps! > 0 && hello.median.berth.rps! > 0);
  } finally {
    await cleanup();
  }
});

test('the benchmark (--quick --only reload) measures Berth alone on a copy of an app whose server.js it rewrites', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir('berth-bench-');
  try {
    const run = await runBench(['--quick', '--only', 'reload'], dir);
    assert.equal(run.code, 0, `the benchmark failed:\n${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout, /\| reload +\| — +\| write → new version answers/, 'the table has the reload row, with no reference');

    const reload = run.report?.scenarios.find((s) => s.name === 'reload');
    assert.ok(reload, 'the JSON has the reload scenario');
    assert.equal(reload.error, undefined);
    const delay = reload.figures[0];
    assert.ok(delay && delay.berth > 0, `time to the new version: ${delay?.berth} ms`);
    assert.equal(delay.reference, null, 'no reference (NaN in JSON is null)');
  } finally {
    await cleanup();
  }
});
