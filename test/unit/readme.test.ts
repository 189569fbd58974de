import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { renderSettingsTable, TABLE_END, TABLE_START, withSettingsTable } from '../../core/config/settings-table.js';
import { SETTING_NAMES } from '../../core/config/schema.js';
import { REPO } from '../helpers/paths.js';

test("README's settings table matches the schema (run `npm run docs` after changing a setting)", async () => {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
  const table = (text: string) => text.slice(text.indexOf(TABLE_START), text.indexOf(TABLE_END));
  assert.equal(table(readme), table(withSettingsTable(readme)));
});

test('the rendered table has one row per setting, with its default', () => {
  const table = renderSettingsTable();
  for (const name of SETTING_NAMES) assert.match(table, new RegExp(`^\\| \`${name}\``, 'm'));
  assert.match(table, /^\| `maxLogFiles` \| `20` \|/m);
  assert.match(table, /^\| `debuggerPortRange` \(also `debugPortRange`\) \| `5058-6058` \|/m);
  assert.match(table, /^\| `loadBalancing` \| `roundRobin` \| Berth \|.*One of `roundRobin`, `leastBusy`\./m);
});
