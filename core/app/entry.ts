import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveStartCommand, StartCommandError, type StartCommand } from './start-command.js';

/** Files tried, in order, when neither `entry` nor package.json `main` names the entry. */
export const ENTRY_CANDIDATES = ['server.js', 'app.js', 'index.js'] as const;

export interface DetectedEntry {
  /** Absolute path of the entry script. */
  file: string;
  /** How it was found, for messages: `entry in berth.yml`, `package.json main`, or the file name tried. */
  how: string;
  /** The folder the app runs in and is watched from, when not the entry's own folder (a start command's tool). */
  root?: string;
  /** Set when the app runs a start command (start-command.ts): `file` is its script. */
  start?: StartCommand;
}

/** The folder an app runs in: its start command's folder, else its entry script's. */
export function entryRoot(entry: DetectedEntry): string {
  return entry.root ?? path.dirname(entry.file);
}

async function fromStartCommand(folder: string, command: string, scripts: Record<string, unknown>, how: string): Promise<DetectedEntry> {
  try {
    const start = await resolveStartCommand(folder, command, scripts);
    return { file: start.script, how, root: folder, start };
  } catch (error) {
    if (error instanceof StartCommandError) throw new EntryError(error.message);
    throw error;
  }
}

export class EntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntryError';
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Resolves a path the way node resolves a `main` field: as written, with .js/.mjs/.cjs, or as a folder's index. */
async function resolveLikeNode(base: string): Promise<string | undefined> {
  for (const candidate of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, path.join(base, 'index.js'), path.join(base, 'index.mjs')]) {
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds an app's entry script: `entry` from its configuration, else package.json `main`, else server.js, app.js,
 * index.js, else a start command. A `main` naming a missing file falls back to the others and is reported only when
 * nothing is found. Throws an EntryError that says what was looked for.
 */
export async function detectEntry(folder: string, configuredEntry: string, configFile?: string, configuredStart = ''): Promise<DetectedEntry> {
  if (configuredEntry) {
    const file = path.resolve(folder, configuredEntry);
    const found = await resolveLikeNode(file);
    if (found) return { file: found, how: `entry in ${configFile ? path.basename(configFile) : 'the configuration'}` };
    throw new EntryError(`The entry "${configuredEntry}" set in ${configFile ?? 'the configuration'} does not exist (looked for ${file}). Fix the path or remove the entry setting.`);
  }

  const packageFile = path.join(folder, 'package.json');
  let packageText: string | undefined;
  try {
    packageText = await readFile(packageFile, 'utf8');
  } catch {
    packageText = undefined;
  }
  let scripts: Record<string, unknown> = {};
  let missingMain: string | undefined;
  if (packageText !== undefined) {
    let main: unknown;
    try {
      const pkg = JSON.parse(packageText) as { main?: unknown; scripts?: unknown };
      main = pkg.main;
      if (pkg.scripts && typeof pkg.scripts === 'object') scripts = pkg.scripts as Record<string, unknown>;
    } catch (error) {
      throw new EntryError(`${packageFile} is not valid JSON: ${(error as Error).message}. Fix the file, or set entry in berth.yml.`);
    }
    if (configuredStart) return fromStartCommand(folder, configuredStart, scripts, `start in ${configFile ? path.basename(configFile) : 'the configuration'}`);
    if (typeof main === 'string' && main.trim() !== '') {
      const found = await resolveLikeNode(path.resolve(folder, main));
      if (found) return { file: found, how: 'package.json main' };
      // `npm init -y` writes "main": "index.js" whatever the project's files are: a main naming a missing file is
      // not trusted over the usual candidates and the start script; it is reported only when nothing else is found.
      missingMain = main;
    }
  }

  const besides = missingMain === undefined ? '' : ` (package.json "main" names "${missingMain}", which does not exist)`;
  for (const name of ENTRY_CANDIDATES) {
    const file = path.join(folder, name);
    if (await isFile(file)) return { file, how: `${name}${besides}` };
  }
  if (configuredStart) return fromStartCommand(folder, configuredStart, scripts, `start in ${configFile ? path.basename(configFile) : 'the configuration'}`);
  if (typeof scripts.start === 'string') return fromStartCommand(folder, scripts.start, scripts, `package.json start script${besides}`);
  if (missingMain !== undefined) {
    throw new EntryError(
      `package.json "main" names "${missingMain}", which does not exist in ${folder}, and none of ${ENTRY_CANDIDATES.join(', ')} nor a "start" script in package.json was found. ` +
        'Fix "main", or set entry in berth.yml.',
    );
  }
  throw new EntryError(
    `No entry script found in ${folder}: looked for entry in berth.yml, "main" in package.json, then ${ENTRY_CANDIDATES.join(', ')}, then a "start" script in package.json. ` +
      'Add one of those files, or set entry in berth.yml (for example `entry: src/server.js`) or start (for example `start: npm run preview`).',
  );
}
