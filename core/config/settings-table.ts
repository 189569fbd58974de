/** The README's settings table, rendered from the schema so the two cannot drift (a unit test compares them). */
import { SETTINGS, SETTING_NAMES, type SettingDef } from './schema.js';

function defaultText(def: SettingDef): string {
  if (def.kind === 'string' && def.default === '') return '(empty)';
  return `\`${String(def.default)}\`${def.kind === 'uint' && def.unit ? ` ${def.unit}` : ''}`;
}

export function renderSettingsTable(): string {
  const rows = ['| setting | default | support | meaning |', '| --- | --- | --- | --- |'];
  for (const name of SETTING_NAMES) {
    const def: SettingDef = SETTINGS[name];
    const aliases = def.aliases?.length ? ` (also \`${def.aliases.join('`, `')}\`)` : '';
    const support = def.berthOnly ? 'Berth' : def.support;
    const values = def.kind === 'enum' ? ` One of ${def.values.map((v) => `\`${v}\``).join(', ')}.` : '';
    rows.push(`| \`${name}\`${aliases} | ${defaultText(def)} | ${support} | ${def.description}${values}${def.note ? ` ${def.note}` : ''} |`);
  }
  return rows.join('\n');
}

export const TABLE_START = '<!-- settings-table:start (generated from core/config/schema.ts by `npm run docs`) -->';
export const TABLE_END = '<!-- settings-table:end -->';

/** The README text with its table replaced by a freshly rendered one. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1) throw new Error('README.md has no settings-table markers');
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderSettingsTable()}\n${readme.slice(end)}`;
}
