/** `npm run docs`: rewrites the generated parts of README.md (the settings table). */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withSettingsTable } from '../../core/config/settings-table.js';
import { REPO } from '../helpers/paths.js';

const file = path.join(REPO, 'README.md');
const before = await readFile(file, 'utf8');
const after = withSettingsTable(before);
if (after !== before) await writeFile(file, after);
console.log(after === before ? 'README.md is up to date.' : 'README.md updated.');
