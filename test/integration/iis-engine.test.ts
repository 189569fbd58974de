/**
 * iisnode sites through the real engine, unchanged: web.config handlers, static files beside them, default
 * documents, URL Rewrite, appSettings, configuration errors, mount paths (iisnode samples and functional tests
 * 102, 103, 108, 116). Each fixture folder is copied as is; only a berth.yml with its mount path is added, to
 * reproduce the URLs the samples had under IIS's /node virtual directory.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IISNODE_COMPAT_VERSION } from '../../core/version.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

describe('iisnode sites through the engine', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  const sites: [string, string][] = [
    ['iis-helloworld', '/node/helloworld'],
    ['iis-defaultdocument', '/node/defaultdocument'],
    ['iis-urlrewrite', '/node/urlrewrite'],
    ['iis-express', '/node/express'],
    ['iis-logging', '/node/logging'],
    ['iis-102-defaultdocument', '/102_defaultdocument'],
    ['iis-103-urlrewrite', '/103_urlrewrite'],
    ['iis-108-appsettings', '/108_appsettings'],
    ['iis-116-configerror', '/116_configerror'],
  ];
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    t = await startEngine({}, { watchFiles: false });
    for (const [fixture, mount] of sites) {
      const folder = await copyFixture(fixture, dir);
      await writeFile(path.join(folder, 'berth.yml'), `mountPath: ${mount}\n`);
      await t.engine.addApp(folder);
    }
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  const get = (site: string, urlPath: string, headers: Record<string, string> = {}) =>
    request(t.port, { host: `${site}.localhost`, path: urlPath, headers, timeoutMs: 20_000 });

  test('helloworld: hello.js runs as an app; helloClient.js is a static file with ETag and 304', async () => {
    const hello = await get('iis-helloworld', '/node/helloworld/hello.js');
    assert.equal(hello.status, 200);
    assert.equal(hello.body, `Hello, world! [helloworld sample; iisnode version is ${IISNODE_COMPAT_VERSION}, node version is ${process.version}]`);
    const client = await get('iis-helloworld', '/node/helloworld/helloClient.js');
    assert.equal(client.status, 200);
    assert.equal(client.body, 'var hello = "This is a client side JavaScript file served statically";\n');
    assert.equal((await get('iis-helloworld', '/node/helloworld/helloClient.js', { 'if-none-match': String(client.headers.etag) })).status, 304);
    for (const hidden of ['/node/helloworld/web.config', '/node/helloworld/berth.yml']) assert.equal((await get('iis-helloworld', hidden)).status, 404, hidden);
    assert.equal((await get('iis-helloworld', '/other/path')).status, 404, 'outside the mount path');
  });

  test('defaultdocument and test 102: a folder URL reaches the default document', async () => {
    assert.equal((await get('iis-defaultdocument', '/node/defaultdocument/')).body, 'You have reached the default node.js application at index.js! [defaultdocument sample]');
    const redirect = await get('iis-defaultdocument', '/node/defaultdocument');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/node/defaultdocument/');
    assert.equal((await get('iis-102-defaultdocument', '/102_defaultdocument/')).body, '[defaultdocument]');
  });

  test('urlrewrite and test 103: rewritten URLs reach the script, which sees the original URL; X-Original-URL is not trusted', async () => {
    assert.equal(
      (await get('iis-urlrewrite', '/node/urlrewrite/myapp/1/2/3?param=4')).body,
      'Hello from urlrewrite sample. Request path: /node/urlrewrite/myapp/1/2/3?param=4',
    );
    const spoofed = await get('iis-urlrewrite', '/node/urlrewrite/myapp/real', { 'x-original-url': '/node/urlrewrite/myapp/forged' });
    assert.equal(spoofed.body, 'Hello from urlrewrite sample. Request path: /node/urlrewrite/myapp/real');
    for (const url of ['/103_urlrewrite/hello', '/103_urlrewrite/hello/', '/103_urlrewrite/hello.js', '/103_urlrewrite/hello?foo=bar', '/103_urlrewrite/hello/a/b/c/', '/103_urlrewrite/hello/a/b?foo=bar']) {
      assert.equal((await get('iis-103-urlrewrite', url)).body, url, url);
    }
  });

  test("express: today's Express routes on full paths, including the mount path", async () => {
    assert.equal((await get('iis-express', '/node/express/myapp/foo')).body, 'Hello from foo! [express sample]');
    const missing = await get('iis-express', '/node/express/myapp/idonotexist');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Cannot GET \/node\/express\/myapp\/idonotexist/);
  });

  test('test 108: appSettings become the worker environment', async () => {
    assert.equal((await get('iis-108-appsettings', '/108_appsettings/hello.js')).body, 'value1value2');
  });

  test('test 116: an unknown <iisnode> attribute gets the configuration error page with line and column', async () => {
    const res = await get('iis-116-configerror', '/116_configerror/hello.js');
    assert.equal(res.status, 500);
    assert.match(res.body, /unable to read the configuration file web\.config/);
    assert.match(res.body, /web\.config:9:14/);
  });

  test("logging: the sample's log lines land in its log folder, served under the site's URL", async () => {
    assert.equal((await get('iis-logging', '/node/logging/hello.js')).body, 'Hello, world! [logging sample]');
    await eventually(async () => /stdout/.test((await get('iis-logging', '/node/logging/iisnode/')).body), 10_000);
    const index = await get('iis-logging', '/node/logging/iisnode/');
    const link = /href="([^"]+-stdout-\d+\.txt)"/.exec(index.body)?.[1];
    assert.ok(link, index.body);
    const log = await get('iis-logging', `/node/logging/iisnode/${link}`);
    assert.match(log.body, /A new request arrived with HTTP headers/);
    const onDisk = await readFile(path.join(dir, 'iis-logging', 'iisnode', link!), 'utf8');
    assert.equal(onDisk, log.body);
  });

  test("a site's script apps are listed by the engine, each with its own workers", async () => {
    const names = t.engine.listApps().map((a) => a.name);
    assert.ok(names.some((n) => n.startsWith('iis-helloworld-hello')), names.join(', '));
    const app = t.engine.listApps().find((a) => a.name.startsWith('iis-helloworld-hello'))!;
    assert.equal(app.state, 'running');
    assert.equal(path.basename(app.entry!.file), 'hello.js');
  });
});
