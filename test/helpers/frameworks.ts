/**
 * The real frameworks of test/frameworks (issue 15): one fixture package (its own package.json and package-lock.json,
 * not the repo's, so the repo's `npm ci` stays fast) installed once into a cache folder named after the lock file's
 * hash, `<cache>/berth-frameworks-<hash>` (`<cache>`: BERTH_FRAMEWORKS_CACHE, else XDG_CACHE_HOME, else ~/.cache), and
 * reused by every later run, offline. Only npm installs it, from the npm registry, with `--ignore-scripts`, so no
 * package's install script downloads anything else. The apps (test/frameworks/apps) are built there once per version
 * of their files (`next build`, `vite build`, the Nest app's TypeScript), and each run gets its own copy of them in
 * the install folder (Berth writes logs into an app's folder), whose parents' node_modules they resolve from.
 * Everything runs as `node <script>` without a shell, so it works the same on Windows.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './paths.js';

export const FRAMEWORKS = path.join(REPO, 'test', 'frameworks');
const APPS = path.join(FRAMEWORKS, 'apps');
/** Left by a finished install or build: a folder without it is an interrupted one and is done again. */
const DONE = '.berth-done';

export interface FrameworkApps {
  /** The cached install (its node_modules serve every app). */
  install: string;
  /** This run's copies of the apps, one folder each (`path.join(runDir, 'express')`). */
  runDir: string;
  /** How long the install and the builds took in this run (0 when they came from the cache). */
  installMs: number;
  buildMs: number;
  /** Removes this run's copies (the cache stays). */
  cleanup(): Promise<void>;
}

function cacheRoot(): string {
  return process.env.BERTH_FRAMEWORKS_CACHE || process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
}

/** Files under `dir` (relative, `/`-separated, sorted), without build output and logs. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (['node_modules', 'dist', '.next', 'iisnode'].includes(entry.name)) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

async function hashOf(dir: string, files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(await readFile(path.join(dir, ...file.split('/')))).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** npm's own script, run with this node: no shell, and no npm.cmd on Windows. */
function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  const beside = [path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js'), path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    beside.push(path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js'));
    const bin = path.join(dir, 'npm');
    if (process.platform !== 'win32' && existsSync(bin)) beside.push(realpathSync(bin));
  }
  const found = beside.find((file) => file.endsWith('npm-cli.js') && existsSync(file));
  if (!found) throw new Error(`npm's npm-cli.js was not found beside ${process.execPath} nor on PATH; install npm, or run the tests through npm test.`);
  return found;
}

/** Runs `node <args>` in `cwd`; rejects with its output when it fails. */
function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} in ${cwd} exited with ${code}:\n${output.slice(-4000)}`))));
  });
}

/** Makes `target` with `make(temp)` in a temporary folder beside it, renamed when done: never half made. */
async function once(target: string, make: (temp: string) => Promise<void>): Promise<boolean> {
  if (existsSync(path.join(target, DONE))) return false;
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await rm(temp, { recursive: true, force: true });
  try {
    await make(temp);
    await writeFile(path.join(temp, DONE), new Date().toISOString());
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    // Another run may have finished the same folder meanwhile.
    if (existsSync(path.join(target, DONE))) return true;
    throw error;
  }
  return true;
}

/** The cached install and built apps (made on first use), and a fresh copy of the apps for this run. */
export async function frameworkApps(): Promise<FrameworkApps> {
  const lock = await hashOf(FRAMEWORKS, ['package.json', 'package-lock.json']);
  const install = path.join(cacheRoot(), `berth-frameworks-${lock}`);
  let started = Date.now();
  const installed = await once(install, async (temp) => {
    await mkdir(temp, { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) await cp(path.join(FRAMEWORKS, file), path.join(temp, file));
    await runNode([npmCli(), 'ci', '--prefix', temp, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], temp);
  });
  const installMs = installed ? Date.now() - started : 0;

  // The apps are built inside the install folder, so that they resolve its node_modules.
  const built = path.join(install, `apps-${await hashOf(APPS, await listFiles(APPS))}`);
  started = Date.now();
  const modules = path.join(install, 'node_modules');
  const didBuild = await once(built, async (temp) => {
    await cp(APPS, temp, { recursive: true });
    const env = { NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
    await runNode([path.join(modules, 'next', 'dist', 'bin', 'next'), 'build'], path.join(temp, 'next'), env);
    await runNode([path.join(modules, 'vite', 'bin', 'vite.js'), 'build'], path.join(temp, 'vite'), env);
    await runNode([path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(temp, 'nest', 'tsconfig.json')], path.join(temp, 'nest'));
  });
  const buildMs = didBuild ? Date.now() - started : 0;

  const runs = path.join(install, 'runs');
  await mkdir(runs, { recursive: true });
  const runDir = await mkdtemp(path.join(runs, 'run-'));
  // Not the build caches (.next/cache): only what the apps run from.
  const skip = (source: string) => path.basename(source) === DONE || (path.basename(source) === 'cache' && path.basename(path.dirname(source)) === '.next');
  await cp(built, runDir, { recursive: true, filter: (source) => !skip(source) });
  return { install, runDir, installMs, buildMs, cleanup: () => rm(runDir, { recursive: true, force: true, maxRetries: 5 }) };
}
