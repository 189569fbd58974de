/**
 * resolveSiteRequest and the site model, with web.config text parsed in memory and a fake file system probe.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { FileKind, FileProbe } from '../../core/iis/rewrite.js';
import {
  appSettingsFor,
  cachedProbe,
  declaredApps,
  defaultDocumentsFor,
  hiddenSegmentsFor,
  mimeMapFor,
  resolveSiteRequest,
  siteApp,
  siteFromConfigs,
  type Site,
  type SiteRequest,
  type SiteResolution,
} from '../../core/iis/site.js';
import { parseWebConfig } from '../../core/iis/web-config.js';

const ROOT = '/site';

function site(files: Record<string, string>, mountPath = ''): Site {
  const configs = Object.entries(files).map(([folder, xml]) =>
    parseWebConfig(xml, { file: path.posix.join(ROOT, folder, 'web.config'), folder, env: {} }),
  );
  return siteFromConfigs(ROOT, configs, { mountPath, platform: 'linux' });
}

function probeOf(entries: string[], asked?: string[]): FileProbe {
  return (p): FileKind => {
    asked?.push(p);
    const rel = path.posix.relative(ROOT, p);
    if (entries.includes(rel)) return 'file';
    if (rel === '' || entries.some((e) => e.startsWith(`${rel}/`))) return 'directory';
    return 'none';
  };
}

const conf = (webServer: string, rest = '') => `<configuration><system.webServer>${webServer}</system.webServer>${rest}</configuration>`;
const handler = (p: string, name = p, verb = '*') => `<add name="${name}" path="${p}" verb="${verb}" modules="iisnode"/>`;

async function resolve(s: Site, target: string | SiteRequest, entries: string[]): Promise<SiteResolution> {
  return resolveSiteRequest(s, target, probeOf(entries));
}

function expectApp(r: SiteResolution, scriptRel: string): Extract<SiteResolution, { kind: 'app' }> {
  assert.equal(r.kind, 'app', JSON.stringify(r));
  if (r.kind !== 'app') throw new Error('unreachable');
  assert.equal(r.app.scriptRel, scriptRel);
  return r;
}

function expectStatic(r: SiteResolution, rel: string, type?: string): Extract<SiteResolution, { kind: 'static' }> {
  assert.equal(r.kind, 'static', JSON.stringify(r));
  if (r.kind !== 'static') throw new Error('unreachable');
  assert.equal(r.file, path.posix.join(ROOT, rel));
  if (type) assert.equal(r.contentType, type);
  return r;
}

describe('the helloworld sample: one script app, other .js files static', () => {
  const s = site({ '': conf(`<handlers>${handler('hello.js', 'iisnode')}</handlers>`) }, '/node/helloworld');
  const files = ['hello.js', 'helloClient.js', 'web.config', 'iisnode/PC-1-stdout-1.txt'];

  test('the script is an app keyed by its path; the app sees the URL as sent', async () => {
    const r = expectApp(await resolve(s, '/node/helloworld/hello.js?x=1', files), 'hello.js');
    assert.equal(r.script, '/site/hello.js');
    assert.equal(r.app.key, '/site/hello.js');
    assert.equal(r.originalUrl, '/node/helloworld/hello.js?x=1');
    assert.equal(r.pathInfo, '');
    assert.equal(r.app.folder, '/site');
    assert.equal(r.app.entry, 'hello.js');
  });

  test('/<script>/anything goes to the script, the rest is path info', async () => {
    const r = expectApp(await resolve(s, '/node/helloworld/hello.js/debug/?brk', files), 'hello.js');
    assert.equal(r.pathInfo, '/debug/');
    assert.equal(r.originalUrl, '/node/helloworld/hello.js/debug/?brk');
  });

  test('a client-sent X-Original-URL changes nothing: the app gets the URL that was requested', async () => {
    const r = expectApp(await resolve(s, { method: 'GET', target: '/node/helloworld/hello.js', headers: { 'x-original-url': '/node/helloworld/admin' } }, files), 'hello.js');
    assert.equal(r.originalUrl, '/node/helloworld/hello.js');
  });

  test('helloClient.js is a static file', async () => {
    expectStatic(await resolve(s, '/node/helloworld/helloClient.js', files), 'helloClient.js', 'text/javascript');
  });

  test('URL paths compare case-insensitively, as in IIS', async () => {
    expectApp(await resolve(s, '/NODE/HelloWorld/Hello.JS', ['Hello.JS']), 'Hello.JS');
  });

  test('the mount without its slash is redirected; other paths are not this site\'s', async () => {
    assert.deepEqual(await resolve(s, '/node/helloworld?a=1', files), { kind: 'redirect', status: 301, location: '/node/helloworld/?a=1' });
    assert.equal((await resolve(s, '/node/other/hello.js', files)).kind, 'not-found');
  });

  test('a folder with no default document is not found; the log folder URL is the log viewer\'s', async () => {
    assert.equal((await resolve(s, '/node/helloworld/', files)).kind, 'not-found');
    const logs = await resolve(s, '/node/helloworld/iisnode/PC-1-stdout-1.txt', files);
    assert.equal(logs.kind, 'logs');
    if (logs.kind === 'logs') {
      assert.equal(logs.urlPrefix, '/node/helloworld/iisnode');
      assert.equal(logs.logDir, '/site/iisnode');
    }
    assert.equal((await resolve(s, '/node/helloworld/IISNODE/', files)).kind, 'logs');
  });

  test('web.config is a hidden segment at any depth, before anything else', async () => {
    for (const p of ['/node/helloworld/web.config', '/node/helloworld/sub/Web.Config']) {
      const r = await resolve(s, p, files);
      assert.equal(r.kind, 'not-found', p);
    }
  });

  test('malformed or climbing URLs are bad requests', async () => {
    assert.equal((await resolve(s, '/node/helloworld/%zz', files)).kind, 'bad-request');
    assert.equal((await resolve(s, '/node/helloworld/%00.js', files)).kind, 'bad-request');
    assert.equal((await resolve(s, '/../../etc/passwd', files)).kind, 'bad-request');
    assert.equal((await resolve(s, '/node/helloworld/%2e%2e/%2e%2e/%2e%2e/etc/passwd', files)).kind, 'bad-request');
    assert.equal((await resolve(s, '/node/helloworld/../../etc/passwd', files)).kind, 'not-found', 'normalized, it is outside the mount');
    assert.equal((await resolve(s, 'http://x/hello.js', files)).kind, 'bad-request');
  });

  test('dot segments are resolved before routing; a backslash is a slash, as http.sys read it', async () => {
    expectApp(await resolve(s, '/node/helloworld/x/../hello.js', files), 'hello.js');
    expectApp(await resolve(s, '/node/helloworld/x%5C..%5Chello.js', files), 'hello.js');
    assert.equal((await resolve(s, '/node/helloworld/..%5C..%5C..%5Cetc/passwd', files)).kind, 'bad-request');
    assert.equal((await resolve(s, '/node/helloworld/helloClient.js/', files)).kind, 'not-found', 'a file is not a folder');
    assert.equal((await resolve(s, '/node/helloworld/../other/hello.js', files)).kind, 'not-found');
  });
});

describe('handlers: applications keyed by script', () => {
  const s = site({
    '': conf(
      `<handlers>${handler('api.js')}${handler('*.njs', 'njs')}${handler('submit.js', 'submit', 'POST, put')}${handler('server/main.js', 'main')}</handlers><iisnode nodeProcessCountPerApplication="3"/>`,
      `<location path="tools"><system.webServer><handlers>${handler('*.js', 'tools')}</handlers><iisnode logDirectory="logs" nodeProcessCountPerApplication="2"/></system.webServer></location>`,
    ),
  });
  const files = ['api.js', 'js/api.js', 'js/app.js', 'a.njs', 'deep/b.njs', 'submit.js', 'server/main.js', 'tools/a.js', 'tools/sub/b.js', 'tools/readme.txt', 'x.js/inner.txt'];

  test('a bare file name means that file in the declaring folder only (iisnode issue #189)', async () => {
    expectApp(await resolve(s, '/api.js', files), 'api.js');
    expectStatic(await resolve(s, '/js/api.js', files), 'js/api.js', 'text/javascript');
  });

  test('a wildcard in a <location> covers that folder and below; other files there are static', async () => {
    expectApp(await resolve(s, '/tools/a.js', files), 'tools/a.js');
    expectApp(await resolve(s, '/tools/sub/b.js/more', files), 'tools/sub/b.js');
    expectStatic(await resolve(s, '/tools/readme.txt', files), 'tools/readme.txt');
    expectStatic(await resolve(s, '/js/app.js', files), 'js/app.js');
  });

  test('a custom extension (*.njs) anywhere in the site', async () => {
    expectApp(await resolve(s, '/a.njs', files), 'a.njs');
    expectApp(await resolve(s, '/deep/b.njs?q', files), 'deep/b.njs');
  });

  test('a wildcard never starts a file in node_modules or a dot-folder as an app', async () => {
    const more = [...files, 'node_modules/lib/index.njs', '.cache/x.njs', 'tools/node_modules/m/index.js'];
    for (const p of ['/node_modules/lib/index.njs', '/.cache/x.njs', '/tools/node_modules/m/index.js']) {
      assert.equal((await resolve(s, p, more)).kind, 'not-found', p);
    }
  });

  test('a handler path with a slash names that file', async () => {
    expectApp(await resolve(s, '/server/main.js', files), 'server/main.js');
  });

  test('each script has its own settings, log folder and log URL', async () => {
    const api = siteApp(s, 'api.js');
    const tool = siteApp(s, 'tools/sub/b.js');
    assert.deepEqual(api.settings.values, { nodeProcessCountPerApplication: 3 });
    assert.deepEqual(tool.settings.values, { nodeProcessCountPerApplication: 2, logDirectory: 'logs' });
    assert.equal(tool.settings.sources.logDirectory?.kind, 'file');
    assert.equal(api.logDir, '/site/iisnode');
    assert.equal(tool.logDir, '/site/tools/sub/logs');
    assert.equal(tool.logUrlPrefix, '/tools/sub/logs');
    assert.equal(tool.folder, '/site/tools/sub');
    assert.notEqual(siteApp(s, 'tools/a.js').key, siteApp(s, 'tools/sub/b.js').key);
    assert.equal(siteApp(s, 'api.js'), api, 'memoized');
  });

  test('a method the handler does not accept is 405, never the script\'s source', async () => {
    const r = await resolve(s, { method: 'GET', target: '/submit.js', headers: {} }, files);
    assert.deepEqual(r, { kind: 'method-not-allowed', allow: ['POST', 'PUT'], reason: 'the iisnode handler for submit.js accepts POST, PUT only' });
    expectApp(await resolve(s, { method: 'post', target: '/submit.js', headers: {} }, files), 'submit.js');
  });

  test('a handler script that does not exist is not found; a folder with a script-like name is walked into', async () => {
    assert.deepEqual(await resolve(s, '/missing.njs', files), { kind: 'not-found', reason: 'the script missing.njs does not exist' });
    expectStatic(await resolve(s, '/x.js/inner.txt', files), 'x.js/inner.txt');
  });

  test('declaredApps lists the named scripts that exist, not wildcards', async () => {
    const apps = await declaredApps(s, probeOf(files));
    assert.deepEqual(apps.map((a) => a.scriptRel).sort(), ['api.js', 'server/main.js', 'submit.js']);
  });

  test('the declared log folders are protected from static serving', async () => {
    assert.deepEqual([...s.protectedDirs].sort(), ['/site/iisnode', '/site/server/iisnode', '/site/tools/logs']);
    const r = await resolve(s, '/tools/logs/notes.txt', [...files, 'tools/logs/notes.txt']);
    assert.equal(r.kind, 'logs');
  });
});

describe('default documents (iisnode test 102 and the defaultdocument sample)', () => {
  test('a folder URL reaches index.js, which web.config adds to the list', async () => {
    const s = site({ '': conf(`<handlers>${handler('index.js')}</handlers><defaultDocument enabled="true"><files><add value="index.js"/></files></defaultDocument>`) }, '/102_defaultdocument');
    const r = expectApp(await resolve(s, '/102_defaultdocument/', ['index.js', 'index.html']), 'index.js');
    assert.equal(r.originalUrl, '/102_defaultdocument/');
    assert.deepEqual(await resolve(s, '/102_defaultdocument', ['index.js']), { kind: 'redirect', status: 301, location: '/102_defaultdocument/' });
  });

  test('web.config\'s entries come before IIS\'s list; clear, remove and enabled="false" work', () => {
    const s = site({
      '': conf('<defaultDocument><files><add value="home.html"/><remove value="iisstart.htm"/></files></defaultDocument>'),
      cleared: conf('<defaultDocument><files><clear/><add value="main.js"/></files></defaultDocument>'),
      off: conf('<defaultDocument enabled="false"/>'),
    });
    assert.deepEqual(defaultDocumentsFor(s, ''), ['home.html', 'Default.htm', 'index.htm', 'index.html']);
    assert.deepEqual(defaultDocumentsFor(s, 'cleared'), ['main.js']);
    assert.deepEqual(defaultDocumentsFor(s, 'cleared/deeper'), ['main.js']);
    assert.deepEqual(defaultDocumentsFor(s, 'off'), []);
  });

  test('a static default document, found in list order; a folder URL without slash is redirected first', async () => {
    const s = site({ '': conf('') });
    expectStatic(await resolve(s, '/docs/', ['docs/index.html', 'docs/index.htm']), 'docs/index.htm', 'text/html');
    assert.deepEqual(await resolve(s, '/docs?v=2', ['docs/index.html']), { kind: 'redirect', status: 301, location: '/docs/?v=2' });
  });
});

describe('static files', () => {
  const s = site({ '': conf(`<handlers>${handler('app.js')}</handlers><staticContent><mimeMap fileExtension=".md" mimeType="text/markdown"/><remove fileExtension=".csv"/></staticContent>`) });
  const files = ['app.js', 'readme.md', 'data.csv', '.env', '.well-known/acme.txt', 'node_modules/x/index.js', 'package.json', 'config.yml', 'iisnode.yml', 'berth.yml', 'bin/tool.txt', 'App_Data/db.txt', 'noext'];

  test('the MIME map decides what is served, with web.config\'s changes', async () => {
    expectStatic(await resolve(s, '/readme.md', files), 'readme.md', 'text/markdown');
    for (const p of ['/data.csv', '/config.yml', '/noext']) assert.equal((await resolve(s, p, files)).kind, 'not-found', p);
    assert.equal(mimeMapFor(s, '').get('.md'), 'text/markdown');
  });

  test('never served: dot-files, node_modules, package.json, settings files; .well-known is fine', async () => {
    for (const p of ['/.env', '/node_modules/x/index.js', '/package.json', '/iisnode.yml', '/berth.yml', '/Package.JSON']) {
      assert.equal((await resolve(s, p, files)).kind, 'not-found', p);
    }
    expectStatic(await resolve(s, '/.well-known/acme.txt', files), '.well-known/acme.txt');
  });

  test('IIS\'s hidden segments by default, and web.config can remove one', async () => {
    assert.equal((await resolve(s, '/bin/tool.txt', files)).kind, 'not-found');
    assert.equal((await resolve(s, '/app_data/db.txt', files)).kind, 'not-found');
    const open = site({ '': conf('<security><requestFiltering><hiddenSegments><remove segment="bin"/><add segment="private"/></hiddenSegments></requestFiltering></security>') });
    expectStatic(await resolve(open, '/bin/tool.txt', files), 'bin/tool.txt');
    assert.equal((await resolve(open, '/private/a.txt', ['private/a.txt'])).kind, 'not-found');
    assert.ok(hiddenSegmentsFor(open, '').includes('private'));
    assert.ok(!hiddenSegmentsFor(open, '').includes('bin'));
  });

  test('the resolution carries the protection the static server re-checks', async () => {
    const r = expectStatic(await resolve(s, '/readme.md', files), 'readme.md');
    assert.ok(r.protection.hiddenSegments!.includes('bin'));
    assert.deepEqual(r.protection.protectedDirs, ['/site/iisnode']);
  });
});

describe('URL Rewrite inside a site', () => {
  test('iisnode test 103: every URL reaches hello.js with its original URL', async () => {
    const s = site({ '': conf(`<handlers>${handler('hello.js')}</handlers><rewrite><rules><rule name="hello"><match url="hello/*"/><action type="Rewrite" url="hello.js"/></rule></rules></rewrite>`) }, '/103_urlrewrite');
    for (const url of ['/103_urlrewrite/hello', '/103_urlrewrite/hello/', '/103_urlrewrite/hello.js', '/103_urlrewrite/hello?foo=bar', '/103_urlrewrite/hello/a/b/c', '/103_urlrewrite/hello/a/b/c/', '/103_urlrewrite/hello/a/b?foo=bar']) {
      const r = expectApp(await resolve(s, url, ['hello.js']), 'hello.js');
      assert.equal(r.originalUrl, url);
      assert.equal(r.rewritten, true, 'the rule applies to every one of them, hello.js included');
    }
  });

  test('the Azure template: static files from public/, the rest to server.js, the debugger URL untouched', async () => {
    const s = site({
      '': conf(`<handlers>${handler('server.js')}</handlers><rewrite><rules>
        <rule name="NodeInspector" patternSyntax="ECMAScript" stopProcessing="true"><match url="^server.js\\/debug[\\/]?"/></rule>
        <rule name="StaticContent"><action type="Rewrite" url="public{REQUEST_URI}"/></rule>
        <rule name="DynamicContent"><conditions><add input="{REQUEST_FILENAME}" matchType="IsFile" negate="True"/></conditions><action type="Rewrite" url="server.js"/></rule>
      </rules></rewrite><security><requestFiltering><hiddenSegments><remove segment="bin"/></hiddenSegments></requestFiltering></security>`),
    });
    const files = ['server.js', 'public/style.css', 'public/index.html', 'public/bin/tool.txt'];
    expectStatic(await resolve(s, '/style.css', files), 'public/style.css', 'text/css');
    expectStatic(await resolve(s, '/bin/tool.txt', files), 'public/bin/tool.txt');
    const page = expectApp(await resolve(s, '/users/7?tab=2', files), 'server.js');
    assert.deepEqual([page.originalUrl, page.rewritten, page.rules], ['/users/7?tab=2', true, ['StaticContent', 'DynamicContent']]);
    expectApp(await resolve(s, '/', files), 'server.js');
    const debug = expectApp(await resolve(s, '/server.js/debug/', files), 'server.js');
    assert.deepEqual([debug.pathInfo, debug.rewritten], ['/debug/', false]);
  });

  test('redirects, custom responses and aborts come back as they are', async () => {
    const s = site({
      '': conf(`<rewrite><rules>
        <rule name="old"><match url="^old$"/><action type="Redirect" url="new" redirectType="Temporary"/></rule>
        <rule name="gone"><match url="^gone"/><action type="CustomResponse" statusCode="410" statusReason="Gone" statusDescription="It left."/></rule>
        <rule name="drop"><match url="^drop"/><action type="AbortRequest"/></rule>
      </rules></rewrite>`),
    }, '/m');
    assert.deepEqual(await resolve(s, '/m/old?x=1', []), { kind: 'redirect', status: 307, location: '/m/new?x=1', rule: 'old' });
    assert.deepEqual(await resolve(s, '/m/gone', []), { kind: 'custom', status: 410, subStatus: 0, reason: 'Gone', description: 'It left.', rule: 'gone' });
    assert.deepEqual(await resolve(s, '/m/drop', []), { kind: 'abort', rule: 'drop' });
  });

  test('rules from a subfolder web.config run after the parent\'s, relative to the subfolder, for URLs requested there', async () => {
    const s = site({
      '': conf(`<rewrite><rules><rule name="root"><match url="^(.*)/latest$"/><action type="Rewrite" url="{R:1}/2024/latest"/></rule><rule name="legacy"><match url="^legacy/(.*)"/><action type="Rewrite" url="blog/{R:1}"/></rule></rules></rewrite>`),
      blog: conf(`<handlers>${handler('app.js')}</handlers><rewrite><rules><rule name="blog"><match url="^\\d{4}/"/><action type="Rewrite" url="app.js"/></rule></rules></rewrite>`),
    });
    const r = expectApp(await resolve(s, '/blog/latest', ['blog/app.js']), 'blog/app.js');
    assert.deepEqual(r.rules, ['root', 'blog']);
    // The rules in effect are those of the URL as requested: /legacy/... is not under blog/, so blog's rules do not run.
    const legacy = await resolve(s, '/legacy/2024/post', ['blog/app.js']);
    assert.deepEqual(legacy, { kind: 'not-found', reason: 'nothing at blog/2024/post' });
  });

  test('a hidden segment is refused before rewrite rules run', async () => {
    const s = site({ '': conf(`<handlers>${handler('app.js')}</handlers><rewrite><rules><rule name="all"><match url=".*"/><action type="Rewrite" url="app.js"/></rule></rules></rewrite>`) });
    assert.equal((await resolve(s, '/bin/x', ['app.js'])).kind, 'not-found');
    expectApp(await resolve(s, '/anything', ['app.js']), 'app.js');
  });

  test('a rewrite to another server is a configuration error', async () => {
    const s = site({ '': conf('<rewrite><rules><rule name="p"><match url="(.*)"/><action type="Rewrite" url="http://other/{R:1}"/></rule></rules></rewrite>') });
    assert.equal((await resolve(s, '/x', [])).kind, 'config-error');
  });
});

describe('configuration errors', () => {
  test('iisnode test 116: an unknown <iisnode> attribute fails the script, not the static files', async () => {
    const s = site({ '': conf(`<handlers>${handler('hello.js')}</handlers><iisnode idontexist="12"/>`) });
    const r = await resolve(s, '/hello.js', ['hello.js', 'style.css']);
    assert.equal(r.kind, 'config-error');
    if (r.kind === 'config-error') {
      assert.equal(r.issues.length, 1);
      assert.match(r.issues[0]!.message, /idontexist/);
      assert.equal(r.issues[0]!.file, '/site/web.config');
    }
    expectStatic(await resolve(s, '/style.css', ['hello.js', 'style.css']), 'style.css');
  });

  test('a malformed web.config fails every URL under its folder, and only there', async () => {
    const s = site({ '': conf(`<handlers>${handler('app.js')}</handlers>`), broken: '<configuration><system.webServer></configuration>' });
    const r = await resolve(s, '/broken/page.html', ['broken/page.html']);
    assert.equal(r.kind, 'config-error');
    if (r.kind === 'config-error') {
      assert.equal(r.issues[0]!.file, '/site/broken/web.config');
      assert.ok(r.issues[0]!.line! >= 1 && r.issues[0]!.column! >= 1);
    }
    expectApp(await resolve(s, '/app.js', ['app.js']), 'app.js');
    const root = site({ '': '<configuration>' });
    assert.equal((await resolve(root, '/anything', [])).kind, 'config-error');
  });

  test('a structural error in a <location> concerns that location only', async () => {
    const s = site({ '': conf('', `<location path="api"><system.webServer><handlers><add name="x" modules="iisnode"/></handlers></system.webServer></location>`) });
    assert.equal((await resolve(s, '/api/a.txt', ['api/a.txt'])).kind, 'config-error');
    expectStatic(await resolve(s, '/a.txt', ['a.txt']), 'a.txt');
  });

  test('a rewrite error found after rewriting counts for the new URL too', async () => {
    const s = site({
      '': conf('<rewrite><rules><rule name="to-api"><match url="^x$"/><action type="Rewrite" url="api/x.txt"/></rule></rules></rewrite>'),
      api: '<configuration><oops></configuration>',
    });
    assert.equal((await resolve(s, '/x', ['api/x.txt'])).kind, 'config-error');
  });
});

describe('nested web.config files and <location>: inheritance', () => {
  const s = site({
    '': conf(`<handlers>${handler('server.js', 'root')}</handlers><iisnode nodeProcessCountPerApplication="3" loggingEnabled="true"/>`, `<appSettings><add key="SHARED" value="root"/><add key="ONLY_ROOT" value="1"/></appSettings><location path="legacy"><system.webServer><iisnode debugHeaderEnabled="true"/></system.webServer></location>`),
    legacy: conf(`<handlers><remove name="root"/>${handler('server.js', 'legacy')}</handlers><iisnode loggingEnabled="false" debugHeaderEnabled="false"/>`, `<appSettings><add key="SHARED" value="legacy"/><remove key="only_root"/><add key="Mixed" value="Case"/></appSettings>`),
  });

  test('settings: a subfolder\'s web.config wins over the parent\'s <location> for it, which wins over the parent', () => {
    assert.deepEqual(siteApp(s, 'legacy/server.js').settings.values, { nodeProcessCountPerApplication: 3, loggingEnabled: false, debugHeaderEnabled: false });
    assert.deepEqual(siteApp(s, 'server.js').settings.values, { nodeProcessCountPerApplication: 3, loggingEnabled: true });
  });

  test('appSettings: overridden, removed case-insensitively, keys kept as written, in order', () => {
    assert.deepEqual(appSettingsFor(s, 'legacy/server.js'), { SHARED: 'legacy', Mixed: 'Case' });
    assert.deepEqual(appSettingsFor(s, 'server.js'), { SHARED: 'root', ONLY_ROOT: '1' });
  });

  test('handlers: each server.js is declared in its own folder', async () => {
    expectApp(await resolve(s, '/legacy/server.js', ['legacy/server.js', 'server.js']), 'legacy/server.js');
    expectApp(await resolve(s, '/server.js', ['legacy/server.js', 'server.js']), 'server.js');
  });
});

describe('iisnode test 108: appSettings become the environment', () => {
  test('setting1 and setting2 set, the empty key skipped, setting3 empty', () => {
    const s = site({ '': `<configuration><appSettings><add key="setting1" value="value1"/><add key="setting2" value="value2"/><add key="" value="emptyKey"/><add key="setting3" value=""/></appSettings><system.webServer><handlers>${handler('hello.js')}</handlers></system.webServer></configuration>` });
    const env = siteApp(s, 'hello.js').env;
    assert.deepEqual(env, { setting1: 'value1', setting2: 'value2', setting3: '' });
    assert.equal(`${env.setting1}${env.setting2}${env.setting3}`, 'value1value2');
  });
});

describe('cachedProbe', () => {
  test('answers from memory until the entry is older than the TTL', async () => {
    let now = 1000;
    let calls = 0;
    const probe = cachedProbe(() => {
      calls++;
      return 'file';
    }, 500, 10, () => now);
    assert.equal(await probe('/a'), 'file');
    assert.equal(await probe('/a'), 'file');
    assert.equal(calls, 1);
    now += 600;
    await probe('/a');
    assert.equal(calls, 2);
    await probe('/b');
    assert.equal(calls, 3);
  });
});
