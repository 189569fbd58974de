import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ConfigIssue } from '../../core/config/load.js';
import { SETTINGS, SETTING_NAMES, type SettingDef } from '../../core/config/schema.js';
import { COMPAT_TABLE_END, COMPAT_TABLE_START, renderBerthKeys, renderCompatTable, withCompatTable } from '../../core/iis/compat-table.js';
import { configErrorPage, customResponsePage } from '../../core/iis/pages.js';
import { contentTypeFor, mimeMapWith } from '../../core/iis/mime.js';
import { MIME_TYPES } from '../../core/shared/mime.js';
import { REPO } from '../helpers/paths.js';

const issue: ConfigIssue = {
  severity: 'error',
  file: 'C:\\sites\\app\\web.config',
  line: 9,
  column: 14,
  key: 'idontexist',
  message: '<iisnode> has an attribute that iisnode does not know: idontexist (line 9, column 14). <script>',
  fix: 'Remove it.',
};

describe('the configuration error page (iisnode test 116)', () => {
  test('for callers on this computer: the friendly sentence and every problem with file, line and column', () => {
    const page = configErrorPage([issue], true);
    assert.equal(page.status, 500);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(Number(page.headers['content-length']), Buffer.byteLength(page.body));
    assert.match(page.body, /Berth was unable to read the configuration file web\.config\. Make sure the web\.config file syntax is correct\./);
    assert.match(page.body, /C:\\sites\\app\\web\.config:9:14: &lt;iisnode&gt; has an attribute/);
    assert.match(page.body, /&lt;script&gt;/);
    assert.doesNotMatch(page.body, /<script>/);
    assert.match(page.body, /Remove it\./);
  });

  test('for other callers: a plain page that names nothing', () => {
    const page = configErrorPage([issue], false);
    assert.equal(page.status, 500);
    assert.match(page.body, /The app is not available right now/);
    assert.doesNotMatch(page.body, /web\.config|idontexist|sites/);
  });

  test('an iisnode.yml problem names iisnode.yml', () => {
    const page = configErrorPage([{ severity: 'error', file: '/app/iisnode.yml', line: 3, message: 'loggingEnabled: "foobar" is not true or false.' }], true);
    assert.match(page.body, /unable to read the configuration file iisnode\.yml\. Make sure the iisnode\.yml file syntax is correct/);
  });
});

test('the CustomResponse page carries the rule\'s status, reason and escaped description', () => {
  const page = customResponsePage({ status: 403, subStatus: 502, reason: 'Forbidden', description: 'Not <here>' });
  assert.equal(page.status, 403);
  assert.equal(page.reason, 'Forbidden');
  assert.match(page.body, /<h1>403\.502 Forbidden<\/h1>/);
  assert.match(page.body, /Not &lt;here&gt;/);
  assert.equal(customResponsePage({ status: 404, subStatus: 0, reason: 'Not Found', description: '' }).body.includes('<p>'), false);
});

describe('MIME types', () => {
  test('known extensions, case-insensitively; unknown ones have none', () => {
    assert.equal(contentTypeFor('a/b/Style.CSS'), 'text/css');
    assert.equal(contentTypeFor('app.mjs'), 'text/javascript');
    assert.equal(contentTypeFor('x.wasm'), 'application/wasm');
    for (const name of ['.env', 'a.yml', 'web.config', 'a.ts', 'key.pem', 'noext', 'x.log']) assert.equal(contentTypeFor(name), undefined, name);
  });

  test('web.config changes: add, remove, clear', () => {
    const map = mimeMapWith([
      { op: 'add', key: '.md', value: 'text/markdown', at: { file: '', line: 0, column: 0 } },
      { op: 'remove', key: '.css', at: { file: '', line: 0, column: 0 } },
    ]);
    assert.equal(contentTypeFor('a.md', map), 'text/markdown');
    assert.equal(contentTypeFor('a.css', map), undefined);
    assert.equal(mimeMapWith([{ op: 'clear', at: { file: '', line: 0, column: 0 } }]).size, 0);
    assert.ok(Object.keys(MIME_TYPES).every((k) => k.startsWith('.') && k === k.toLowerCase()));
  });
});

describe('docs/IISNODE-COMPAT.md', () => {
  test('its settings table matches the schema (regenerate with core/iis/compat-table.ts withCompatTable)', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'IISNODE-COMPAT.md'), 'utf8');
    const table = (text: string) => text.slice(text.indexOf(COMPAT_TABLE_START), text.indexOf(COMPAT_TABLE_END));
    assert.equal(table(doc), table(withCompatTable(doc)));
    assert.ok(doc.includes(renderBerthKeys()));
  });

  test('every iisnode setting has a row with Berth\'s verdict; Berth\'s own keys have none', () => {
    const table = renderCompatTable();
    for (const name of SETTING_NAMES) {
      const def: SettingDef = SETTINGS[name];
      const row = table.split('\n').find((r) => r.startsWith(`| \`${name}\``));
      if (def.berthOnly) {
        assert.equal(row, undefined, name);
        continue;
      }
      assert.ok(row, `${name} has no row`);
      assert.match(row, new RegExp(`\\| \\**${def.support}\\** \\|`), name);
      if (def.support !== 'honoured') assert.ok(def.note && row.includes(def.note), `${name} must say why it is ${def.support}`);
    }
  });

  test('the document covers each part of web.config Berth reads, and the iisnode tests it reproduces', async () => {
    const doc = await readFile(path.join(REPO, 'docs', 'IISNODE-COMPAT.md'), 'utf8');
    for (const part of ['<iisnode', '<handlers>', '<appSettings>', '<defaultDocument>', '<rewrite>', '<webSocket', '<location', 'hiddenSegments', 'mimeMap', 'test 102', 'test 103', 'test 108', 'test 116', 'X-Original-URL', 'Mount paths']) {
      assert.ok(doc.includes(part), `${part} is not documented`);
    }
  });
});
