/**
 * `berth doctor`: what Berth needs from this machine, each check answered with ok, a warning or a problem, and the
 * fix. The checks read and probe (a file created and deleted in the Berth home, a port bound and released, a name
 * looked up); they change nothing else.
 */
import { existsSync } from 'node:fs';
import { access, constants, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { connectControl, type NodeControlClient } from '../control/client.js';
import { findEngine } from '../control/discovery.js';
import { readToken } from '../control/token.js';
import { isPortFree, parsePortRange } from '../debug/ports.js';
import { resolveLogDirectory } from '../logs/naming.js';
import { findPortHolder } from '../platform/port-holder.js';
import type { Platform } from '../platform/platform.js';

export type CheckStatus = 'ok' | 'warning' | 'problem';

export interface CheckResult {
  /** A short id (stable, for --json readers). */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** For a warning or a problem: what to do. */
  fix?: string;
}

export interface DoctorInputs {
  home: string;
  /** The front server's port to check when no engine runs (default 8080). */
  port: number;
  platform: Platform;
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  /** The lowest Node version Berth supports (package.json `engines`). */
  minimumNode: string;
  /** The package folder (to find electron). */
  packageRoot: string;
}

function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.replace(/^v/, '').split('.').map(Number);
  const m = minimum.replace(/^[>=v\s]+/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (m[i] ?? 0)) return (a[i] ?? 0) > (m[i] ?? 0);
  }
  return true;
}

export function checkNode(version: string, minimum: string): CheckResult {
  const ok = versionAtLeast(version, minimum);
  return {
    id: 'node',
    title: 'Node.js',
    status: ok ? 'ok' : 'problem',
    detail: ok ? `Node.js ${version} (Berth needs ${minimum})` : `Node.js ${version} is older than Berth needs (${minimum}).`,
    ...(ok ? {} : { fix: 'Install a current Node.js LTS from https://nodejs.org/ (or with nvm / fnm / volta) and run berth with it.' }),
  };
}

export async function checkHome(home: string, platform: Platform): Promise<CheckResult> {
  const base = { id: 'home', title: 'Berth home folder' };
  const fixWritable = `Make ${home} writable for this user, or set BERTH_HOME to a folder that is.`;
  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
    const probe = path.join(home, `.doctor-${process.pid}`);
    await writeFile(probe, 'probe');
    await rm(probe, { force: true });
  } catch (error) {
    return { ...base, status: 'problem', detail: `${home} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, fix: fixWritable };
  }
  if (platform !== 'win32') {
    const mode = (await stat(home)).mode & 0o777;
    if (mode & 0o077) {
      return {
        ...base,
        status: 'warning',
        detail: `${home} is writable, but other users may read it (permissions ${mode.toString(8)}); it holds the control API's token.`,
        fix: `chmod 700 "${home}"`,
      };
    }
  }
  return { ...base, status: 'ok', detail: `${home} (writable${platform === 'win32' ? '' : ', this user only'})` };
}

/** What the running engine told us, for the checks that need it. */
export interface EngineFacts {
  frontPort: number;
  frontUrl: string;
  apps: { name: string; folder: string; entry: string | null; logDirectory: string; debuggerPortRange: string }[];
}

export async function checkEngine(home: string): Promise<{ result: CheckResult; facts?: EngineFacts }> {
  const base = { id: 'engine', title: 'Engine' };
  const lookup = await findEngine(home);
  if (lookup.state === 'none') {
    return { result: { ...base, status: 'warning', detail: `No engine is running for ${home}.`, fix: 'Start one with `berth serve` (or open the desktop app).' } };
  }
  if (lookup.state === 'stale') {
    return { result: { ...base, status: 'warning', detail: `No engine is running: engine.json is left over (${lookup.why}).`, fix: 'Start one with `berth serve`; it replaces the old file.' } };
  }
  const token = await readToken(home);
  if (!token) return { result: { ...base, status: 'problem', detail: `An engine runs (pid ${lookup.discovery.pid}) but its token file is missing.`, fix: 'Restart the engine: it writes a new token.' } };
  let client: NodeControlClient | undefined;
  try {
    client = await connectControl({ url: lookup.discovery.url, token });
    const info = await client.call('engine.info');
    const apps: EngineFacts['apps'] = [];
    for (const summary of await client.call('apps.list')) {
      if (summary.state === 'missing') continue;
      const detail = await client.call('apps.get', { app: summary.name });
      const setting = (name: string) => String(detail.config.settings.find((s) => s.name === name)?.value ?? '');
      apps.push({ name: summary.name, folder: summary.folder, entry: detail.entry, logDirectory: setting('logDirectory'), debuggerPortRange: setting('debuggerPortRange') });
    }
    const port = Number(new URL(info.frontUrl).port || 80);
    return {
      result: { ...base, status: 'ok', detail: `running and reachable: pid ${info.pid}, version ${info.version}, apps at ${info.frontUrl}, control API ${info.controlUrl}` },
      facts: { frontPort: port, frontUrl: info.frontUrl, apps },
    };
  } catch (error) {
    return {
      result: { ...base, status: 'problem', detail: `An engine is registered (pid ${lookup.discovery.pid}) but does not answer: ${(error as Error).message}`, fix: 'Stop that process and start the engine again with `berth serve`.' },
    };
  } finally {
    await client?.close();
  }
}

export async function checkFrontPort(port: number, engine: EngineFacts | undefined, platform: Platform): Promise<CheckResult> {
  const base = { id: 'front-port', title: `Front port ${port}` };
  if (engine && engine.frontPort === port) return { ...base, status: 'ok', detail: `used by the running Berth engine (${engine.frontUrl})` };
  if (await isPortFree(port)) return { ...base, status: 'ok', detail: `free: \`berth serve\` can listen on 127.0.0.1:${port}` };
  const holder = await findPortHolder(port, platform);
  const who = holder ? `${holder.name ?? 'a process'} (pid ${holder.pid})` : 'another program';
  return { ...base, status: 'problem', detail: `in use by ${who}.`, fix: `Stop ${who}, or start Berth on another port: \`berth serve --port 8081\`.` };
}

/**
 * Browsers (Chrome, Edge, Firefox) resolve every `*.localhost` name to loopback themselves. Node asks the system's
 * resolver, which on many Linux systems (and some others) does not know them.
 */
export async function checkLocalhostNames(port: number, resolve: (host: string) => Promise<{ address: string }> = (h) => lookup(h)): Promise<CheckResult[]> {
  const browsers: CheckResult = {
    id: 'localhost-browsers',
    title: '*.localhost in browsers',
    status: 'ok',
    detail: 'Chrome, Edge and Firefox resolve every *.localhost name to this computer themselves (RFC 6761).',
  };
  const name = 'berth-doctor.localhost';
  try {
    const { address } = await resolve(name);
    const loopback = address === '::1' || address.startsWith('127.');
    return [
      browsers,
      {
        id: 'localhost-node',
        title: '*.localhost for Node and command-line tools',
        status: loopback ? 'ok' : 'warning',
        detail: loopback ? `${name} resolves to ${address}` : `${name} resolves to ${address}, not to this computer.`,
        ...(loopback ? {} : { fix: `Use http://127.0.0.1:${port}/ with a Host header, e.g. curl -H "Host: shop.localhost" http://127.0.0.1:${port}/` }),
      },
    ];
  } catch (error) {
    return [
      browsers,
      {
        id: 'localhost-node',
        title: '*.localhost for Node and command-line tools',
        status: 'warning',
        detail: `Node cannot resolve ${name} on this system (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fetch() and scripts cannot reach http://<app>.localhost:${port}/ by name (browsers can).`,
        fix: `From Node or curl, connect to 127.0.0.1 and name the app in the Host header: curl -H "Host: shop.localhost" http://127.0.0.1:${port}/ (in Node: http.get({ host: "127.0.0.1", port: ${port}, headers: { Host: "shop.localhost" } })).`,
      },
    ];
  }
}

/** At least one free port in each app's `debuggerPortRange` (the first 50 are tried). */
export async function checkInspectorPorts(ranges: readonly string[]): Promise<CheckResult> {
  const base = { id: 'inspector-ports', title: 'Inspector ports (debuggerPortRange)' };
  const unique = [...new Set(ranges.length ? ranges : ['5058-6058'])];
  const busy: string[] = [];
  for (const value of unique) {
    const range = parsePortRange(value);
    let free: number | undefined;
    for (let port = range.start; port <= Math.min(range.end, range.start + 49); port++) {
      if (await isPortFree(port)) {
        free = port;
        break;
      }
    }
    if (free === undefined) busy.push(value);
  }
  if (busy.length) {
    return { ...base, status: 'problem', detail: `No free port at the start of ${busy.join(', ')}.`, fix: 'Close the programs using those ports, or set another debuggerPortRange in berth.yml.' };
  }
  return { ...base, status: 'ok', detail: `free ports in ${unique.join(', ')}` };
}

async function writableFolder(folder: string): Promise<boolean> {
  let dir = folder;
  // The folder is created on the first line; until then its nearest existing parent must be writable.
  while (!existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
  try {
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export async function checkLogFolders(apps: EngineFacts['apps'] | undefined, platform: Platform): Promise<CheckResult> {
  const base = { id: 'log-folders', title: 'Log folders' };
  if (!apps) return { ...base, status: 'ok', detail: 'no engine running: nothing to check (each app writes to iisnode/ next to its entry by default)' };
  if (!apps.length) return { ...base, status: 'ok', detail: 'no apps yet' };
  const bad: string[] = [];
  for (const app of apps) {
    const folder = resolveLogDirectory(path.dirname(app.entry ?? path.join(app.folder, 'x')), app.logDirectory, platform);
    if (!(await writableFolder(folder))) bad.push(`${app.name}: ${folder}`);
  }
  if (bad.length) {
    return { ...base, status: 'problem', detail: `cannot be written: ${bad.join('; ')}`, fix: 'Make those folders writable for this user, or point logDirectory in berth.yml at one that is.' };
  }
  return { ...base, status: 'ok', detail: `writable for ${apps.map((a) => a.name).join(', ')}` };
}

const CHROMIUM_PATHS: Record<string, string[]> = {
  win32: ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'],
  darwin: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'],
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'],
};

export function checkDesktop(packageRoot: string, platform: Platform, env: NodeJS.ProcessEnv): CheckResult[] {
  let electron: string | undefined;
  try {
    const require = createRequire(path.join(packageRoot, 'package.json'));
    electron = (require('electron/package.json') as { version: string }).version;
  } catch {
    electron = undefined;
  }
  const chromium = [env.CHROME_PATH, ...(CHROMIUM_PATHS[platform] ?? CHROMIUM_PATHS.linux!)].find((p) => p && existsSync(p));
  return [
    electron
      ? { id: 'electron', title: 'Electron (desktop app)', status: 'ok', detail: `Electron ${electron}: \`npm start\` opens the desktop app` }
      : {
          id: 'electron',
          title: 'Electron (desktop app)',
          status: 'warning',
          detail: 'Electron is not installed here: the desktop app cannot start from this folder (the web dashboard works: `berth dashboard`).',
          fix: 'In a checkout of Berth, run `npm install`; or install the desktop app (the Windows installer).',
        },
    chromium
      ? { id: 'chromium', title: 'Chromium (end-to-end tests, screenshots)', status: 'ok', detail: chromium }
      : {
          id: 'chromium',
          title: 'Chromium (end-to-end tests, screenshots)',
          status: 'warning',
          detail: 'No Chrome, Edge or Chromium found: only the UI tests and screenshots need one.',
          fix: 'Install Chromium (Debian/Ubuntu: apt-get install chromium) or set CHROME_PATH to a Chrome or Edge executable.',
        },
  ];
}

/** Every check, in the order a person fixes things. */
export async function runChecks(inputs: DoctorInputs): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(inputs.nodeVersion, inputs.minimumNode)];
  results.push(await checkHome(inputs.home, inputs.platform));
  const engine = await checkEngine(inputs.home);
  results.push(engine.result);
  const port = engine.facts?.frontPort ?? inputs.port;
  results.push(await checkFrontPort(port, engine.facts, inputs.platform));
  results.push(...(await checkLocalhostNames(port)));
  results.push(await checkInspectorPorts(engine.facts?.apps.map((a) => a.debuggerPortRange).filter(Boolean) ?? []));
  results.push(await checkLogFolders(engine.facts?.apps, inputs.platform));
  results.push(...checkDesktop(inputs.packageRoot, inputs.platform, inputs.env));
  return results;
}
