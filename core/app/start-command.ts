/**
 * Start commands: a folder with no entry script but a package.json `start` script, or a `start` setting naming a
 * command (`npm run preview`, `vite preview`, `node server.js`), runs that command per worker.
 *
 * Berth runs it without a shell and without npm: `npm run <script>` (and yarn/pnpm) is replaced by the script's own
 * command, `node <file>` runs the file, and a tool (`vite`, `astro`, `next`...) runs its package's bin script from
 * node_modules (the app's, else a parent folder's). So every start command still runs as `node --require <bootstrap> <script> <args>` in the worker
 * process itself: no console window or `.cmd` shim on Windows, the IPC channel for readiness and graceful shutdown,
 * the listen redirect. Commands that need a shell (`&&`, pipes, `VAR=value cmd`) are refused with the way out.
 * Workers of a start command get a TCP port (portMode: tcp); tools that ignore PORT get their port flags
 * (PORT_FLAGS), unless the command already sets a port.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { splitCommandLine } from '../platform/platform.js';

/** What a start command runs in the worker: node flags, the script, its arguments, and the port flags. */
export interface StartCommand {
  /** The command as the user wrote it, for messages. */
  command: string;
  nodeFlags: string[];
  /** Absolute path of the JavaScript file node runs. */
  script: string;
  args: string[];
  /** Flags that give the tool its port; `{port}` is the worker's port. */
  portArgs: string[];
}

/** Where `{port}` goes in PORT_FLAGS. */
export const PORT_PLACEHOLDER = '{port}';

/**
 * Tools that do not read PORT (or not in preview), keyed on their bin name: the flags that bind them to the
 * worker's loopback port, as local-domain tools pass them.
 */
export const PORT_FLAGS: Readonly<Record<string, readonly string[]>> = {
  vite: ['--port', PORT_PLACEHOLDER, '--strictPort', '--host', '127.0.0.1'],
  astro: ['--port', PORT_PLACEHOLDER, '--host', '127.0.0.1'],
  ng: ['--port', PORT_PLACEHOLDER, '--host', '127.0.0.1'],
  nuxt: ['--port', PORT_PLACEHOLDER, '--host', '127.0.0.1'],
  nuxi: ['--port', PORT_PLACEHOLDER, '--host', '127.0.0.1'],
  next: ['-p', PORT_PLACEHOLDER, '-H', '127.0.0.1'],
};

const PORT_FLAG_NAMES = new Set(['--port', '-p', '-l', '--listen']);
const SHELL_SYNTAX = new Set(['&&', '||', '|', ';', '>', '>>', '<', '&']);
const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);

export class StartCommandError extends Error {}

/** The start command `command` of the app in `folder`, with package.json's `scripts` for `npm run`. */
export async function resolveStartCommand(folder: string, command: string, scripts: Record<string, unknown>, depth = 0): Promise<StartCommand> {
  const words = splitCommandLine(command.trim());
  const way = 'Set entry in berth.yml to the server script, or start to a command such as `node server.js`, `vite preview` or `npm run <script>`.';
  if (!words.length) throw new StartCommandError(`The start command is empty. ${way}`);
  const shell = words.find((w) => SHELL_SYNTAX.has(w)) ?? (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!) ? words[0] : undefined);
  if (shell) throw new StartCommandError(`Berth runs start commands without a shell, and "${command}" needs one (${shell}). ${way}`);
  const [first, ...rest] = words;
  const program = first!.toLowerCase().replace(/\.(cmd|exe)$/, '');
  if (PACKAGE_MANAGERS.has(program) || program === 'npx') {
    if (depth > 5) throw new StartCommandError(`The start command "${command}" runs scripts in a loop. ${way}`);
    if (program === 'npx') return resolveStartCommand(folder, rest.filter((w) => w !== '--yes' && w !== '-y').join(' '), scripts, depth + 1);
    const dashes = rest.indexOf('--');
    const extra = dashes >= 0 ? rest.slice(dashes + 1) : [];
    const own = dashes >= 0 ? rest.slice(0, dashes) : rest;
    const name = own[0] === 'start' ? 'start' : own[0] === 'run' || own[0] === 'run-script' ? own[1] : program === 'npm' ? undefined : own[0];
    const script = name === undefined ? undefined : scripts[name];
    if (typeof script !== 'string') throw new StartCommandError(`The start command "${command}" names no script of package.json${name ? ` ("${name}" is not in "scripts")` : ''}. ${way}`);
    const inner = await resolveStartCommand(folder, script, scripts, depth + 1);
    return { ...inner, command, args: [...inner.args, ...extra] };
  }
  if (program === 'node') {
    const at = rest.findIndex((w) => !w.startsWith('-'));
    if (at < 0) throw new StartCommandError(`The start command "${command}" names no script for node. ${way}`);
    return { command, nodeFlags: rest.slice(0, at), script: path.resolve(folder, rest[at]!), args: rest.slice(at + 1), portArgs: [] };
  }
  const script = await findBin(folder, first!);
  if (!script) {
    throw new StartCommandError(`The start command "${command}" runs "${first}", which is not installed in ${path.join(folder, 'node_modules')} nor in a parent folder's node_modules: run npm install in the app folder. ${way}`);
  }
  const setsPort = rest.some((w) => PORT_FLAG_NAMES.has(w) || w.startsWith('--port='));
  const args = program === 'vite' && !rest.includes('--bypass-lock') && (await viteHasProcessLock(script)) ? [...rest, '--bypass-lock'] : rest;
  return { command, nodeFlags: [], script, args, portArgs: setsPort ? [] : [...(PORT_FLAGS[program] ?? [])] };
}

/**
 * Whether this Vite refuses a second `vite preview`/`vite dev` of the same project ("Found another Vite preview
 * process ... Pass --bypass-lock"): Berth runs one per worker, and a recycle starts the new ones before the old stop.
 * Older Vites reject the unknown flag, so it is added only when the installed CLI has it.
 */
async function viteHasProcessLock(script: string): Promise<boolean> {
  try {
    return (await readFile(path.join(path.dirname(script), '..', 'dist', 'node', 'cli.js'), 'utf8')).includes('--bypass-lock');
  } catch {
    return false;
  }
}

/**
 * The JavaScript file of the bin `name` (its package.json `bin`) installed in the app's node_modules, else in a
 * parent folder's (a workspace's hoisted install), as `npm run` puts every ancestor's node_modules/.bin on PATH.
 */
async function findBin(folder: string, name: string): Promise<string | undefined> {
  for (let dir = path.resolve(folder); ; ) {
    const found = await findBinIn(path.join(dir, 'node_modules'), name);
    if (found) return found;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function findBinIn(modules: string, name: string): Promise<string | undefined> {
  const fromPackage = async (dir: string): Promise<string | undefined> => {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: string; bin?: unknown };
      const bin = typeof pkg.bin === 'string' ? (pkg.name?.split('/').pop() === name ? pkg.bin : undefined) : (pkg.bin as Record<string, unknown> | undefined)?.[name];
      return typeof bin === 'string' ? path.resolve(dir, bin) : undefined;
    } catch {
      return undefined;
    }
  };
  const direct = await fromPackage(path.join(modules, name));
  if (direct) return direct;
  // POSIX installs link .bin/<name> to the script itself.
  try {
    const linked = await realpath(path.join(modules, '.bin', name));
    if (/\.[cm]?js$/.test(linked) || !linked.startsWith(path.join(modules, '.bin'))) return linked;
  } catch {
    // Not linked (Windows shims, or not installed): look through the packages.
  }
  for (const entry of await readdir(modules, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? (await readdir(path.join(modules, entry.name), { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => path.join(modules, entry.name, d.name))
      : [path.join(modules, entry.name)];
    for (const dir of dirs) {
      const found = await fromPackage(dir);
      if (found) return found;
    }
  }
  return undefined;
}
