/**
 * `watchedFiles` → which files recycle the app and which folders are worth watching at all. Pure: paths are
 * forward-slash and relative to the app's entry folder, the platform is a parameter.
 *
 * iisnode's syntax is kept (`*.js;node_modules\*.js;app_data\*.config.json`: `;`-separated entries, backslashes or
 * slashes, `*` and `?`), and extended with `**` and `!exclusions` (see glob.ts). `%VAR%` references were already
 * expanded by the config loader.
 */
import { BERTH_FILE } from '../config/load.js';
import type { Platform } from '../platform/platform.js';
import { compileGlob, globMayEnter, type CompiledGlob } from './glob.js';

export const DEFAULT_WATCHED_FILES = '*.js;iisnode.yml';

/**
 * Configuration files at the top of the app folder: always watched (a config change must recycle to apply).
 * package.json too: its `type`, `main`, `start` script or a dependency fix change what runs. (web.config is
 * watched by the site that hosts it, which reloads the site and recycles its apps.)
 */
export const CONFIG_FILES: readonly string[] = [BERTH_FILE, 'iisnode.yml', 'package.json'];

/** Folders that never trigger, whatever the patterns say: version-control internals change on every git command. */
export const ALWAYS_IGNORED_FOLDERS: readonly string[] = ['.git'];

/**
 * Folders ignored unless a pattern names them literally (`node_modules\*.js`, iisnode test 117): installs, tool
 * caches and editor state, where a `**` pattern would otherwise recycle the app on every `npm install` or build.
 * Folders an app may really run from (`dist`, `build`, `lib`) are deliberately not in this list.
 */
export const NOISE_FOLDERS: readonly string[] = [
  'node_modules',
  '.svn',
  '.hg',
  '.vs',
  '.vscode',
  '.idea',
  '.cache',
  '.next',
  '.nuxt',
  '.turbo',
  '.parcel-cache',
  '.nyc_output',
];

/** Windows and macOS file systems fold case by default, so patterns and folder names do too there. */
export function foldsCase(platform: Platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

export interface WatchRulesOptions {
  /** The `watchedFiles` setting; undefined means iisnode's default. */
  watchedFiles?: string | undefined;
  platform: Platform;
  /** Folders, relative to the app folder with forward slashes, whose contents never trigger (the log folder). */
  ignoredFolders?: readonly string[];
  /** More top-level files always watched, whatever `watchedFiles` says (the entry script, e.g. `server.mjs`). */
  alwaysFiles?: readonly string[];
}

interface Inclusion {
  glob: CompiledGlob;
  /** The folder names the pattern spells out (case-folded where the platform folds), for the noise-folder rule. */
  names: ReadonlySet<string>;
}

interface Exclusion {
  glob: CompiledGlob;
  /** For `x/**` exclusions: matches the folders whose whole content is excluded, so they need no watch. */
  folder: RegExp | null;
}

export interface WatchRules {
  /** Entries that could not be used, each as a sentence naming the entry. */
  readonly problems: readonly string[];
  /** How many folder levels below the app folder any inclusion reaches; Infinity when one has `**`. */
  readonly maxDepth: number;
  /** Whether a change to this file (relative path) recycles the app. */
  matches(file: string): boolean;
  /** Whether this folder (relative path, '' for the app folder) could hold a matching file now or later. */
  mayEnter(folder: string): boolean;
  /** The watcher's filter: true when the path needs no watch. `kind` is unknown when the caller has no stats. */
  ignores(relative: string, kind: 'file' | 'folder' | 'unknown'): boolean;
}

type Parsed = { negated: boolean; path: string } | { problem: string };

/** One `watchedFiles` entry → its normalised forward-slash path, or why it cannot be used. */
function parseEntry(raw: string): Parsed | null {
  let entry = raw.trim();
  const negated = entry.startsWith('!');
  if (negated) entry = entry.slice(1).trim();
  let text = entry.replace(/\\/g, '/');
  if (!text) return null;
  if (text.startsWith('/') || /^[a-zA-Z]:/.test(text)) {
    return { problem: `watchedFiles entry "${raw.trim()}" is an absolute path; entries are relative to the app folder` };
  }
  // A trailing separator names a folder: watch everything in it.
  if (text.endsWith('/')) text += '**';
  const segments = text.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    return { problem: `watchedFiles entry "${raw.trim()}" uses "..": only files inside the app folder can be watched` };
  }
  if (!segments.length) return null;
  return { negated, path: segments.join('/') };
}

export function compileWatchRules(options: WatchRulesOptions): WatchRules {
  const folds = foldsCase(options.platform);
  const fold = (s: string): string => (folds ? s.toLowerCase() : s);
  const problems: string[] = [];
  const inclusions: Inclusion[] = [];
  const exclusions: Exclusion[] = [];
  const spec = options.watchedFiles ?? DEFAULT_WATCHED_FILES;

  for (const raw of spec.split(';')) {
    const parsed = parseEntry(raw);
    if (!parsed) continue;
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const glob = compileGlob(parsed.path, folds);
    if (parsed.negated) {
      const last = glob.segments[glob.segments.length - 1];
      const folderPattern = parsed.path.split('/').slice(0, -1).join('/');
      const folder = last?.kind === 'globstar' && folderPattern ? compileGlob(folderPattern, folds).whole : null;
      exclusions.push({ glob, folder });
    } else {
      const names = new Set<string>();
      for (const segment of glob.segments.slice(0, -1)) if (segment.kind === 'name' && segment.literal) names.add(fold(segment.literal));
      inclusions.push({ glob, names });
    }
  }
  // A list of exclusions alone reads as "the usual files, except these".
  if (!inclusions.length && exclusions.length) {
    for (const raw of DEFAULT_WATCHED_FILES.split(';')) inclusions.push({ glob: compileGlob(raw, folds), names: new Set() });
  }

  const configFiles = new Set([...CONFIG_FILES, ...(options.alwaysFiles ?? [])].map(fold));
  const always = new Set(ALWAYS_IGNORED_FOLDERS.map(fold));
  const noise = new Set(NOISE_FOLDERS.map(fold));
  const ignoredFolders = (options.ignoredFolders ?? [])
    .map((f) => f.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.').map(fold))
    .filter((segments) => segments.length > 0);

  /** Segments (folded) of a path under an ignored folder or an always-ignored name? */
  const forbidden = (segments: readonly string[]): boolean =>
    segments.some((s) => always.has(s)) || ignoredFolders.some((f) => f.length <= segments.length && f.every((s, i) => segments[i] === s));
  const noiseIn = (folders: readonly string[]): string[] => folders.filter((s) => noise.has(s));
  const allows = (inclusion: Inclusion, noisy: readonly string[]): boolean => noisy.every((n) => inclusion.names.has(n));

  const matches = (file: string): boolean => {
    const segments = file.split('/');
    const folded = segments.map(fold);
    if (forbidden(folded)) return false;
    if (folded.length === 1 && configFiles.has(folded[0]!)) return true;
    if (exclusions.some((e) => e.glob.whole.test(file))) return false;
    const noisy = noiseIn(folded.slice(0, -1));
    return inclusions.some((i) => allows(i, noisy) && i.glob.whole.test(file));
  };

  const mayEnter = (folder: string): boolean => {
    if (folder === '') return true;
    const segments = folder.split('/');
    const folded = segments.map(fold);
    if (forbidden(folded)) return false;
    for (let n = 1; n <= segments.length; n++) {
      const prefix = segments.slice(0, n).join('/');
      if (exclusions.some((e) => e.folder?.test(prefix))) return false;
    }
    const noisy = noiseIn(folded);
    return inclusions.some((i) => allows(i, noisy) && globMayEnter(i.glob, segments));
  };

  const hasGlobstar = inclusions.some((i) => i.glob.segments.some((s) => s.kind === 'globstar'));
  const maxDepth = hasGlobstar ? Infinity : Math.max(0, ...inclusions.map((i) => i.glob.segments.length - 1));

  return {
    problems,
    maxDepth,
    matches,
    mayEnter,
    ignores(relative, kind) {
      if (relative === '') return false;
      if (kind === 'file') return !matches(relative);
      if (kind === 'folder') return !mayEnter(relative);
      return !matches(relative) && !mayEnter(relative);
    },
  };
}
