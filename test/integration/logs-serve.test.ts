/**
 * serveLogRequest against a real folder: index, files, ranges, HEAD, and every way out of the folder we know of.
 */
import assert from 'node:assert/strict';
import type { ReadStream } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { renderLogIndex } from '../../core/logs/index-page.js';
import { isLogRequestPath, serveLogRequest, type LogResponse } from '../../core/logs/serve.js';
import { tempDir } from '../helpers/paths.js';
import { skipUnderWine } from '../helpers/wine.js';

const LOG = 'PC-100-stdout-1700000000000.txt';
const ERR = 'PC-100-stderr-1700000000001.txt';
const EMPTY = 'PC-101-stdout-1700000000002.txt';
const CONTENT = 'line one\nline two\nline three\n';

async function bodyText(res: LogResponse): Promise<string> {
  if (typeof res.body === 'string') return res.body;
  if (Buffer.isBuffer(res.body)) return res.body.toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of res.body as ReadStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('serveLogRequest', () => {
  let dir: string;
  let logDir: string;
  let cleanup: () => Promise<void>;
  const get = (urlPath: string, extra: { method?: string; range?: string; platform?: NodeJS.Platform; logDir?: string } = {}) =>
    serveLogRequest({ logDir: extra.logDir ?? logDir, urlPrefix: '/iisnode', urlPath, method: extra.method ?? 'GET', rangeHeader: extra.range, ...(extra.platform ? { platform: extra.platform } : {}) });

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    logDir = path.join(dir, 'app', 'iisnode');
    await mkdir(path.join(logDir, 'sub'), { recursive: true });
    await writeFile(path.join(logDir, LOG), CONTENT);
    await writeFile(path.join(logDir, ERR), 'an error\n');
    await writeFile(path.join(logDir, EMPTY), '');
    await writeFile(path.join(logDir, 'index.html'), renderLogIndex([], 0));
    await writeFile(path.join(logDir, 'notes.txt'), 'SECRET notes');
    await writeFile(path.join(logDir, 'sub', 'PC-1-stdout-1.txt'), 'SECRET in a subfolder');
    await writeFile(path.join(dir, 'app', 'secret.txt'), 'SECRET app file');
    await writeFile(path.join(dir, 'app', 'PC-9-stdout-9.txt'), 'SECRET log-named file outside');
    // Log-shaped names that are links out of the folder.
    await symlink('/etc/passwd', path.join(logDir, 'PC-1-stdout-2.txt'));
    await symlink(path.join(dir, 'app', 'secret.txt'), path.join(logDir, 'PC-1-stdout-3.txt'));
    await symlink('/etc', path.join(logDir, 'etc'));
    await symlink(path.join(logDir, LOG), path.join(logDir, 'PC-1-stdout-4.txt')); // even inside: not a plain file
  });
  after(() => cleanup());

  test('/iisnode redirects to /iisnode/, keeping the query', async () => {
    const res = await get('/iisnode?x=1');
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, '/iisnode/?x=1');
  });

  test('/iisnode/ and /iisnode/index.html serve the index as HTML, with a script-free CSP', async () => {
    for (const p of ['/iisnode/', '/iisnode/index.html', '/iisnode/?t=1']) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.headers['content-security-policy']!, /default-src 'none'/);
      assert.match(await bodyText(res), /<h1>Log files<\/h1>/);
    }
  });

  test('without index.html the listing is rendered for the request', async () => {
    const { dir: other, cleanup: done } = await tempDir();
    try {
      await writeFile(path.join(other, LOG), CONTENT);
      await writeFile(path.join(other, 'README.md'), 'x');
      const res = await get('/iisnode/', { logDir: other });
      assert.equal(res.status, 200);
      const html = await bodyText(res);
      assert.match(html, new RegExp(`href="${LOG}"`));
      assert.doesNotMatch(html, /README/);
      assert.equal(Number(res.headers['content-length']), Buffer.byteLength(html));
    } finally {
      await done();
    }
  });

  test('a log file: 200, text/plain; charset=utf-8, the exact bytes, length and ranges advertised', async () => {
    const res = await get(`/iisnode/${LOG}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers['content-length'], String(CONTENT.length));
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['last-modified']);
    assert.equal(await bodyText(res), CONTENT);
    assert.equal(await bodyText(await get(`/iisnode/${ERR}`)), 'an error\n');
  });

  test('an empty log file: 200 with no body', async () => {
    const res = await get(`/iisnode/${EMPTY}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '0');
    assert.equal(await bodyText(res), '');
  });

  test('HEAD: the same headers, no body, no open file', async () => {
    const res = await get(`/iisnode/${LOG}`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(CONTENT.length));
    assert.equal(res.body, '');
    const ranged = await get(`/iisnode/${LOG}`, { method: 'HEAD', range: 'bytes=0-3' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-length'], '4');
    assert.equal(ranged.body, '');
  });

  test('Range: 206 with Content-Range for from-to, open-ended and suffix ranges', async () => {
    const size = CONTENT.length;
    const cases: [string, string, string][] = [
      ['bytes=0-3', `bytes 0-3/${size}`, 'line'],
      ['bytes=9-', `bytes 9-${size - 1}/${size}`, 'line two\nline three\n'],
      ['bytes=-6', `bytes ${size - 6}-${size - 1}/${size}`, 'three\n'],
      ['bytes=5-1000', `bytes 5-${size - 1}/${size}`, CONTENT.slice(5)],
    ];
    for (const [range, contentRange, body] of cases) {
      const res = await get(`/iisnode/${LOG}`, { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers['content-range'], contentRange, range);
      assert.equal(res.headers['content-length'], String(body.length), range);
      assert.equal(await bodyText(res), body, range);
    }
  });

  test('Range: 416 with bytes */size when unsatisfiable; several ranges or nonsense give the whole file', async () => {
    for (const range of [`bytes=${CONTENT.length}-`, 'bytes=1000-2000', 'bytes=-0']) {
      const res = await get(`/iisnode/${LOG}`, { range });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers['content-range'], `bytes */${CONTENT.length}`);
      assert.equal(res.body, '');
    }
    for (const range of ['bytes=0-1,4-5', 'bytes=5-2', 'lines=1-2']) {
      const res = await get(`/iisnode/${LOG}`, { range });
      assert.equal(res.status, 200, range);
      assert.equal(await bodyText(res), CONTENT);
    }
  });

  test('only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await get(`/iisnode/${LOG}`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD');
    }
  });

  test('nothing outside the folder, and nothing but logs and index.html inside it', async () => {
    const attempts: [string, number][] = [
      ['/iisnode/../secret.txt', 400],
      ['/iisnode/..', 400],
      ['/iisnode/./index.html', 400],
      ['/iisnode/%2e%2e/secret.txt', 400],
      ['/iisnode/%2E%2E', 400],
      ['/iisnode/..%2fsecret.txt', 400],
      ['/iisnode/..%2Fsecret.txt', 400],
      ['/iisnode/%2e%2e%2fsecret.txt', 400],
      ['/iisnode/..%5csecret.txt', 400],
      ['/iisnode/..\\secret.txt', 400],
      ['/iisnode/%2e%2e%5cPC-9-stdout-9.txt', 400],
      ['/iisnode/%252e%252e%252fsecret.txt', 400],
      ['/iisnode/index.html%00.txt', 400],
      ['/iisnode/index.html\0', 400],
      ['/iisnode/%ZZ', 400],
      ['/iisnode/C:', 400],
      ['/iisnode/C:%5cWindows%5cwin.ini', 400],
      ['/iisnode/c:secret.txt', 400],
      ['/iisnode/CON', 400],
      ['/iisnode/nul.txt', 400],
      ['/iisnode/AUX.html', 400],
      ['/iisnode/prn', 400],
      ['/iisnode/COM1', 400],
      ['/iisnode/com9.log', 400],
      ['/iisnode/LPT1.txt', 400],
      ['/iisnode/lpt9', 400],
      ['/iisnode/index.html::$DATA', 400],
      ['/iisnode/notes.txt', 404],
      ['/iisnode/PC-1-stdout-2.txt', 404], // → /etc/passwd
      ['/iisnode/PC-1-stdout-3.txt', 404], // → ../secret.txt
      ['/iisnode/PC-1-stdout-4.txt', 404], // a link, even to a log inside
      ['/iisnode/etc/passwd', 404],
      ['/iisnode/etc', 404],
      ['/iisnode/sub/PC-1-stdout-1.txt', 404],
      ['/iisnode/sub', 404],
      ['/iisnode//etc/passwd', 404],
      ['/iisnode/%2fetc%2fpasswd', 400],
      ['/iisnode/PC-9-stdout-9.txt', 404],
      ['/etc/passwd', 404],
      ['/iisnodeX/../secret.txt', 404],
      ['/iisnode/../../../../etc/passwd', 400],
    ];
    for (const [urlPath, status] of attempts) {
      const res = await get(urlPath);
      assert.equal(res.status, status, urlPath);
      const text = await bodyText(res);
      assert.doesNotMatch(text, /SECRET|root:/, urlPath);
    }
  });

  test('Windows rules when the platform is win32: trailing dots, case-insensitive prefix', async () => {
    assert.equal((await get('/iisnode/index.html.', { platform: 'win32' })).status, 400);
    assert.equal((await get('/iisnode/index.html%20', { platform: 'win32' })).status, 400);
    const served = await get(`/IISNODE/${LOG}`, { platform: 'win32' });
    assert.equal(served.status, 200);
    assert.equal(await bodyText(served), CONTENT); // read it: an unread stream would hold the file open
    assert.equal((await get(`/IISNODE/${LOG}`, { platform: 'linux' })).status, 404);
    assert.equal(isLogRequestPath('/iisnode', '/IisNode/x', 'win32'), true);
    assert.equal(isLogRequestPath('/iisnode', '/iisnodeX', 'linux'), false);
    assert.equal(isLogRequestPath('/iisnode', '/iisnode?x', 'linux'), true);
  });

  test('a log folder that is itself a link (a user choice) still serves its files', { skip: skipUnderWine('symbolic links (symlink() creates nothing)') }, async () => {
    const link = path.join(dir, 'linked-logs');
    await symlink(logDir, link);
    try {
      const res = await get(`/iisnode/${LOG}`, { logDir: link });
      assert.equal(res.status, 200);
      assert.equal(await bodyText(res), CONTENT);
    } finally {
      await rm(link);
    }
  });

  test('a missing folder: 404, no throw', async () => {
    assert.equal((await get(`/iisnode/${LOG}`, { logDir: path.join(dir, 'nope') })).status, 404);
    assert.equal((await get('/iisnode/', { logDir: path.join(dir, 'nope') })).status, 404);
  });
});
