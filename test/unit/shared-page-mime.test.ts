/** The shared layer's page layout and content-type table (core/shared/page.ts, mime.ts): pure, browser-safe. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extensionOf, MIME_TYPES, ownFileType } from '../../core/shared/mime.js';
import { escapeHtml, renderPage } from '../../core/shared/page.js';

test('every Berth page has the same shell: escaped title, the shared styles, its own extras, the footer', () => {
  const page = renderPage({ title: 'A <b> & "c"', body: '<h1>Hi</h1>', footer: 'Berth · local only', widthRem: 52, css: 'li{margin:0}', head: '<meta name="robots" content="noindex">' });
  assert.match(page, /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
  assert.match(page, /<title>A &lt;b&gt; &amp; &quot;c&quot; · Berth<\/title>/);
  assert.match(page, /<meta name="robots" content="noindex">\n<title>/);
  assert.match(page, /prefers-color-scheme: dark/);
  assert.match(page, /body\{max-width:52rem\}\nli\{margin:0\}\n<\/style>/);
  assert.match(page, /<body>\n<h1>Hi<\/h1>\n<p class="muted">Berth · local only<\/p>\n<\/body><\/html>\n$/);
  const plain = renderPage({ title: 'x', body: '' });
  assert.match(plain, /body\{max-width:60rem\}\n<\/style>/);
  assert.match(plain, /<p class="muted">Berth<\/p>/);
  assert.doesNotMatch(plain, /robots/);
});

test('escapeHtml escapes markup and shows control characters as [xHH]', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeHtml('a\u0000b\u001bc\td\n'), 'a[x00]b[x1B]c\td\n');
});

test('one content-type table: extensions by either slash and any case; charset only on our own UTF-8 text', () => {
  assert.equal(extensionOf('C:\\site\\Index.HTML'), '.html');
  assert.equal(extensionOf('/a.b/c'), '');
  assert.equal(extensionOf('.env'), '', 'a dot-file has no extension');
  assert.equal(extensionOf('assets/app.1234.js'), '.js');
  assert.equal(MIME_TYPES['.js'], 'text/javascript');
  assert.equal(ownFileType('index.html'), 'text/html; charset=utf-8');
  assert.equal(ownFileType('x.JS'), 'text/javascript; charset=utf-8');
  assert.equal(ownFileType('a.map'), 'application/json; charset=utf-8');
  assert.equal(ownFileType('logo.svg'), 'image/svg+xml');
  assert.equal(ownFileType('font.woff2'), 'font/woff2');
  assert.equal(ownFileType('secret.pem'), undefined);
});
