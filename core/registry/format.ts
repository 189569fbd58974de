/**
 * The registry file's format (`apps.yml` in the Berth home folder): versioned, with a table of migrations from every
 * older version, and validated entry by entry. Pure: parsing and writing text, no file access.
 *
 * Version 1:
 *
 *   version: 1
 *   apps:
 *     - name: shop                 # the app's DNS label: http://shop.localhost:<port>/
 *       folder: /home/me/shop      # absolute
 *       enabled: true              # started when the engine starts
 *       overrides:                 # optional: settings kept out of the app's folder
 *         nodeProcessCountPerApplication: 2
 *
 * Version 0 is a file written by hand before Berth wrote one: no `version` key, and `apps` (or the whole file) a list
 * of folders or of entries.
 */
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, stringify, type Node as YamlNode } from 'yaml';
import { toDnsLabel } from '../util/host-names.js';
import { SETTING_BY_KEY, SETTINGS, type SettingDef, type SettingName } from '../config/schema.js';
import { closest, coerce } from '../config/values.js';

export const REGISTRY_VERSION = 1;

export type OverrideValue = number | boolean | string;

export interface RegistryEntry {
  /** The app's name: a DNS label, unique in the registry. */
  name: string;
  /** Absolute path of the app's folder. */
  folder: string;
  /** Started when the engine starts. */
  enabled: boolean;
  /**
   * Settings kept in the registry rather than in the app's folder. They apply like `BERTH_<setting>` environment
   * variables: above the defaults, below the app's own berth.yml / iisnode.yml.
   */
  overrides: Partial<Record<SettingName, OverrideValue>>;
}

export interface RegistryData {
  version: typeof REGISTRY_VERSION;
  apps: RegistryEntry[];
}

/** Turns a document of version n into version n + 1 (plain data in, plain data out). */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/** MIGRATIONS[n] upgrades version n to n + 1. Add one entry (and raise REGISTRY_VERSION) for every format change. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  0: (doc) => {
    const list = Array.isArray(doc.apps) ? doc.apps : [];
    return {
      ...doc,
      version: 1,
      apps: list.map((item: unknown) => (typeof item === 'string' ? { folder: item, enabled: true } : item)),
    };
  },
};

/** The file cannot be used as it is: invalid YAML, or content that is not a valid app list. */
export class RegistryFormatError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'RegistryFormatError';
  }
}

/** The file was written by a newer Berth, whose format this version cannot read. */
export class RegistryVersionError extends Error {
  constructor(readonly version: number) {
    super(`it was written by a newer version of Berth (format version ${version}; this Berth reads up to version ${REGISTRY_VERSION})`);
    this.name = 'RegistryVersionError';
  }
}

/** Applies the migrations from the document's version up to `target`. Returns the version it started from. */
export function migrate(
  doc: Record<string, unknown>,
  table: Readonly<Record<number, Migration>> = MIGRATIONS,
  target: number = REGISTRY_VERSION,
): { doc: Record<string, unknown>; from: number } {
  const from = doc.version === undefined ? 0 : doc.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new RegistryFormatError(`"version" must be a whole number, not ${JSON.stringify(from)}`);
  }
  if (from > target) throw new RegistryVersionError(from);
  let current = doc;
  for (let version = from; version < target; version++) {
    const step = table[version];
    if (!step) throw new RegistryFormatError(`there is no migration from format version ${version}`);
    current = step(current);
    if (current.version !== version + 1) throw new RegistryFormatError(`the migration from version ${version} did not produce version ${version + 1}`);
  }
  return { doc: current, from };
}

export interface ParseOptions {
  platform?: NodeJS.Platform;
}

/**
 * Parses and validates a registry file. An empty file is an empty registry. Throws RegistryFormatError (with the
 * line when known) or RegistryVersionError.
 */
export function parseRegistry(text: string, options: ParseOptions = {}): { data: RegistryData; migratedFrom: number } {
  const platform = options.platform ?? process.platform;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0]?.line ?? lines.linePos(error.pos[0]).line;
    throw new RegistryFormatError(`it is not valid YAML: ${error.message.split('\n')[0]}`, line);
  }
  const lineOf = (node: unknown) => {
    const offset = (node as YamlNode | null | undefined)?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) return { data: { version: REGISTRY_VERSION, apps: [] }, migratedFrom: REGISTRY_VERSION };
  let root: Record<string, unknown>;
  if (Array.isArray(raw)) root = { apps: raw };
  else if (typeof raw === 'object') root = raw as Record<string, unknown>;
  else throw new RegistryFormatError('it must be a map with "version" and "apps"', lineOf(doc.contents));
  const { doc: migrated, from } = migrate(root);
  // Lines are known for the items of a current-version file (a migrated one has moved on from its text).
  const appsNode = isMap(doc.contents) ? doc.contents.get('apps', true) : doc.contents;
  const itemLine = (index: number) => (from === REGISTRY_VERSION && isSeq(appsNode) ? lineOf(appsNode.items[index]) : undefined);
  return { data: validate(migrated, itemLine, platform), migratedFrom: from };
}

function validate(doc: Record<string, unknown>, itemLine: (index: number) => number | undefined, platform: NodeJS.Platform): RegistryData {
  const apps = doc.apps ?? [];
  if (!Array.isArray(apps)) throw new RegistryFormatError('"apps" must be a list');
  const p = platform === 'win32' ? path.win32 : path.posix;
  const names = new Set<string>();
  const folders = new Map<string, string>();
  const entries = apps.map((item: unknown, index): RegistryEntry => {
    const fail = (message: string): never => {
      throw new RegistryFormatError(`app ${index + 1}: ${message}`, itemLine(index));
    };
    if (!item || typeof item !== 'object' || Array.isArray(item)) fail('must be a map with at least "folder"');
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!['name', 'folder', 'enabled', 'overrides'].includes(key)) fail(`unknown key "${key}" (known: name, folder, enabled, overrides)`);
    }
    const folder = entry.folder;
    if (typeof folder !== 'string' || !folder.trim()) fail('"folder" must be the path of the app\'s folder');
    if (!p.isAbsolute(folder as string)) fail(`"folder" must be an absolute path, not "${String(folder)}"`);
    const normalized = p.resolve(folder as string);
    const folderKey = platform === 'win32' ? normalized.toLowerCase() : normalized;
    if (folders.has(folderKey)) fail(`the folder ${normalized} is listed twice (also as ${folders.get(folderKey)})`);
    let name = entry.name;
    if (name === undefined) name = toDnsLabel(p.basename(normalized));
    if (typeof name !== 'string' || toDnsLabel(name) !== name) fail(`"name" must be a DNS label (lower-case letters, digits and hyphens), not ${JSON.stringify(name)}`);
    if (names.has(name as string)) {
      if (entry.name !== undefined) fail(`the name "${String(name)}" is used twice`);
      let n = 2;
      while (names.has(`${String(name)}-${n}`)) n++;
      name = `${String(name)}-${n}`;
    }
    const enabled = entry.enabled ?? true;
    if (typeof enabled !== 'boolean') fail(`"enabled" must be true or false, not ${JSON.stringify(enabled)}`);
    const overrides = parseOverrides(entry.overrides ?? {}, fail);
    names.add(name as string);
    folders.set(folderKey, name as string);
    return { name: name as string, folder: normalized, enabled: enabled as boolean, overrides };
  });
  return { version: REGISTRY_VERSION, apps: entries };
}

/** Checks override settings: known names (case-insensitive, aliases), valid values. Returns them by canonical name. */
export function parseOverrides(raw: unknown, fail: (message: string) => never): Partial<Record<SettingName, OverrideValue>> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('"overrides" must be a map of settings');
  const result: Partial<Record<SettingName, OverrideValue>> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const name = SETTING_BY_KEY.get(key.toLowerCase());
    if (!name) {
      const guess = closest(key, SETTING_BY_KEY.keys());
      fail(`unknown setting "${key}" in "overrides"${guess ? `; did you mean "${SETTING_BY_KEY.get(guess)}"?` : ''}`);
    }
    const def: SettingDef = SETTINGS[name!];
    const coerced = coerce(def, value);
    if (!coerced.ok) fail(`overrides: ${name} ${JSON.stringify(value)} ${coerced.problem}; expected ${coerced.expected}`);
    else result[name!] = coerced.value;
  }
  return result;
}

const HEADER = `# Berth's list of apps. Berth rewrites this file when apps are added, removed, enabled or disabled;
# edit it only while Berth is not running.
`;

/** The file's text for this data (the current version). */
export function stringifyRegistry(data: RegistryData): string {
  const apps = data.apps.map((entry) => ({
    name: entry.name,
    folder: entry.folder,
    enabled: entry.enabled,
    ...(Object.keys(entry.overrides).length ? { overrides: entry.overrides } : {}),
  }));
  return HEADER + stringify({ version: data.version, apps }, { lineWidth: 0 });
}
