/**
 * Writing settings into an app's berth.yml (or iisnode.yml when that is the file in use) the way a person would: the
 * file keeps its comments, blank lines, key order, key spelling, line endings and byte-order mark; a changed key is
 * changed where it stands, a new one is appended, a removed one disappears (comments above it stay).
 *
 * Everything is validated first (known setting, valid value, allowed in a file) and nothing is written unless all of
 * it is valid; a file Berth cannot parse is never rewritten. The result is read back with Berth's own loader before
 * it replaces the file (atomically), so what is written is what Berth will read.
 *
 * The app's file watcher sees the new file and recycles the app gracefully: that is how written settings take effect.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { adaptFlatYaml, ConfigError, formatIssue, loadConfig, BERTH_FILE } from '../config/load.js';
import { SETTING_BY_KEY, SETTINGS, type SettingDef, type SettingName } from '../config/schema.js';
import { closest, coerce, expandPercentVars } from '../config/values.js';
import { writeFileAtomic } from '../registry/atomic-write.js';
import type { ErrorCode, SettingChange, SettingValue } from './protocol.js';
import { applyEnvChanges, envMismatch, planEnvChanges, type PlannedEnvChange } from './settings-env.js';

export class SettingsFileError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'UNKNOWN_SETTING' | 'INVALID_SETTING' | 'SETTINGS_FILE_INVALID' | 'WRITE_FAILED'>,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SettingsFileError';
  }
}

export interface PlannedChange {
  name: SettingName;
  /** The key as given by the caller. */
  given: string;
  /** What to write; null removes the key. */
  write: SettingValue | null;
  /** The value Berth will read (after %VAR% expansion), for the read-back check. */
  expect: SettingValue | null;
}

/**
 * Checks a patch: every key a known setting that may be set in a file, every value valid for it. Throws a
 * SettingsFileError naming the first problem (with "did you mean" for a misspelt key).
 */
export function planChanges(patch: Record<string, unknown>, env: NodeJS.ProcessEnv): PlannedChange[] {
  const planned: PlannedChange[] = [];
  const seen = new Map<SettingName, string>();
  for (const [given, value] of Object.entries(patch)) {
    const name = SETTING_BY_KEY.get(given.toLowerCase());
    if (!name) {
      const suggestion = suggestSetting(given);
      throw new SettingsFileError(
        'UNKNOWN_SETTING',
        `"${given}" is not a Berth setting.${suggestion ? ` Did you mean "${suggestion}"?` : ' The settings are listed in the README.'}`,
        { setting: given, ...(suggestion ? { suggestion } : {}) },
      );
    }
    if (seen.has(name)) {
      throw new SettingsFileError('INVALID_SETTING', `"${given}" and "${seen.get(name)}" are the same setting (${name}); give it once.`, { setting: name });
    }
    seen.set(name, given);
    const def: SettingDef = SETTINGS[name];
    if (def.notInFile) {
      throw new SettingsFileError('INVALID_SETTING', `${name} cannot be set in a settings file (iisnode refused it there too). Set the environment variable BERTH_${name.toUpperCase()} for the engine instead.`, { setting: name });
    }
    if (value === null) {
      planned.push({ name, given, write: null, expect: null });
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SettingsFileError('INVALID_SETTING', `${name} must be a single value (text, number or true/false), not ${Array.isArray(value) ? 'a list' : typeof value}.`, { setting: name });
    }
    const read = def.expand && typeof value === 'string' ? expandPercentVars(value, env) : value;
    const result = coerce(def, read);
    if (!result.ok) {
      throw new SettingsFileError('INVALID_SETTING', `${name}: ${JSON.stringify(value)} ${result.problem}. Expected ${result.expected}.`, {
        setting: name,
        value,
        expected: result.expected,
      });
    }
    // Strings are written as given (%VAR% stays for the loader to expand); other kinds in their normal form.
    planned.push({ name, given, write: def.kind === 'string' ? String(value) : result.value, expect: result.value });
  }
  return planned;
}

/** The setting a misspelt or shortened key most likely means. */
export function suggestSetting(given: string): SettingName | undefined {
  const guess = closest(given, SETTING_BY_KEY.keys());
  if (guess) return SETTING_BY_KEY.get(guess);
  const lower = given.toLowerCase();
  if (lower.length < 4) return undefined;
  const starting = [...SETTING_BY_KEY.keys()].filter((key) => key.startsWith(lower));
  return starting.length === 1 ? SETTING_BY_KEY.get(starting[0]!) : undefined;
}

export interface WriteSettingsOptions {
  /** The file to change (created when missing). */
  file: string;
  patch: Record<string, unknown>;
  /** Changes to the app's own environment variables (berth.yml's `env:`): name → value, null removes. */
  envPatch?: Record<string, unknown>;
  /** The environment the app's configuration is loaded with (for %VAR% expansion and the read-back). */
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface WriteSettingsResult {
  file: string;
  created: boolean;
  changes: SettingChange[];
}

/** Applies a patch to a settings file (see the module comment). */
export async function writeSettings(options: WriteSettingsOptions): Promise<WriteSettingsResult> {
  const { file, env } = options;
  const planned = planChanges(options.patch, env);
  const plannedEnv = planEnvChanges(options.envPatch ?? {}, (message, details) => new SettingsFileError('INVALID_SETTING', message, details));
  const dialect = path.basename(file).toLowerCase() === BERTH_FILE ? 'berth' : 'iisnode';
  if (plannedEnv.length && dialect === 'iisnode') {
    throw new SettingsFileError(
      'INVALID_SETTING',
      `env (the app's environment variables) is kept in berth.yml only, and this app uses ${path.basename(file)}. Rename ${path.basename(file)} to berth.yml (Berth reads the same settings there), then set the variables.`,
      { setting: 'env', file },
    );
  }

  let original = '';
  let created = false;
  let mode: number | undefined;
  try {
    original = await readFile(file, 'utf8');
    mode = (await stat(file)).mode & 0o777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new SettingsFileError('WRITE_FAILED', `${file} cannot be read (${code ?? (error as Error).message}); nothing was changed.`, { file });
    created = true;
  }
  const bom = original.startsWith('\uFEFF');
  const crlf = /\r\n/.test(original);
  const lines = new LineCounter();
  const doc = parseDocument(adaptFlatYaml(bom ? original.slice(1) : original, dialect), { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0]?.line ?? lines.linePos(error.pos[0]).line;
    throw new SettingsFileError(
      'SETTINGS_FILE_INVALID',
      `${file}${line ? `:${line}` : ''} is not valid YAML (${error.message.split('\n')[0]}). Berth does not rewrite a file it cannot read: fix it by hand first.`,
      { file, ...(line ? { line } : {}) },
    );
  }
  let root: unknown = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    root = doc.createNode({});
    (doc as { contents: unknown }).contents = root;
  }
  if (!isMap(root)) {
    throw new SettingsFileError('SETTINGS_FILE_INVALID', `${file} is not a list of \`key: value\` lines, so Berth does not rewrite it. Fix it by hand first.`, { file });
  }
  const map = root as YAMLMap<unknown, unknown>;

  const changes: SettingChange[] = [];
  for (const change of planned) {
    const pairs = map.items.filter((pair) => keyName(pair) === change.name);
    const current = pairs[0] ? scalarValue(pairs[0].value) : null;
    const key = pairs[0] ? String((pairs[0].key as Scalar).value) : change.name;
    if (change.write === null) {
      for (const pair of pairs) removePair(map, pair);
    } else if (pairs.length) {
      for (const pair of pairs) setValue(doc, pair, change.write);
    } else {
      map.add(doc.createPair(change.name, change.write));
    }
    changes.push({ setting: change.name, key, from: current, to: change.write });
  }
  changes.push(...applyEnvChanges(doc, map, plannedEnv, removePair));

  // Values that are already what was asked for: the file is left exactly as it is.
  if (changes.every((c) => !c.secret && c.from === c.to)) return { file, created: false, changes };
  let text = doc.toString({ lineWidth: 0, singleQuote: true });
  if (map.items.length === 0 && !doc.commentBefore && !map.commentBefore && !map.comment && !doc.comment) text = '';
  if (crlf) text = text.replace(/\r?\n/g, '\r\n');
  if (bom) text = `\uFEFF${text}`;
  if (text === original) return { file, created: false, changes };

  await readBack(file, text, planned, plannedEnv, env);
  try {
    await writeFileAtomic(file, text, { ...(mode !== undefined ? { mode } : {}), ...(options.platform ? { platform: options.platform } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsFileError('WRITE_FAILED', `${file} could not be written (${code ?? (error as Error).message}); nothing was changed.`, { file });
  }
  return { file, created, changes };
}

/** The setting a pair's key names, if any. */
function keyName(pair: Pair<unknown, unknown>): SettingName | undefined {
  const key = pair.key;
  if (!isScalar(key) || key.value === null) return undefined;
  return SETTING_BY_KEY.get(String(key.value).trim().toLowerCase());
}

function scalarValue(node: unknown): SettingValue | null {
  if (!isScalar(node)) return null;
  const value = node.value;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
}

function setValue(doc: ReturnType<typeof parseDocument>, pair: Pair<unknown, unknown>, value: SettingValue): void {
  if (isScalar(pair.value)) {
    const scalar = pair.value;
    scalar.value = value;
    // Let the writer choose the style for the new value (a quoted '5' would read back as text).
    delete scalar.type;
    delete scalar.format;
    return;
  }
  pair.value = doc.createNode(value);
}

/** Removes a pair; comment lines above it move to the next key (or the end of the file), so none is lost. */
function removePair(map: YAMLMap<unknown, unknown>, pair: Pair<unknown, unknown>): void {
  const index = map.items.indexOf(pair);
  if (index === -1) return;
  const comment = isScalar(pair.key) ? pair.key.commentBefore : undefined;
  const spaced = isScalar(pair.key) ? pair.key.spaceBefore : undefined;
  map.items.splice(index, 1);
  if (!comment) return;
  const next = map.items[index];
  if (next && isScalar(next.key)) {
    next.key.commentBefore = next.key.commentBefore ? `${comment}\n${next.key.commentBefore}` : comment;
    if (spaced) next.key.spaceBefore = true;
  } else {
    map.comment = map.comment ? `${comment}\n${map.comment}` : comment;
  }
}

/**
 * Reads the new text with Berth's loader (in a temporary folder, under the same file name) and checks that every
 * changed setting reads as intended. Problems the file already had with other keys do not count.
 */
async function readBack(file: string, text: string, planned: readonly PlannedChange[], plannedEnv: readonly PlannedEnvChange[], env: NodeJS.ProcessEnv): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-settings-'));
  try {
    await writeFile(path.join(dir, path.basename(file)), text);
    const names = new Set<string>(planned.map((c) => c.name));
    let mismatch: string | undefined;
    try {
      const loaded = await loadConfig(dir, { env });
      for (const change of planned) {
        const source = loaded.sources[change.name];
        if (change.expect === null ? source.kind === 'file' : loaded.settings[change.name] !== change.expect || source.kind !== 'file') {
          mismatch = `${change.name} would read as ${JSON.stringify(loaded.settings[change.name])}`;
          break;
        }
      }
      mismatch ??= envMismatch(loaded.env, plannedEnv);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const ours = error.issues.filter((issue) => !issue.key || names.has(SETTING_BY_KEY.get(issue.key.toLowerCase()) ?? '') || (plannedEnv.length > 0 && issue.key.startsWith('env')));
      if (ours.length) mismatch = ours.map(formatIssue).join('; ');
    }
    if (mismatch) {
      throw new SettingsFileError('WRITE_FAILED', `Berth would have written ${file} in a way it cannot read back (${mismatch}); nothing was changed. Please report this.`, { file });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
