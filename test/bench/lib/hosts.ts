/**
 * The three ways the benchmark hosts an app: Berth (`berth serve`), node's `cluster` module, and plain `node`.
 * Each host is started on a free port, waited for (HTTP 200, and every worker up), used, and stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForOk } from './http.js';
import { BENCH_SOURCE, REPO } from './paths.js';
import { startProcess, withProcess, type ManagedProcess } from './processes.js';

export type HostKind = 'berth' | 'cluster' | 'node';

export interface HostSpec {
  kind: HostKind;
  /** Folder name under test/bench/apps/. Its berth.yml sets the worker count under Berth. */
  app: string;
  /** Worker count for the cluster reference (Berth reads it from the app's berth.yml). */
  workers?: number;
  /** Environment added for Berth (e.g. BERTH_CONNECTIONHANDOFF=off for the proxy lane). */
  env?: NodeJS.ProcessEnv;
}

export interface Host {
  url: string;
  proc: ManagedProcess;
  /** Milliseconds from spawning the host to its first 200 response. */
  firstOkMs: number;
}

/** How long a host may take to serve; generous because other work may share the machine. */
const START_TIMEOUT_MS = 30_000;

export function appFolder(app: string): string {
  return path.join(BENCH_SOURCE, 'apps', app);
}

/** Short description for logs and tables, e.g. "cluster ×2". */
export function hostLabel(spec: HostSpec): string {
  if (spec.kind === 'cluster') return `cluster ×${spec.workers ?? 2}`;
  if (spec.kind === 'node') return 'node app.js';
  return 'Berth';
}

/** Starts the host, waits until it serves with all its workers, runs `use`, and always stops the host. */
export async function withHost<T>(spec: HostSpec, use: (host: Host) => Promise<T>): Promise<T> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const folder = appFolder(spec.app);
  const entry = path.join(folder, 'server.js');
  // References run on this very node; Berth too (see berthEnvironment for its workers).
  const node = process.execPath;

  let proc: ManagedProcess;
  let allReady: RegExp | undefined;
  if (spec.kind === 'berth') {
    proc = startBerth([folder], port, spec.app, spec.env);
    allReady = RUNNING_LINE;
  } else if (spec.kind === 'cluster') {
    const workers = spec.workers ?? 2;
    proc = startProcess(`cluster ×${workers} ${spec.app}`, node, [path.join(BENCH_SOURCE, 'reference', 'cluster.cjs'), entry, String(workers)], {
      cwd: folder,
      env: { ...process.env, PORT: String(port) },
    });
    allReady = /^ready$/m;
  } else {
    proc = startProcess(`node ${spec.app}/server.js`, node, [entry], { cwd: folder, env: { ...process.env, PORT: String(port) } });
  }

  return withProcess(proc, async () => {
    const okAt = await waitForOk(url, proc, START_TIMEOUT_MS);
    const firstOkMs = okAt - proc.spawnedAt;
    // Measuring while a worker still starts would compare one worker with two.
    if (allReady) await proc.waitForOutput(allReady, START_TIMEOUT_MS);
    return use({ url, proc, firstOkMs });
  });
}

/** `[<app>] running`: Berth prints it once every worker of the app is ready (again after a recycle). */
const RUNNING_LINE = /^\[[^\]]+\] running$/m;

let benchHome: string | undefined;

/**
 * The Berth home folder (BERTH_HOME) of every engine the benchmark starts, unless a scenario gives its own: a
 * temporary folder, so that a benchmark's engine never writes its discovery file and token over those of an engine
 * the user runs, nor reads the user's registry.
 */
function berthHome(): string {
  benchHome ??= mkdtempSync(path.join(os.tmpdir(), 'berth-bench-home-'));
  return benchHome;
}

/** Removes the temporary Berth home folder; for the end of the run, once every engine has stopped. */
export function removeBerthHome(): void {
  if (benchHome) rmSync(benchHome, { recursive: true, force: true });
  benchHome = undefined;
}

/**
 * Spawns `berth serve <folders...>` on 127.0.0.1:<port> (not waited for). `env` adds to (or overrides) its
 * environment; `nodeArgs` go to the engine's node (e.g. --cpu-prof), not to its workers.
 */
export function startBerth(
  folders: readonly string[],
  port: number,
  label = folders.map((f) => path.basename(f)).join(' '),
  env: NodeJS.ProcessEnv = {},
  nodeArgs: readonly string[] = [],
): ManagedProcess {
  return startProcess(`berth serve ${label}`, process.execPath, [...nodeArgs, path.join(REPO, 'bin', 'berth.js'), 'serve', ...folders, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: REPO,
    env: { ...berthEnvironment(), BERTH_HOME: berthHome(), ...env },
    stopSignal: 'SIGINT', // Berth's graceful stop; a second SIGINT kills its workers at once
  });
}

export interface BerthHost {
  /** The front server's root on 127.0.0.1: the app itself when exactly one app is hosted. */
  url: string;
  port: number;
  proc: ManagedProcess;
}

/**
 * Runs `berth serve` with app folders anywhere (for scenarios that change an app's files, or host many apps), waits
 * until every app is running (all of its workers ready), runs `use`, and always stops Berth.
 */
export async function withBerth<T>(
  folders: readonly string[],
  use: (berth: BerthHost) => Promise<T>,
  options: { env?: NodeJS.ProcessEnv; label?: string; nodeArgs?: readonly string[] } = {},
): Promise<T> {
  const port = await freePort();
  const proc = startBerth(folders, port, options.label, options.env, options.nodeArgs);
  return withProcess(proc, async () => {
    const runningApps = () => new Set(proc.stdout.match(new RegExp(RUNNING_LINE.source, 'gm')) ?? []).size;
    await proc.waitUntil(() => runningApps() >= folders.length, START_TIMEOUT_MS + 2000 * folders.length, `report all ${folders.length} app(s) running`);
    return use({ url: `http://127.0.0.1:${port}/`, port, proc });
  });
}

/**
 * Berth starts workers with `node` from PATH; putting this node's folder first makes the workers run on the same
 * node as the references, so the comparison is between hosts, not node versions.
 */
function berthEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Windows spells it Path; keep whichever spelling is there.
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  env[key] = [path.dirname(process.execPath), env[key]].filter(Boolean).join(path.delimiter);
  return env;
}
