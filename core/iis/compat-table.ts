/**
 * The settings table of docs/IISNODE-COMPAT.md, rendered from the schema so the two cannot drift (a unit test
 * compares them; `withCompatTable` rewrites the document's table).
 */
import { SETTINGS, SETTING_NAMES, type SettingDef } from '../config/schema.js';

/** iisnode's own defaults where Berth's differ (Berth's are in the schema). */
const IISNODE_DEFAULTS: Record<string, string> = {
  node_env: '`%node_env%`',
  nodeProcessCommandLine: '`node.exe`',
  interceptor: '`"%programfiles%\\iisnode\\interceptor.js"`',
};

const VERDICT: Record<SettingDef['support'], string> = {
  honoured: 'honoured',
  improved: '**improved**',
  ignored: '*ignored*',
};

function defaultText(def: SettingDef): string {
  if (def.kind === 'string' && def.default === '') return '(empty)';
  return `\`${String(def.default)}\`${def.kind === 'uint' && def.unit ? ` ${def.unit}` : ''}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** One row per iisnode setting: name, defaults, Berth's verdict, and what it does in Berth and why. */
export function renderCompatTable(): string {
  const rows = ['| iisnode setting | iisnode default | Berth default | Berth | in Berth, and why |', '| --- | --- | --- | --- | --- |'];
  for (const name of SETTING_NAMES) {
    const def: SettingDef = SETTINGS[name];
    if (def.berthOnly) continue;
    const aliases = def.aliases?.length ? ` (iisnode.yml: \`${def.aliases.join('`, `')}\`)` : '';
    const berthDefault = defaultText(def);
    const iisDefault = IISNODE_DEFAULTS[name] ?? berthDefault;
    const meaning = `${def.description}${def.note ? ` ${def.note}` : ''}${def.notInFile ? ' Not read from iisnode.yml or berth.yml (iisnode refused it there too); web.config and the environment may set it.' : ''}`;
    rows.push(`| \`${name}\`${aliases} | ${escapeCell(iisDefault)} | ${escapeCell(berthDefault)} | ${VERDICT[def.support]} | ${escapeCell(meaning)} |`);
  }
  return rows.join('\n');
}

/** Berth's own keys: accepted in berth.yml and the environment, refused in web.config. */
export function renderBerthKeys(): string {
  return SETTING_NAMES.filter((n) => (SETTINGS[n] as SettingDef).berthOnly)
    .map((n) => `\`${n}\``)
    .join(', ');
}

export const COMPAT_TABLE_START = '<!-- compat-table:start (generated from core/config/schema.ts by core/iis/compat-table.ts) -->';
export const COMPAT_TABLE_END = '<!-- compat-table:end -->';
export const BERTH_KEYS_START = '<!-- berth-keys:start -->';
export const BERTH_KEYS_END = '<!-- berth-keys:end -->';

function replaceBetween(text: string, start: string, end: string, content: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b === -1 || b < a) throw new Error(`docs/IISNODE-COMPAT.md has no ${start} … ${end} markers`);
  return `${text.slice(0, a + start.length)}\n${content}\n${text.slice(b)}`;
}

/** The document with its generated parts rendered afresh. */
export function withCompatTable(doc: string): string {
  return replaceBetween(replaceBetween(doc, COMPAT_TABLE_START, COMPAT_TABLE_END, renderCompatTable()), BERTH_KEYS_START, BERTH_KEYS_END, renderBerthKeys());
}
