/**
 * `<system.webServer><iisnode .../>` as a configuration source. Attribute names are iisnode's schema names, exactly
 * (IIS configuration names are case-sensitive); values are coerced by the same rules as every other source
 * (core/config/values.ts), with `%VAR%` expanded where IIS expanded it.
 *
 * An attribute iisnode's schema does not have is an error, as it was under IIS (iisnode test 116:
 * `<iisnode idontexist="12"/>` gets the "unable to read the configuration file" page): a typo in web.config must
 * not silently leave a setting at its default. All unknown attributes of one element are reported in one error.
 */
import type { ConfigIssue, LoadedConfig, SettingSource } from '../config/load.js';
import { SETTINGS, SETTING_NAMES, type SettingDef, type SettingName } from '../config/schema.js';
import { closest, coerce, expandPercentVars } from '../config/values.js';
import type { XmlElement } from './xml.js';

export type SettingValue = number | boolean | string;

/** One position in a configuration file. */
export interface Where {
  file: string;
  line: number;
  column: number;
}

export interface IisnodeSetting {
  name: SettingName;
  value: SettingValue;
  /** As written in the file. */
  raw: string;
  at: Where;
}

/** One `<iisnode>` element: its valid settings and the problems of the others. */
export interface IisnodeSection {
  at: Where;
  settings: IisnodeSetting[];
  errors: ConfigIssue[];
}

/** The web.config layer of an app's configuration: values, where each came from, and problems. */
export interface WebConfigSettings {
  values: Partial<Record<SettingName, SettingValue>>;
  sources: Partial<Record<SettingName, SettingSource>>;
  errors: ConfigIssue[];
}

/** iisnode's own attribute names: every setting except Berth's own keys. */
export const IISNODE_ATTRIBUTES: ReadonlySet<string> = new Set(SETTING_NAMES.filter((n) => !(SETTINGS[n] as SettingDef).berthOnly));

/** Attributes of older iisnode versions, with what became of them (they fail under today's iisnode too). */
const LEGACY: Record<string, string> = {
  maxProcessCountPerApplication: 'was renamed nodeProcessCountPerApplication in December 2011 (iisnode issue #129); use that name.',
  maxPendingRequestsPerApplication: 'was removed in iisnode 0.1.12 together with the request queue; delete it.',
  logDirectoryNameSuffix: 'was removed in iisnode 0.1.20; use logDirectory.',
  appendToExistingLog: 'was removed in iisnode 0.1.20 (every worker writes its own log files); delete it.',
  logFileFlushInterval: 'was removed in iisnode 0.1.20 (log output is written as it comes); delete it.',
  skipIISCustomErrors: 'was never part of a released iisnode; delete it (Berth always passes the app\'s own error responses through).',
};

/** `%node_env%` left unexpanded means "not set", as in iisnode's default web.config. */
function unexpandedSelf(name: SettingName, value: string): boolean {
  return value.trim().toLowerCase() === `%${name.toLowerCase()}%`;
}

/** Reads one `<iisnode>` element. `env` is used for `%VAR%` expansion (IIS expanded from its own environment). */
export function readIisnodeElement(element: XmlElement, file: string, env: NodeJS.ProcessEnv): IisnodeSection {
  const at: Where = { file, line: element.line, column: element.column };
  const settings: IisnodeSetting[] = [];
  const errors: ConfigIssue[] = [];
  const unknown: { name: string; line: number; column: number; hint?: string }[] = [];
  for (const attr of element.attributes) {
    const where: Where = { file, line: attr.line, column: attr.column };
    if (attr.name.startsWith('xmlns') || attr.name.includes(':')) continue; // namespace declarations, xdt: transforms
    if (!IISNODE_ATTRIBUTES.has(attr.name)) {
      const known = SETTING_NAMES.find((n) => n === attr.name);
      let hint: string | undefined;
      if (known) hint = `${attr.name} is a Berth setting: put it in berth.yml (web.config must stay valid for IIS).`;
      else if (LEGACY[attr.name]) hint = `${attr.name} ${LEGACY[attr.name]}`;
      else {
        const guess = closest(attr.name, IISNODE_ATTRIBUTES);
        if (guess) hint = `Did you mean ${guess}?`;
      }
      unknown.push({ name: attr.name, line: attr.line, column: attr.column, ...(hint ? { hint } : {}) });
      continue;
    }
    const name = attr.name as SettingName;
    const def: SettingDef = SETTINGS[name];
    let raw = attr.value;
    if (def.expand) {
      raw = expandPercentVars(raw, env);
      if (unexpandedSelf(name, raw)) raw = '';
    }
    const result = coerce(def, raw);
    if (!result.ok) {
      errors.push({
        severity: 'error',
        ...where,
        key: name,
        value: attr.value,
        message: `<iisnode ${name}="${attr.value}"> ${result.problem}.`,
        fix: `Expected ${result.expected}, for example ${name}="${String(def.default)}".`,
      });
      continue;
    }
    settings.push({ name, value: result.value, raw: attr.value, at: where });
  }
  if (unknown.length) {
    const first = unknown[0]!;
    const names = unknown.map((u) => `${u.name} (line ${u.line}, column ${u.column})`).join(', ');
    const hints = unknown.map((u) => u.hint).filter((h): h is string => h !== undefined);
    errors.push({
      severity: 'error',
      file,
      line: first.line,
      column: first.column,
      key: first.name,
      message: `<iisnode> has ${unknown.length === 1 ? 'an attribute' : 'attributes'} that iisnode does not know: ${names}. iisnode refused such a web.config, and so does Berth.`,
      fix: hints.length ? hints.join(' ') : 'Remove it, or check its spelling against docs/IISNODE-COMPAT.md (names are case-sensitive).',
    });
  }
  return { at, settings, errors };
}

/**
 * Merges the `<iisnode>` sections that apply to one script, outermost first (later sections win per attribute, as
 * IIS configuration inheritance did).
 */
export function mergeIisnodeSections(sections: readonly IisnodeSection[]): WebConfigSettings {
  const values: Partial<Record<SettingName, SettingValue>> = {};
  const sources: Partial<Record<SettingName, SettingSource>> = {};
  const errors: ConfigIssue[] = [];
  for (const section of sections) {
    errors.push(...section.errors);
    for (const s of section.settings) {
      values[s.name] = s.value;
      sources[s.name] = { kind: 'file', file: s.at.file, line: s.at.line };
    }
  }
  return { values, sources, errors };
}

/**
 * The web.config layer put under an already loaded configuration: a setting takes web.config's value only where
 * nothing above it (berth.yml / iisnode.yml, BERTH_* / IISNODE_* environment variables) set one, so the precedence
 * is yml > env > web.config > defaults. (One limit: a `configOverrides` set in web.config cannot change which YAML
 * file was read; see the report on wiring this into core/config/load.ts.)
 */
export function overlayWebConfig(loaded: LoadedConfig, web: WebConfigSettings): LoadedConfig {
  const settings = { ...loaded.settings } as Record<SettingName, unknown>;
  const sources = { ...loaded.sources };
  for (const name of Object.keys(web.values) as SettingName[]) {
    if (sources[name].kind !== 'default') continue;
    settings[name] = web.values[name];
    const source = web.sources[name];
    if (source) sources[name] = source;
  }
  return { ...loaded, settings: settings as LoadedConfig['settings'], sources };
}
