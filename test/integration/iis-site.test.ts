/**
 * Sites read from real folders: the fixtures, nested web.config discovery, file encodings, and web.config as a
 * configuration source under the real loader (precedence berth.yml/iisnode.yml > environment > web.config > defaults).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../core/config/load.js';
import { overlayWebConfig } from '../../core/iis/iisnode-settings.js';
import { declaredApps, isIisSite, loadSite, resolveSiteRequest, siteApp, type Site, type SiteResolution } from '../../core/iis/site.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';

function kindOf(r: SiteResolution): string {
  if (r.kind === 'app') return `app ${r.app.scriptRel}`;
  if (r.kind === 'static') return `static ${path.relative(FIXTURES, r.file).split(path.sep).slice(1).join('/')}`;
  return r.kind;
}

describe('the multiapp fixture: several apps keyed by script in one site', () => {
  let site: Site;
  before(async () => {
    site = await loadSite(path.join(FIXTURES, 'iis-multiapp'));
  });

  test('finds legacy/web.config and warns once about what it does not support', () => {
    assert.deepEqual(site.configs.map((c) => c.folder), ['', 'legacy']);
    assert.equal(site.warnings.length, 1);
    assert.match(site.warnings[0]!.message, /<system\.webServer\/httpCompression> at line \d+; <system\.web> at line \d+/);
  });

  test('each URL goes where IIS with iisnode would have sent it', async () => {
    const expected: Record<string, string> = {
      '/': 'static home.html',
      '/index.html': 'static index.html',
      '/api.js': 'app api.js',
      '/api.js/users/7': 'app api.js',
      '/js/app.js': 'static js/app.js',
      '/js/api.js': 'static js/api.js',
      '/tools/a.js': 'app tools/a.js',
      '/tools/b.js/run': 'app tools/b.js',
      '/tools/readme.txt': 'static tools/readme.txt',
      '/tools/logs/PC-1-stdout-1700000000000.txt': 'logs',
      '/iisnode/PC-2-stdout-1700000000000.txt': 'logs',
      '/hello.njs': 'app hello.njs',
      '/notes.md': 'static notes.md',
      '/settings.yml': 'not-found',
      '/web.config': 'not-found',
      '/legacy/web.config': 'not-found',
      '/legacy/': 'app legacy/server.js',
      '/legacy': 'redirect',
      '/legacy/server.js': 'app legacy/server.js',
      '/submit.js': 'method-not-allowed',
    };
    for (const [url, kind] of Object.entries(expected)) assert.equal(kindOf(await resolveSiteRequest(site, url)), kind, url);
    assert.equal(kindOf(await resolveSiteRequest(site, { method: 'POST', target: '/submit.js', headers: {} })), 'app submit.js');
  });

  test('apps carry their own settings, environment and log folder', () => {
    const root = path.join(FIXTURES, 'iis-multiapp');
    const tool = siteApp(site, 'tools/a.js');
    assert.deepEqual(tool.settings.values, { nodeProcessCountPerApplication: 2, logDirectory: 'logs' });
    assert.deepEqual(tool.env, { SHARED: 'root', ROOT_ONLY: 'yes', TOOL: 'yes' });
    assert.equal(tool.logDir, path.join(root, 'tools', 'logs'));
    const legacy = siteApp(site, 'legacy/server.js');
    assert.deepEqual(legacy.settings.values, { nodeProcessCountPerApplication: 3, loggingEnabled: false });
    assert.deepEqual(legacy.env, { SHARED: 'legacy' });
    assert.equal(legacy.folder, path.join(root, 'legacy'));
    assert.equal(legacy.settings.sources.loggingEnabled?.kind === 'file' && path.basename(path.dirname(legacy.settings.sources.loggingEnabled.file)), 'legacy');
  });

  test('declaredApps: the scripts web.config names and that exist', async () => {
    assert.deepEqual((await declaredApps(site)).map((a) => a.scriptRel).sort(), ['api.js', 'legacy/server.js', 'submit.js']);
  });
});

describe('the azure fixture: Azure App Service\'s iisnode template', () => {
  test('static files from public/, everything else to server.js, secrets never static', async () => {
    const site = await loadSite(path.join(FIXTURES, 'iis-azure'));
    assert.deepEqual(site.warnings, []);
    const expected: Record<string, string> = {
      '/style.css': 'static public/style.css',
      '/js/app.js': 'static public/js/app.js',
      '/bin/tool.txt': 'static public/bin/tool.txt',
      '/': 'app server.js',
      '/api/orders?page=2': 'app server.js',
      '/.env': 'app server.js',
      '/server.js/debug': 'app server.js',
      '/web.config': 'not-found',
      '/iisnode/': 'logs',
    };
    for (const [url, kind] of Object.entries(expected)) assert.equal(kindOf(await resolveSiteRequest(site, url)), kind, url);
    const app = siteApp(site, 'server.js');
    assert.equal(app.webSocketEnabled, false);
    assert.deepEqual(app.settings.values, { watchedFiles: 'web.config;*.js' });
  });
});

describe('reading sites from disk', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('berth-iis-site-'));
  });
  after(() => cleanup());

  test('isIisSite: a folder with a web.config', async () => {
    assert.equal(await isIisSite(path.join(FIXTURES, 'iis-helloworld')), true);
    assert.equal(await isIisSite(path.join(FIXTURES, 'helloworld')), false);
  });

  test('nested web.config files are found; node_modules, dot-folders and links are not searched', async () => {
    const root = path.join(dir, 'nested');
    const cfg = '<configuration><appSettings><add key="K" value="v"/></appSettings></configuration>';
    for (const sub of ['a/b', 'node_modules/x', '.hidden', 'outside/c']) await mkdir(path.join(root, sub), { recursive: true });
    await writeFile(path.join(root, 'web.config'), cfg);
    await writeFile(path.join(root, 'a', 'b', 'web.config'), cfg);
    await writeFile(path.join(root, 'node_modules', 'x', 'web.config'), cfg);
    await writeFile(path.join(root, '.hidden', 'web.config'), cfg);
    await writeFile(path.join(root, 'outside', 'c', 'web.config'), cfg);
    await symlink(path.join(root, 'outside'), path.join(root, 'linked'));
    const site = await loadSite(root);
    assert.deepEqual(site.configs.map((c) => c.folder).sort(), ['', 'a/b', 'outside/c']);
  });

  test('the search stops at maxFolders with a warning', async () => {
    const root = path.join(dir, 'many');
    for (let i = 0; i < 6; i++) await mkdir(path.join(root, `d${i}`), { recursive: true });
    await writeFile(path.join(root, 'web.config'), '<configuration/>');
    const site = await loadSite(root, { maxFolders: 3 });
    assert.match(site.warnings[0]!.message, /more than 3 folders/);
  });

  test('a UTF-16 web.config with a byte order mark is read', async () => {
    const root = path.join(dir, 'utf16');
    await mkdir(root, { recursive: true });
    const text = '<?xml version="1.0" encoding="utf-16"?>\r\n<configuration><appSettings><add key="greeting" value="héllo"/></appSettings><system.webServer><handlers><add name="i" path="app.js" verb="*" modules="iisnode"/></handlers></system.webServer></configuration>';
    await writeFile(path.join(root, 'web.config'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const site = await loadSite(root);
    assert.equal(site.configs[0]!.fatal, undefined);
    assert.deepEqual(siteApp(site, 'app.js').env, { greeting: 'héllo' });
  });

  test('a malformed web.config is reported with the parser\'s line and column', async () => {
    const root = path.join(dir, 'malformed');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'web.config'), '<configuration>\n  <system.webServer>\n    <handlers>\n      <add name="iisnode" path="hello.js" verb="*" modules="iisnode">\n    </handlers>\n  </system.webServer>\n</configuration>\n');
    const site = await loadSite(root);
    const r = await resolveSiteRequest(site, '/hello.js');
    assert.equal(r.kind, 'config-error');
    if (r.kind === 'config-error') {
      assert.equal(r.issues[0]!.file, path.join(root, 'web.config'));
      assert.deepEqual([r.issues[0]!.line, r.issues[0]!.column], [5, 5]);
      assert.match(r.issues[0]!.message, /closing tag 'add'/);
    }
  });

  test('a mount path that is not one is refused', async () => {
    await assert.rejects(loadSite(path.join(FIXTURES, 'iis-helloworld'), { mountPath: 'node/../x' }), /is not a mount path/);
  });
});

describe('web.config as a configuration source under the real loader', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('berth-iis-config-'));
  });
  after(() => cleanup());

  test('precedence: iisnode.yml > environment > web.config > defaults (iisnode test 124 with web.config)', async () => {
    const folder = path.join(dir, 'precedence');
    await mkdir(folder, { recursive: true });
    await writeFile(
      path.join(folder, 'web.config'),
      '<configuration><system.webServer><handlers><add name="i" path="hello.js" verb="*" modules="iisnode"/></handlers>' +
        '<iisnode nodeProcessCountPerApplication="2" maxLogFiles="7" debugHeaderEnabled="true" enableXFF="true"/></system.webServer></configuration>',
    );
    await writeFile(path.join(folder, 'iisnode.yml'), 'nodeProcessCountPerApplication: 4\n');
    const site = await loadSite(folder, { env: {} });
    const app = siteApp(site, 'hello.js');
    const env = { IISNODE_MAXLOGFILES: '9' };
    const loaded = overlayWebConfig(await loadConfig(app.folder, { env }), app.settings);
    assert.equal(loaded.settings.nodeProcessCountPerApplication, 4, 'iisnode.yml wins');
    assert.equal(loaded.sources.nodeProcessCountPerApplication.kind, 'file');
    assert.equal(loaded.settings.maxLogFiles, 9, 'the environment wins over web.config');
    assert.deepEqual(loaded.sources.maxLogFiles, { kind: 'env', name: 'IISNODE_MAXLOGFILES' });
    assert.equal(loaded.settings.debugHeaderEnabled, true, 'web.config wins over the default');
    assert.deepEqual(loaded.sources.debugHeaderEnabled, { kind: 'file', file: path.join(folder, 'web.config'), line: 1 });
    assert.equal(loaded.settings.enableXFF, true);
    assert.equal(loaded.settings.loggingEnabled, true, 'untouched settings keep their defaults');
    assert.equal(loaded.sources.loggingEnabled.kind, 'default');
  });

  test('the configuration fixture: its annotated iisnode.yml loads without a warning on top of its web.config', async () => {
    const folder = await cp(path.join(FIXTURES, 'iis-configuration'), path.join(dir, 'configuration'), { recursive: true }).then(() => path.join(dir, 'configuration'));
    const site = await loadSite(folder, { env: {} });
    const app = siteApp(site, 'hello.js');
    assert.deepEqual(app.settings.errors, []);
    const loaded = await loadConfig(app.folder, { env: {} });
    assert.deepEqual(loaded.warnings, []);
    const merged = overlayWebConfig(loaded, app.settings);
    assert.equal(merged.settings.nodeProcessCountPerApplication, 1);
    assert.equal(merged.settings.debuggerPortRange, '5058-6058');
    assert.equal(merged.settings.nodeProcessCommandLine, 'node.exe', 'only web.config sets it here');
    assert.equal(merged.sources.nodeProcessCommandLine.kind, 'file');
    assert.equal(merged.settings.node_env, '');
    assert.equal(merged.settings.watchedFiles, '*.js;iisnode.yml');
  });
});
