import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { deepYamlNesting, oversizeIssue } from './file-guard.js';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { readEnvMap } from './env-map.js';
import { closest, coerce, expandPercentVars } from './values.js';
import { ENV_KEY } from '../shared/env-vars.js';
import { defaultSettings, SETTING_BY_KEY, SETTING_NAMES, SETTINGS, type SettingDef, type SettingName, type Settings } from './schema.js';
import { ConfigError, type ConfigIssue } from './issues.js';

export { ConfigError, formatIssue, type ConfigIssue } from './issues.js';

export const BERTH_FILE = 'berth.yml';

export type SettingSource =
  | { kind: 'default' }
  | { kind: 'env'; name: string }
  | { kind: 'file'; file: string; line: number };

export interface LoadedConfig {
  settings: Settings;
  /** Where each effective value came from. */
  sources: Record<SettingName, SettingSource>;
  /** The YAML file that was read, if any. */
  file?: string;
  warnings: ConfigIssue[];
  /**
   * The app's own environment variables (berth.yml's `env:`), for its workers. Values may be secrets: never put them
   * in an event, a log line or a view (show `ENV_MASK`).
   */
  env: Record<string, string>;
  /** The line of berth.yml each variable is on. */
  envLines: Record<string, number>;
}

export interface LoadOptions {
  /** Environment to read BERTH_* / IISNODE_* settings and %VAR% expansions from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads an app's effective configuration. Sources, highest first: `berth.yml` or else `iisnode.yml` (the
 * `configOverrides` name) in the app folder, then `BERTH_<SETTING>` / `IISNODE_<SETTING>` environment variables,
 * then the defaults. All problems are collected; any error throws a ConfigError listing them all.
 */
export async function loadConfig(folder: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const settings = defaultSettings() as Record<SettingName, unknown>;
  const sources = Object.fromEntries(SETTING_NAMES.map((n) => [n, { kind: 'default' }])) as Record<SettingName, SettingSource>;
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const appEnv: Record<string, string> = {};
  const envLines: Record<string, number> = {};

  applyEnvironment(env, settings, sources, errors);

  const overridesName = String(settings.configOverrides);
  const candidates = [BERTH_FILE, ...(overridesName && overridesName !== BERTH_FILE ? [overridesName] : [])];
  const found: string[] = [];
  for (const name of candidates) {
    const file = path.resolve(folder, name);
    const text = await readOptional(file);
    if (text !== undefined) found.push(file);
    if (text !== undefined && found.length === 1) {
      const outcome = await readFileSettings({ file, text, iisnodeDialect: name !== BERTH_FILE, env, settings, sources });
      Object.assign(settings, outcome.settings);
      Object.assign(sources, outcome.sources);
      Object.assign(appEnv, outcome.env);
      Object.assign(envLines, outcome.envLines);
      errors.push(...outcome.errors);
      warnings.push(...outcome.warnings);
    }
  }
  if (found.length > 1) {
    warnings.push({
      severity: 'warning',
      file: found[1],
      message: `is ignored because ${path.basename(found[0]!)} is present.`,
      fix: `Move its settings into ${path.basename(found[0]!)}, or delete one of the two files.`,
    });
  }
  if (errors.length) throw new ConfigError(errors);
  return { settings: settings as Settings, sources, ...(found[0] ? { file: found[0] } : {}), warnings, env: appEnv, envLines };
}

async function readOptional(file: string): Promise<string | undefined> {
  const oversize = await oversizeIssue(file); // checked before reading: a huge file is never read, let alone parsed
  if (oversize) throw new ConfigError([oversize]);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError([{ severity: 'error', file, message: `cannot be read (${code ?? String(error)}).`, fix: 'Check its permissions.' }]);
  }
}

function applyEnvironment(
  env: NodeJS.ProcessEnv,
  settings: Record<SettingName, unknown>,
  sources: Record<SettingName, SettingSource>,
  errors: ConfigIssue[],
): void {
  // Windows environment names are case-insensitive; match them so on every platform.
  const byUpper = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(env)) if (value !== undefined) byUpper.set(name.toUpperCase(), [name, value]);
  for (const name of SETTING_NAMES) {
    // BERTH_ wins over IISNODE_ when both are set.
    const hit = byUpper.get(`BERTH_${name.toUpperCase()}`) ?? byUpper.get(`IISNODE_${name.toUpperCase()}`);
    if (!hit) continue;
    const [envName, raw] = hit;
    const def: SettingDef = SETTINGS[name];
    const result = coerce(def, raw);
    if (!result.ok) {
      errors.push({
        severity: 'error',
        env: envName,
        key: name,
        value: raw,
        message: `${name} "${raw}" ${result.problem}.`,
        fix: `Expected ${result.expected}; set ${envName} to a valid value or unset it.`,
      });
      continue;
    }
    settings[name] = result.value;
    sources[name] = { kind: 'env', name: envName };
  }
}

/** One settings file to read into settings already holding the defaults and the environment's values. */
export interface FileJob {
  file: string;
  text: string;
  iisnodeDialect: boolean;
  env: NodeJS.ProcessEnv;
  settings: Record<SettingName, unknown>;
  sources: Record<SettingName, SettingSource>;
}

export interface FileOutcome {
  settings: Record<SettingName, unknown>;
  sources: Record<SettingName, SettingSource>;
  env: Record<string, string>;
  envLines: Record<string, number>;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/** Reads a settings file's text into a copy of the job's settings. Pure; also what the parse thread runs. */
export function applyFileJob(job: FileJob): FileOutcome {
  const outcome: FileOutcome = { settings: { ...job.settings }, sources: { ...job.sources }, env: {}, envLines: {}, errors: [], warnings: [] };
  const deep = deepYamlNesting(job.file, job.text);
  if (deep) outcome.errors.push(deep);
  else applyFile(job.file, job.text, job.iisnodeDialect, job.env, outcome, outcome.errors, outcome.warnings);
  return outcome;
}

/** Files up to this size are read inline (well under a millisecond); bigger ones on a thread of their own. */
const INLINE_PARSE_LIMIT = 16 * 1024;

/**
 * The last outcome per file: the engine, the dashboard's settings view and a web.config site may all read the same
 * unchanged file; it is parsed once per change (and concurrent readers share one parse).
 */
const recentOutcomes = new Map<string, { key: string; outcome: Promise<FileOutcome> }>();
const RECENT_OUTCOMES_KEPT = 200;

async function readFileSettings(job: FileJob): Promise<FileOutcome> {
  const key = `${job.iisnodeDialect}\0${JSON.stringify(job.settings)}\0${JSON.stringify(job.env)}\0${job.text}`;
  let entry = recentOutcomes.get(job.file);
  if (!entry || entry.key !== key) {
    entry = { key, outcome: job.text.length <= INLINE_PARSE_LIMIT ? Promise.resolve(applyFileJob(job)) : applyFileOnThread(job) };
    recentOutcomes.delete(job.file);
    recentOutcomes.set(job.file, entry);
    if (recentOutcomes.size > RECENT_OUTCOMES_KEPT) recentOutcomes.delete(recentOutcomes.keys().next().value!);
  }
  return structuredClone(await entry.outcome); // callers own what they get
}

/**
 * Parses on a worker thread, so that a big file never holds up the engine's event loop (other apps' requests). If
 * the thread cannot run (a packaged build that cannot load it), the file is read inline instead.
 */
function applyFileOnThread(job: FileJob): Promise<FileOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: () => FileOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome());
    };
    let thread: Worker;
    try {
      thread = new Worker(new URL('./parse-thread.js', import.meta.url), { workerData: job });
    } catch {
      settle(() => applyFileJob(job));
      return;
    }
    thread.once('message', (outcome: FileOutcome) => {
      settle(() => outcome);
      void thread.terminate();
    });
    thread.once('error', () => settle(() => applyFileJob(job)));
    thread.once('exit', () => settle(() => applyFileJob(job)));
  });
}

/** More unknown keys than this are summed up in one warning (each guess at a typo costs a little). */
const UNKNOWN_KEYS_LISTED = 50;

function applyFile(
  file: string,
  text: string,
  iisnodeDialect: boolean,
  env: NodeJS.ProcessEnv,
  outcome: Pick<FileOutcome, 'settings' | 'sources' | 'env' | 'envLines'>,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): void {
  const { settings, sources } = outcome;
  const lines = new LineCounter();
  const source = adaptFlatYaml(text, iisnodeDialect ? 'iisnode' : 'berth');
  // uniqueKeys is checked below: the yaml package's own check compares every key with every other (seconds on a
  // file of thousands of keys).
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const at = (node: YamlNode | null | undefined) => {
    const offset = node?.range?.[0] ?? 0;
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
      errors.push({
        severity: 'error',
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        message: `is not valid YAML: ${firstLine(error.message)}.`,
        fix: 'Each line should read `key: value`.',
      });
    }
    return;
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return; // an empty file
  if (!isMap(root)) {
    errors.push({ severity: 'error', file, ...at(root), message: 'must be a list of `key: value` lines.', fix: 'For example `nodeProcessCountPerApplication: 2`.' });
    return;
  }
  const keyLines = new Map<unknown, number>();
  let unknownKeys = 0;
  let firstUnlisted: { file: string; line: number; column: number } | undefined;
  for (const pair of root.items) {
    const keyNode = isScalar(pair.key) ? pair.key : undefined;
    const where = { file, ...at((pair.key ?? pair.value) as YamlNode) };
    if (keyNode) {
      const earlier = keyLines.get(keyNode.value);
      if (earlier !== undefined) {
        errors.push({ severity: 'error', ...where, message: `is not valid YAML: Map keys must be unique ("${String(keyNode.value)}" is also on line ${earlier}).`, fix: 'Keep one of the two lines.' });
        continue;
      }
      keyLines.set(keyNode.value, where.line);
    }
    const key = keyNode && keyNode.value !== null ? String(keyNode.value).trim() : '';
    if (!key) {
      errors.push({ severity: 'error', ...where, message: 'has a value without a key.', fix: 'Write the setting name before the colon.' });
      continue;
    }
    if (key.toLowerCase() === ENV_KEY) {
      readEnvMap(file, (pair.key ?? pair.value) as YamlNode, pair.value as YamlNode | null, iisnodeDialect, at, outcome, errors);
      continue;
    }
    const name = SETTING_BY_KEY.get(key.toLowerCase());
    if (!name) {
      if (++unknownKeys > UNKNOWN_KEYS_LISTED) {
        firstUnlisted ??= where;
        continue;
      }
      const guess = closest(key, SETTING_BY_KEY.keys());
      warnings.push({
        severity: 'warning',
        ...where,
        key,
        message: `unknown setting "${key}" is ignored.`,
        ...(guess ? { fix: `Did you mean "${SETTING_BY_KEY.get(guess)}"?` } : {}),
      });
      continue;
    }
    const def: SettingDef = SETTINGS[name];
    if (def.notInFile) {
      warnings.push({ severity: 'warning', ...where, key, message: `${name} cannot be set in a file and is ignored.`, fix: `Set the environment variable BERTH_${name.toUpperCase()} instead.` });
      continue;
    }
    const valueNode = pair.value as YamlNode | null;
    if (valueNode === null || (isScalar(valueNode) && (valueNode.value === null || valueNode.value === ''))) {
      continue; // `key:` with no value keeps the lower source's value, as in iisnode
    }
    if (!isScalar(valueNode)) {
      errors.push({ severity: 'error', ...where, key, message: `${key} must be a single value, not a list or a map.`, fix: `For example \`${name}: ${String(def.default) || '...'}\`.` });
      continue;
    }
    let raw = valueNode.value;
    if (def.expand && typeof raw === 'string') raw = expandPercentVars(raw, env);
    const result = coerce(def, raw);
    if (!result.ok) {
      const shown = typeof raw === 'string' ? `"${raw}"` : String(raw);
      errors.push({
        severity: 'error',
        ...where,
        key,
        value: String(raw),
        message: `${key}: ${shown} ${result.problem}.`,
        fix: `Expected ${result.expected}, for example \`${name}: ${String(def.default) || 'value'}\`.`,
      });
      continue;
    }
    settings[name] = result.value;
    sources[name] = { kind: 'file', file, line: where.line };
  }
  if (firstUnlisted) {
    warnings.push({
      severity: 'warning',
      ...firstUnlisted,
      message: `${unknownKeys - UNKNOWN_KEYS_LISTED} more unknown settings, from this line on, are ignored.`,
      fix: 'Is this really a Berth settings file?',
    });
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/\s*at line \d+, column \d+:?$/, '').replace(/\.$/, '');
}

/** Settings whose iisnode.yml values are command lines, where iisnode kept quotes as written. */
const COMMAND_LINE_KEYS = new Set(['nodeprocesscommandline', 'interceptor']);

/**
 * Characters that make YAML read a plain value as something else: an alias (`*.js`), an anchor, a tag, a
 * directive (`%VAR%`), or reserved. In a flat settings file none of those can be meant, so such values are quoted.
 * iisnode.yml also had no block scalars or flow collections, so there `|`, `>`, `{` and `[` are quoted too.
 */
const QUOTE_FIRST = { berth: /^[*&!%@`]/, iisnode: /^[*&!%@`|>{[]/ } as const;

function singleQuoted(raw: string): string {
  return ` '${raw.replace(/\s+#.*$/, '').trim().replace(/'/g, "''")}'`;
}

/**
 * Settings files are `key: value` lines; a few values that people write there are not valid YAML as they stand.
 * Those lines are adapted one by one, keeping line numbers: values starting with a YAML indicator are quoted, and in
 * iisnode.yml (read by iisnode with a hand-written parser, not YAML) also `key:value` with no space after the colon
 * and command lines that start with a quoted path (`"C:\Program Files\nodejs\node.exe" --flag`).
 */
export function adaptFlatYaml(text: string, dialect: 'berth' | 'iisnode'): string {
  return text
    .split(/(\r?\n)/)
    .map((line) => {
      const match = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*):(.*)$/.exec(line);
      if (!match) return line;
      const [, indent, key, gap, rest] = match as unknown as [string, string, string, string, string];
      let value = rest;
      if (dialect === 'iisnode' && value !== '' && !/^\s/.test(value)) value = ` ${value}`;
      const trimmed = value.trimStart();
      if (dialect === 'iisnode' && COMMAND_LINE_KEYS.has(key.toLowerCase()) && trimmed.startsWith('"')) value = singleQuoted(trimmed);
      else if (/^\s/.test(value) && QUOTE_FIRST[dialect].test(trimmed)) value = singleQuoted(trimmed);
      // iisnode trimmed spaces around keys; in YAML a stray indent would nest the line under the previous key.
      return `${dialect === 'iisnode' ? '' : indent}${key}${gap}:${value}`;
    })
    .join('');
}

/** iisnode.yml's dialect, for callers that want to see what Berth parses. */
export const adaptIisnodeYaml = (text: string): string => adaptFlatYaml(text, 'iisnode');
