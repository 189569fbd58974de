/**
 * Berth's benchmark: `npm run bench` (builds, then runs this file).
 *
 *   node dist/test/bench/run.js [--quick] [--only <scenario>[,<scenario>]] [--json <file>]
 *                               [--rounds <n>] [--seconds <s>] [--tool wrk|autocannon]
 *
 * Each scenario measures a reference (node's cluster, or plain node) and Berth alternately, prints progress on
 * stderr and, at the end, one table on stdout. Timings never fail the run: the exit code is 0 when the measurements
 * ran, 1 when a scenario could not run, 2 for bad arguments, 130 when interrupted.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { removeBerthHome } from './lib/hosts.js';
import { defaultLoadTool, type LoadTool } from './lib/load.js';
import { killAllNow, stopAll } from './lib/processes.js';
import { renderTable } from './lib/report.js';
import { runScenario, type BenchOptions, type ScenarioResult } from './lib/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const USAGE = `Usage: node dist/test/bench/run.js [options]   (or: npm run bench -- [options])

  --quick              short smoke run: 1 round, 2 s loads, short variants of the other scenarios
  --only <names>       run only these scenarios (comma-separated): ${SCENARIOS.map((s) => s.name).join(', ')}
  --json <file>        also write the figures as JSON
  --rounds <n>         A/B rounds per scenario (default 3; upgrade, memory, logs use at most 2,
                       reload and control-api 1, cold-start at least 5)
  --seconds <s>        measured seconds per load in hello, cpu and latency (default 5); the other
                       scenarios' lengths are fixed by what they measure
  --tool <name>        load generator: wrk or autocannon (default: wrk when on PATH)
`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) fail(`--${name} must be a whole number ≥ 1, not "${text}"`);
  return Number(text);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        json: { type: 'string' },
        rounds: { type: 'string' },
        seconds: { type: 'string' },
        tool: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const names = values.only?.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length) fail(`unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}`);
  const scenarios = names ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;

  if (values.tool !== undefined && values.tool !== 'wrk' && values.tool !== 'autocannon') fail(`--tool must be wrk or autocannon, not "${values.tool}"`);
  const tool: LoadTool = (values.tool as LoadTool | undefined) ?? defaultLoadTool();
  const options: BenchOptions = {
    quick: values.quick,
    rounds: positiveInt(values.rounds, 'rounds') ?? (values.quick ? 1 : 3),
    seconds: positiveInt(values.seconds, 'seconds') ?? (values.quick ? 2 : 5),
    warmupSeconds: values.quick ? 1 : 2,
    tool,
    log: (line) => process.stderr.write(`${line}\n`),
  };

  const cpus = os.availableParallelism();
  const started = Date.now();
  options.log(
    `Berth benchmark: ${scenarios.map((s) => s.name).join(', ')}; ${options.rounds} round(s) of ${options.seconds} s (+${options.warmupSeconds} s warm-up), ` +
      `load by ${tool}; node ${process.version}, ${cpus} CPU(s)`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    options.log(`${scenario.name}: ${scenario.description}`);
    const result = await runScenario(scenario, options);
    if (result.error) options.log(`  ${scenario.name} could not run: ${result.error}`);
    results.push(result);
  }
  const seconds = Math.round((Date.now() - started) / 1000);

  process.stdout.write(
    `\nBerth benchmark, ${new Date().toISOString().slice(0, 10)}: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus} CPU(s), ` +
      `load by ${tool}; medians of ${options.rounds} round(s) × ${options.seconds} s${options.quick ? ' (--quick)' : ''}; took ${seconds} s\n\n`,
  );
  process.stdout.write(`${renderTable(results)}\n`);

  if (values.json) {
    const report = {
      date: new Date().toISOString(),
      machine: { platform: os.platform(), arch: os.arch(), cpus, cpuModel: os.cpus()[0]?.model ?? '', node: process.version },
      tool,
      options: { quick: options.quick, rounds: options.rounds, seconds: options.seconds, warmupSeconds: options.warmupSeconds },
      durationSeconds: seconds,
      scenarios: results,
    };
    await writeFile(path.resolve(values.json), `${JSON.stringify(report, null, 2)}\n`);
    options.log(`Wrote ${path.resolve(values.json)}`);
  }
  return results.some((r) => r.error) ? 1 : 0;
}

// Ctrl+C (and a terminate from a test runner's timeout): stop everything the benchmark started, in order, then leave.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, stopping the processes it started...\n`);
    void stopAll().finally(() => {
      removeBerthHome();
      process.exit(130);
    });
  });
}
// Whatever else ends this process (an exception, process.exit) must not leave servers behind.
process.on('exit', () => {
  killAllNow();
  removeBerthHome();
});

main().then(
  async (code) => {
    await stopAll(); // normally nothing is left; this is a safety net
    removeBerthHome();
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopAll();
    removeBerthHome();
    process.exitCode = 1;
  },
);
