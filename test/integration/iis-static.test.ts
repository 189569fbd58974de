/**
 * Static files of a site against a real folder: content types, validators and 304s, ranges, HEAD, default
 * documents, and every way out of the site folder or into a protected file that we know of.
 */
import assert from 'node:assert/strict';
import type { ReadStream } from 'node:fs';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { etagFor, neverServedReason, serveStaticFile, serveStaticRequest, type StaticFileRequest, type StaticFolderRequest, type StaticResponse } from '../../core/iis/static.js';
import { tempDir } from '../helpers/paths.js';
import { skipUnderWine } from '../helpers/wine.js';

async function bodyText(res: StaticResponse): Promise<string> {
  if (typeof res.body === 'string') return res.body;
  if (Buffer.isBuffer(res.body)) return res.body.toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of res.body as ReadStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const CONTENT = '0123456789abcdefghij';
const MTIME = new Date('2024-03-01T12:00:00.000Z');

describe('static files', () => {
  let dir: string;
  let site: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ dir, cleanup } = await tempDir('berth-iis-static-'));
    site = path.join(dir, 'site');
    await mkdir(path.join(site, 'docs'), { recursive: true });
    await mkdir(path.join(site, 'empty-folder'), { recursive: true });
    await mkdir(path.join(site, 'node_modules', 'pkg'), { recursive: true });
    await mkdir(path.join(site, '.git'), { recursive: true });
    await mkdir(path.join(site, 'iisnode'), { recursive: true });
    await mkdir(path.join(site, '.well-known'), { recursive: true });
    await writeFile(path.join(site, 'file.txt'), CONTENT);
    await utimes(path.join(site, 'file.txt'), MTIME, MTIME);
    await writeFile(path.join(site, 'style.css'), 'body{}');
    await writeFile(path.join(site, 'app.js'), 'console.log(1)');
    await writeFile(path.join(site, 'empty.txt'), '');
    await writeFile(path.join(site, 'docs', 'index.html'), '<h1>docs</h1>');
    await writeFile(path.join(site, 'web.config'), '<configuration/>');
    await writeFile(path.join(site, 'iisnode.yml'), 'loggingEnabled: true');
    await writeFile(path.join(site, 'berth.yml'), 'entry: x.js');
    await writeFile(path.join(site, 'package.json'), '{}');
    await writeFile(path.join(site, '.env'), 'SECRET=1');
    await writeFile(path.join(site, '.git', 'config.txt'), 'SECRET');
    await writeFile(path.join(site, '.well-known', 'security.txt'), 'Contact: me');
    await writeFile(path.join(site, 'node_modules', 'pkg', 'index.js'), 'SECRET');
    await writeFile(path.join(site, 'iisnode', 'PC-1-stdout-1.txt'), 'a log line');
    await writeFile(path.join(site, 'notes.yml'), 'SECRET');
    await writeFile(path.join(dir, 'outside.txt'), 'SECRET outside');
    await symlink(path.join(dir, 'outside.txt'), path.join(site, 'link-out.txt'));
    await symlink(dir, path.join(site, 'dir-out'));
    await symlink(path.join(site, 'file.txt'), path.join(site, 'link-in.txt'));
    await symlink(path.join(site, 'web.config'), path.join(site, 'config-link.txt'));
    await symlink(path.join(site, 'iisnode', 'PC-1-stdout-1.txt'), path.join(site, 'log-link.txt'));
  });
  after(() => cleanup());

  const file = (name: string, extra: Partial<StaticFileRequest> = {}) => serveStaticFile({ root: site, file: path.join(site, ...name.split('/')), method: 'GET', platform: process.platform, ...extra });
  const url = (target: string, extra: Partial<StaticFolderRequest> = {}) => serveStaticRequest({ root: site, target, method: 'GET', platform: process.platform, protectedDirs: [path.join(site, 'iisnode')], ...extra });

  describe('serveStaticFile', () => {
    test('200 with type, length, validators and accept-ranges', async () => {
      const res = await file('file.txt');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain');
      assert.equal(res.headers['content-length'], String(CONTENT.length));
      assert.equal(res.headers['accept-ranges'], 'bytes');
      assert.equal(res.headers['last-modified'], MTIME.toUTCString());
      assert.equal(res.headers.etag, etagFor(CONTENT.length, MTIME.getTime()));
      assert.match(res.headers.etag!, /^"[0-9a-f]+-[0-9a-f]+"$/);
      assert.equal(await bodyText(res), CONTENT);
    });

    test('the resolver\'s content type wins; a file without one is not served', async () => {
      assert.equal((await file('app.js', { contentType: 'application/x-custom' })).headers['content-type'], 'application/x-custom');
      assert.equal((await file('notes.yml')).status, 404);
    });

    test('HEAD: the same headers, no body', async () => {
      const res = await file('file.txt', { method: 'HEAD' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], String(CONTENT.length));
      assert.equal(res.body, '');
    });

    test('other methods: 405 with Allow', async () => {
      const res = await file('file.txt', { method: 'POST' });
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
    });

    test('an empty file is a 200 with an empty body', async () => {
      const res = await file('empty.txt');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], '0');
      assert.equal(await bodyText(res), '');
    });

    test('If-None-Match: 304 for the same tag, a weak one, one of a list, or *; 200 for another', async () => {
      const etag = (await file('file.txt')).headers.etag!;
      for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
        const res = await file('file.txt', { headers: { ifNoneMatch: header } });
        assert.equal(res.status, 304, header);
        assert.equal(res.body, '');
        assert.equal(res.headers.etag, etag);
        assert.equal(res.headers['last-modified'], MTIME.toUTCString());
        assert.equal(res.headers['content-length'], undefined);
      }
      assert.equal((await file('file.txt', { headers: { ifNoneMatch: '"other"' } })).status, 200);
    });

    test('If-Modified-Since: 304 when not modified since, 200 otherwise; ignored when If-None-Match is present', async () => {
      assert.equal((await file('file.txt', { headers: { ifModifiedSince: MTIME.toUTCString() } })).status, 304);
      assert.equal((await file('file.txt', { headers: { ifModifiedSince: new Date(MTIME.getTime() + 60_000).toUTCString() } })).status, 304);
      assert.equal((await file('file.txt', { headers: { ifModifiedSince: new Date(MTIME.getTime() - 1000).toUTCString() } })).status, 200);
      assert.equal((await file('file.txt', { headers: { ifModifiedSince: 'not a date' } })).status, 200);
      assert.equal((await file('file.txt', { headers: { ifModifiedSince: MTIME.toUTCString(), ifNoneMatch: '"other"' } })).status, 200);
    });

    test('Range: 206 with Content-Range, suffix ranges, 416 when unsatisfiable, whole body for several ranges', async () => {
      const part = await file('file.txt', { headers: { range: 'bytes=2-5' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 2-5/${CONTENT.length}`);
      assert.equal(part.headers['content-length'], '4');
      assert.equal(await bodyText(part), '2345');
      const suffix = await file('file.txt', { headers: { range: 'bytes=-3' } });
      assert.equal(await bodyText(suffix), 'hij');
      const open = await file('file.txt', { headers: { range: 'bytes=15-' } });
      assert.equal(await bodyText(open), 'fghij');
      const beyond = await file('file.txt', { headers: { range: 'bytes=100-' } });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers['content-range'], `bytes */${CONTENT.length}`);
      const several = await file('file.txt', { headers: { range: 'bytes=0-1,4-5' } });
      assert.equal(several.status, 200);
      assert.equal(await bodyText(several), CONTENT);
    });

    test('If-Range: the range is used only while the validator still matches', async () => {
      const etag = (await file('file.txt')).headers.etag!;
      assert.equal((await file('file.txt', { headers: { range: 'bytes=0-1', ifRange: etag } })).status, 206);
      assert.equal((await file('file.txt', { headers: { range: 'bytes=0-1', ifRange: '"old"' } })).status, 200);
      assert.equal((await file('file.txt', { headers: { range: 'bytes=0-1', ifRange: `W/${etag}` } })).status, 200);
      assert.equal((await file('file.txt', { headers: { range: 'bytes=0-1', ifRange: MTIME.toUTCString() } })).status, 206);
      assert.equal((await file('file.txt', { headers: { range: 'bytes=0-1', ifRange: new Date(0).toUTCString() } })).status, 200);
    });

    test('HEAD ignores Range', async () => {
      const res = await file('file.txt', { method: 'HEAD', headers: { range: 'bytes=0-1' } });
      assert.equal(res.status, 200);
    });

    test('never: links out of the site, links to protected files, protected names, the log folder', async () => {
      for (const name of ['link-out.txt', 'dir-out/outside.txt', 'config-link.txt', 'web.config', 'iisnode.yml', 'berth.yml', 'package.json', '.env', '.git/config.txt', 'node_modules/pkg/index.js', 'missing.txt', 'docs']) {
        const res = await file(name, { contentType: 'text/plain' });
        assert.equal(res.status, 404, name);
        assert.doesNotMatch(await bodyText(res), /SECRET/, name);
      }
      const protectedDirs = [path.join(site, 'iisnode')];
      assert.equal((await file('iisnode/PC-1-stdout-1.txt', { protectedDirs })).status, 404);
      assert.equal((await file('log-link.txt', { protectedDirs })).status, 404, 'a link into the log folder');
      assert.equal((await file('iisnode/PC-1-stdout-1.txt', { protectedDirs, allowLogFolder: true })).status, 200);
    });

    test('a link that stays inside the site is followed', { skip: skipUnderWine('symbolic links (symlink() creates nothing)') }, async () => {
      const res = await file('link-in.txt');
      assert.equal(res.status, 200);
      assert.equal(await bodyText(res), CONTENT);
    });

    test('a file outside the root given directly is refused', async () => {
      assert.equal((await serveStaticFile({ root: site, file: path.join(dir, 'outside.txt'), method: 'GET', contentType: 'text/plain' })).status, 404);
    });
  });

  describe('serveStaticRequest (by URL)', () => {
    test('a file by URL, percent-encoded names decoded', async () => {
      await writeFile(path.join(site, 'with space.txt'), 'spaced');
      const res = await url('with%20space.txt');
      assert.equal(res.status, 200);
      assert.equal(await bodyText(res), 'spaced');
      assert.equal((await url('/style.css?v=3')).headers['content-type'], 'text/css');
    });

    test('a folder without its slash is redirected, keeping mount and query; with it, the default document', async () => {
      const redirect = await url('docs?x=1', { mountPath: '/node/site' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.location, '/node/site/docs/?x=1');
      const index = await url('docs/');
      assert.equal(index.status, 200);
      assert.equal(await bodyText(index), '<h1>docs</h1>');
      assert.equal((await url('empty-folder/')).status, 404);
      assert.equal((await url('docs/', { defaultDocuments: ['main.html'] })).status, 404);
    });

    test('refused before the file system is asked: encoded separators, NUL, backslashes, double encoding, dot segments', async () => {
      for (const target of ['..%2foutside.txt', '..%5coutside.txt', 'file.txt%00.css', '..\\outside.txt', '%252e%252e/outside.txt', '../outside.txt', '%2e%2e/outside.txt', 'docs/../../outside.txt', 'bad%zz']) {
        const res = await url(target);
        assert.equal(res.status, 400, target);
      }
    });

    test('Windows names are refused: devices, drive letters, streams, trailing dots, short names', async () => {
      for (const target of ['con', 'nul.txt', 'COM1.css', 'c:file.txt', 'file.txt::$DATA', 'file.txt.']) {
        assert.equal((await url(target, { platform: 'win32' })).status, 400, target);
      }
      assert.equal((await url('WEB~1.CON', { platform: 'win32' })).status, 400);
    });

    test('protected names in any case, at any depth, by URL', async () => {
      for (const target of ['web.config', 'WEB.CONFIG', 'Web.Config', 'iisnode.yml', 'node_modules/pkg/index.js', '.git/config.txt', '.env', 'iisnode/PC-1-stdout-1.txt', 'notes.yml']) {
        const res = await url(target);
        assert.equal(res.status, 404, target);
      }
      assert.equal((await url('.well-known/security.txt')).status, 200);
    });

    test('hidden segments given by the site', async () => {
      assert.equal((await url('docs/index.html', { hiddenSegments: ['Docs'] })).status, 404);
    });

    test('only GET and HEAD', async () => {
      assert.equal((await url('file.txt', { method: 'DELETE' })).status, 405);
    });
  });

  test('neverServedReason explains', () => {
    assert.match(neverServedReason(['a', 'NODE_MODULES', 'x.js'])!, /never served/);
    assert.match(neverServedReason(['.vscode', 'settings.json'])!, /hidden file or folder/);
    assert.match(neverServedReason(['bin', 'x'], { hiddenSegments: ['bin'] })!, /hidden segment/);
    assert.match(neverServedReason(['custom.yml'], { neverServed: ['custom.yml'] })!, /never served/);
    assert.equal(neverServedReason(['.well-known', 'x.txt']), undefined);
  });
});
