/**
 * Where the engine's time goes: runs `berth serve` on a benchmark app under `node --cpu-prof`, puts the same load on
 * it as the benchmark does, stops it gracefully (which writes the profile), and prints the engine's time by function.
 *
 *   node dist/test/bench/profile.js [--app hello] [--seconds 10] [--connections 50] [--top 30] [--out <dir>]
 *                                   [--tool wrk|autocannon]
 *
 * The .cpuprofile file is kept (in --out, or a temporary folder that is printed) for Chrome DevTools or VS Code.
 * On Linux it also prints the engine's CPU per request, user and kernel, read from /proc during the measured load
 * (with the profiler's own overhead included).
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeCpuProfile } from './lib/cpuprofile.js';
import { appFolder, removeBerthHome, withBerth } from './lib/hosts.js';
import { defaultLoadTool, runLoad, type LoadTool } from './lib/load.js';
import { cpuTimes } from './lib/procfs.js';
import { killAllNow, stopAll } from './lib/processes.js';
import { formatMs } from './lib/scenario.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: 'hello' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      top: { type: 'string', default: '30' },
      out: { type: 'string' },
      tool: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const top = Number(values.top);
  if (![seconds, connections, top].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--seconds, --connections and --top take whole numbers ≥ 1');
  const tool = (values.tool as LoadTool | undefined) ?? defaultLoadTool();
  const dir = values.out ? path.resolve(values.out) : await mkdtemp(path.join(os.tmpdir(), 'berth-profile-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);

  log(`Profiling the engine: ${values.app}, ${connections} connections, ${seconds} s of load by ${tool} (after 2 s of warm-up); profile in ${dir}`);
  const load = await withBerth(
    [appFolder(values.app)],
    async (berth) => {
      await runLoad(tool, { url: berth.url, connections, seconds: 2 });
      const before = cpuTimes(berth.proc.child.pid);
      const result = await runLoad(tool, { url: berth.url, connections, seconds });
      const after = cpuTimes(berth.proc.child.pid);
      const cpu = before && after ? { user: after.user - before.user, system: after.system - before.system } : undefined;
      return { ...result, cpu };
    },
    { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], label: `${values.app} (profiled)` },
  );
  const file = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) throw new Error(`no .cpuprofile in ${dir}: did the engine exit normally?`);
  const summary = await summarizeCpuProfile(path.join(dir, file));

  const out: string[] = [];
  const pct = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)}%`;
  out.push(`Load: ${Math.round(load.rps).toLocaleString('en-US')} req/s (p50 ${formatMs(load.p50Ms)} ms, p99 ${formatMs(load.p99Ms)} ms, ${load.errors} errors), with the profiler on.`);
  if (load.cpu) {
    const per = (s: number) => ((s * 1e6) / load.requests).toFixed(1);
    out.push(`Engine CPU per request (from /proc): ${per(load.cpu.user)} µs user + ${per(load.cpu.system)} µs kernel = ${per(load.cpu.user + load.cpu.system)} µs.`);
  }
  out.push(
    `Profile ${path.join(dir, file)}: ${(summary.totalMs / 1000).toFixed(1)} s sampled (warm-up and stop included), ` +
      `${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle (waiting, and libuv's reads).`,
  );
  out.push('', `Self time, % of busy (top ${top}):`);
  for (const f of summary.functions.slice(0, top)) out.push(`${pct(f.selfMs)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`);
  out.push('', `Berth's own functions (core/), by inclusive time (top ${top}):`);
  for (const f of summary.functions.filter((f) => / (dist\/)?core\//.test(f.name)).sort((a, b) => b.inclusiveMs - a.inclusiveMs).slice(0, top)) {
    out.push(`${pct(f.inclusiveMs)} ${f.inclusiveMs.toFixed(0).padStart(7)} ms  ${f.name}  (self ${f.selfMs.toFixed(0)} ms)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll().finally(() => process.exit(130)));
process.on('exit', () => {
  killAllNow();
  removeBerthHome();
});
main().then(
  async (code) => {
    await stopAll();
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(`profile: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
