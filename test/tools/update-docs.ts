/** `npm run docs`: rewrites the generated parts of README.md (the settings table) and docs/IISNODE-COMPAT.md. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withSettingsTable } from '../../core/config/settings-table.js';
import { withCompatTable } from '../../core/iis/compat-table.js';
import { REPO } from '../helpers/paths.js';

/** Rewrites one document with its generated parts; says whether it changed. */
async function update(name: string, render: (text: string) => string): Promise<void> {
  const file = path.join(REPO, name);
  const before = await readFile(file, 'utf8');
  const after = render(before);
  if (after !== before) await writeFile(file, after);
  console.log(after === before ? `${name} is up to date.` : `${name} updated.`);
}

await update('README.md', withSettingsTable);
await update('docs/IISNODE-COMPAT.md', withCompatTable);
