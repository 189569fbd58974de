import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  applyRewriteRules,
  compilePattern,
  effectiveRules,
  expand,
  readRewriteSection,
  safeLocation,
  serverVariable,
  type FileKind,
  type RewriteContext,
  type RewriteOutcome,
  type RewriteRequest,
  type RewriteRule,
  type RewriteSection,
} from '../../core/iis/rewrite.js';
import { parseXml } from '../../core/iis/xml.js';

const ROOT = '/site';

function section(rulesXml: string, scope = '', extra = ''): RewriteSection {
  const xml = parseXml(`<rewrite><rules>${rulesXml}</rules>${extra}</rewrite>`);
  assert.ok(xml.ok, JSON.stringify(xml));
  if (!xml.ok) throw new Error('unreachable');
  return readRewriteSection(xml.root, '/site/web.config', scope);
}

function rules(rulesXml: string, scope = '', extra = ''): { rules: RewriteRule[]; maps: RewriteContext['maps'] } {
  const s = section(rulesXml, scope, extra);
  assert.deepEqual(s.errors, [], 'rules should read without errors');
  return { rules: effectiveRules(s.rules), maps: new Map(s.maps.map((m) => [m.name.toLowerCase(), m])) };
}

/** A probe over a fake tree: paths relative to ROOT ending in / are folders. */
function fakeProbe(entries: string[], asked: string[] = []): (p: string) => FileKind {
  return (p) => {
    asked.push(p);
    const rel = path.posix.relative(ROOT, p);
    if (entries.includes(rel)) return 'file';
    if (rel === '' || entries.includes(`${rel}/`) || entries.some((e) => e.startsWith(`${rel}/`))) return 'directory';
    return 'none';
  };
}

function context(overrides: Omit<Partial<RewriteContext>, 'request'> & { request?: Partial<RewriteRequest> } = {}): RewriteContext {
  const { request, ...rest } = overrides;
  return {
    request: { method: 'GET', target: '/', headers: { host: 'example.localhost:8080' }, ...request },
    mountPath: '',
    siteRoot: ROOT,
    platform: 'linux',
    probe: fakeProbe([]),
    maps: new Map(),
    ...rest,
  };
}

async function run(r: { rules: RewriteRule[]; maps: RewriteContext['maps'] }, rel: string, query?: string, ctx: Omit<Partial<RewriteContext>, 'request'> & { request?: Partial<RewriteRequest> } = {}): Promise<RewriteOutcome> {
  return applyRewriteRules(r.rules, { rel, query }, context({ maps: r.maps, ...ctx }));
}

function continued(outcome: RewriteOutcome): { rel: string; query: string | undefined; rewritten: boolean; applied: string[] } {
  assert.equal(outcome.kind, 'continue', JSON.stringify(outcome));
  if (outcome.kind !== 'continue') throw new Error('unreachable');
  return outcome;
}

describe('patterns', () => {
  test('ECMAScript searches (not anchored) and ignores case by default', () => {
    const m = compilePattern('hello/*', 'ECMAScript', true);
    for (const input of ['hello', 'hello/', 'hello.js', 'HELLO/a/b', 'say-hello']) assert.ok(m.exec(input), input);
    assert.equal(m.exec('hell'), null);
    assert.deepEqual(compilePattern('^api/(\\w+)/(\\d+)?$', 'ECMAScript', false).exec('api/users/'), ['api/users/', 'users', '']);
    assert.equal(compilePattern('^API', 'ECMAScript', false).exec('api'), null);
  });

  test('Wildcard is anchored, * captures, nothing else is special', () => {
    const m = compilePattern('images/*.png', 'Wildcard', true);
    assert.deepEqual(m.exec('Images/a/b.PNG'), ['Images/a/b.PNG', 'a/b']);
    assert.equal(m.exec('images/a.pngx'), null);
    assert.deepEqual(compilePattern('a.b+c(1)', 'Wildcard', false).exec('a.b+c(1)'), ['a.b+c(1)']);
    assert.equal(compilePattern('a.b', 'Wildcard', false).exec('axb'), null);
  });

  test('ExactMatch compares whole strings', () => {
    assert.deepEqual(compilePattern('Default.htm', 'ExactMatch', true).exec('default.HTM'), ['default.HTM']);
    assert.equal(compilePattern('Default.htm', 'ExactMatch', false).exec('default.htm'), null);
  });
});

describe('reading <rewrite>', () => {
  test('defaults: enabled, no stopProcessing, ECMAScript, ignoreCase, MatchAll, action None, appendQueryString', () => {
    const [rule] = rules('<rule name="r"><match url="x"/><action type="Rewrite" url="y"/></rule>').rules;
    assert.equal(rule!.enabled, true);
    assert.equal(rule!.stopProcessing, false);
    assert.equal(rule!.match.syntax, 'ECMAScript');
    assert.equal(rule!.match.ignoreCase, true);
    assert.equal(rule!.logicalGrouping, 'MatchAll');
    assert.deepEqual(rule!.action, { type: 'Rewrite', url: 'y', appendQueryString: true });
    assert.deepEqual(rules('<rule name="n"><match url="x"/></rule>').rules[0]!.action, { type: 'None' });
    assert.deepEqual(rules('<rule name="n"><match url="x"/><action type="Redirect" url="/y"/></rule>').rules[0]!.action, { type: 'Redirect', url: '/y', appendQueryString: true, redirectType: 'Permanent' });
  });

  test('errors carry the line and column of what is wrong; broken rules are left out', () => {
    const s = section(`<rule name="bad-regex">
      <match url="([a-z]" />
    </rule><rule name="bad-action"><match url="x"/><action type="Proxy"/></rule><rule><match url="x"/></rule><rule name="dup"><match url="a"/></rule><rule name="DUP"><match url="b"/></rule>
    <rule name="bad-cond"><match url="x"/><conditions logicalGrouping="MatchSome"><add input="{HTTP_HOST}" pattern="(" /><add pattern="x"/></conditions></rule>
    <rule name="bad-custom"><match url="x"/><action type="CustomResponse" statusCode="abc"/></rule><rule name="bool" stopProcessing="yes"><match url="x"/></rule>`);
    const messages = s.errors.map((e) => `${e.line}:${e.column} ${e.message}`);
    assert.match(messages[0]!, /^2:14 Rule "bad-regex": <match url> "\(\[a-z\]" is not a valid ECMAScript pattern/);
    assert.ok(messages.some((m) => /<action type="Proxy"> is not one of Rewrite, Redirect, CustomResponse, AbortRequest, None/.test(m)));
    assert.ok(messages.some((m) => /<rule> has no name/.test(m)));
    assert.ok(messages.some((m) => /Two rules are named "DUP"/.test(m)));
    assert.ok(messages.some((m) => /logicalGrouping="MatchSome"/.test(m)));
    assert.ok(messages.some((m) => /condition pattern "\(" is not a valid/.test(m)));
    assert.ok(messages.some((m) => /a condition has no input/.test(m)));
    assert.ok(messages.some((m) => /CustomResponse needs a statusCode from 200 to 999, not "abc"/.test(m)));
    assert.ok(messages.some((m) => /stopProcessing="yes"> is not true or false/.test(m)));
    assert.deepEqual(effectiveRules(s.rules).map((r) => r.name), ['dup']);
  });

  test('unsupported parts are reported, not failed', () => {
    const s = section('<rule name="arr"><match url="(.*)"/><serverVariables><set name="X" value="1"/></serverVariables><action type="Rewrite" url="http://backend:3000/{R:1}"/></rule>', '', '<outboundRules/><providers/>');
    assert.deepEqual(s.errors, []);
    assert.deepEqual(s.unsupported.map((u) => u.element), ['rule/serverVariables', 'rule/action', 'rewrite/outboundRules', 'rewrite/providers']);
    assert.match(s.unsupported[1]!.detail!, /ARR/);
  });

  test('effectiveRules: clear drops what came before, remove drops by name', () => {
    const parent = section('<rule name="a"><match url="a"/></rule><rule name="b"><match url="b"/></rule>');
    const child = section('<remove name="A"/><rule name="c"><match url="c"/></rule>', 'sub');
    assert.deepEqual(effectiveRules([...parent.rules, ...child.rules]).map((r) => r.name), ['b', 'c']);
    const cleared = section('<clear/><rule name="d"><match url="d"/></rule>', 'sub');
    assert.deepEqual(effectiveRules([...parent.rules, ...cleared.rules]).map((r) => r.name), ['d']);
  });
});

describe('applyRewriteRules: iisnode test 103 and the samples', () => {
  const hello = rules('<rule name="hello"><match url="hello/*" /><action type="Rewrite" url="hello.js" /></rule>');

  test('every URL of test 103 is rewritten to hello.js, the query kept', async () => {
    for (const [rel, query] of [
      ['hello', undefined],
      ['hello/', undefined],
      ['hello.js', undefined],
      ['hello', 'foo=bar'],
      ['hello/a/b/c', undefined],
      ['hello/a/b/c/', undefined],
      ['hello/a/b', 'foo=bar'],
    ] as const) {
      const out = continued(await run(hello, rel, query));
      assert.equal(out.rel, 'hello.js', rel);
      assert.equal(out.query, query);
      assert.equal(out.rewritten, true);
      assert.deepEqual(out.applied, ['hello']);
    }
  });

  test('a URL the rule does not match is left alone', async () => {
    const out = continued(await run(hello, 'other/page'));
    assert.deepEqual([out.rel, out.rewritten, out.applied], ['other/page', false, []]);
  });

  test('the urlrewrite sample: myapp/* below a mount, relative to the web.config folder', async () => {
    const myapp = rules('<rule name="myapp"><match url="myapp/*" /><action type="Rewrite" url="hello.js" /></rule>');
    const out = continued(await run(myapp, 'myapp/1/2/3', 'param=4', { mountPath: '/node/urlrewrite' }));
    assert.deepEqual([out.rel, out.query], ['hello.js', 'param=4']);
  });
});

describe('applyRewriteRules: rules, conditions and actions', () => {
  test('a Rewrite without stopProcessing hands its result to the next rules; with it, processing stops', async () => {
    const chain = rules(`<rule name="one"><match url="^old/(.*)" /><action type="Rewrite" url="new/{R:1}" /></rule>
      <rule name="two"><match url="^new/(.*)" /><action type="Rewrite" url="app.js?page={R:1}" appendQueryString="false" /></rule>`);
    const out = continued(await run(chain, 'old/a/b', 'x=1'));
    assert.deepEqual([out.rel, out.query, out.applied], ['app.js', 'page=a/b', ['one', 'two']]);
    const stopping = rules(`<rule name="one" stopProcessing="true"><match url="^old/(.*)" /><action type="Rewrite" url="new/{R:1}" /></rule>
      <rule name="two"><match url="^new/(.*)" /><action type="Rewrite" url="app.js" /></rule>`);
    assert.equal(continued(await run(stopping, 'old/a')).rel, 'new/a');
  });

  test('None with stopProcessing ends processing without a change (the Azure template\'s debugger rule)', async () => {
    const r = rules(`<rule name="NodeInspector" stopProcessing="true"><match url="^server.js\\/debug[\\/]?" /></rule>
      <rule name="all"><match url=".*" /><action type="Rewrite" url="server.js" /></rule>`);
    const out = continued(await run(r, 'server.js/debug/'));
    assert.deepEqual([out.rel, out.rewritten, out.applied], ['server.js/debug/', false, ['NodeInspector']]);
    assert.equal(continued(await run(r, 'page')).rel, 'server.js');
  });

  test('disabled rules are passed over', async () => {
    const r = rules('<rule name="off" enabled="false"><match url=".*"/><action type="AbortRequest"/></rule>');
    assert.equal(continued(await run(r, 'x')).rel, 'x');
  });

  test('negate: the rule applies when the pattern does not match, with no back-references', async () => {
    const r = rules('<rule name="not-api"><match url="^api/(.*)" negate="true"/><action type="Rewrite" url="spa.html{R:1}"/></rule>');
    assert.equal(continued(await run(r, 'dashboard')).rel, 'spa.html');
    assert.equal(continued(await run(r, 'api/users')).rel, 'api/users');
  });

  test('ignoreCase="false" makes the match case-sensitive', async () => {
    const r = rules('<rule name="cs"><match url="^Admin" ignoreCase="false"/><action type="CustomResponse" statusCode="403"/></rule>');
    assert.equal((await run(r, 'Admin/x')).kind, 'custom');
    assert.equal((await run(r, 'admin/x')).kind, 'continue');
  });

  test('IsFile / IsDirectory conditions with negate go through the probe (the Azure template)', async () => {
    const azure = rules(`<rule name="StaticContent"><action type="Rewrite" url="public{REQUEST_URI}"/></rule>
      <rule name="DynamicContent"><conditions><add input="{REQUEST_FILENAME}" matchType="IsFile" negate="True"/></conditions><action type="Rewrite" url="server.js"/></rule>`);
    const asked: string[] = [];
    const probe = fakeProbe(['public/style.css', 'public/js/app.js', 'server.js'], asked);
    const css = continued(await run(azure, 'style.css', undefined, { probe, request: { target: '/style.css' } }));
    assert.equal(css.rel, 'public/style.css');
    assert.deepEqual(asked, ['/site/public/style.css']);
    const page = continued(await run(azure, 'users/7', 'tab=1', { probe, request: { target: '/users/7?tab=1' } }));
    assert.deepEqual([page.rel, page.applied], ['server.js', ['StaticContent', 'DynamicContent']]);
    const dir = rules('<rule name="d"><conditions><add input="{REQUEST_FILENAME}" matchType="IsDirectory"/></conditions><action type="CustomResponse" statusCode="403"/></rule>');
    assert.equal((await run(dir, 'public/js', undefined, { probe })).kind, 'custom');
    assert.equal((await run(dir, 'public/style.css', undefined, { probe })).kind, 'continue');
  });

  test('IsFile never looks outside the site folder', async () => {
    const asked: string[] = [];
    const r = rules('<rule name="x"><conditions><add input="{HTTP_X_FILE}" matchType="IsFile"/></conditions><action type="AbortRequest"/></rule>');
    const probe = (p: string): FileKind => {
      asked.push(p);
      return 'file';
    };
    assert.equal((await run(r, 'a', undefined, { probe, request: { headers: { 'x-file': '/etc/passwd' } } })).kind, 'continue');
    assert.equal((await run(r, 'a', undefined, { probe, request: { headers: { 'x-file': '../../etc/passwd' } } })).kind, 'continue');
    assert.deepEqual(asked, []);
    assert.equal((await run(r, 'a', undefined, { probe, request: { headers: { 'x-file': 'inside.txt' } } })).kind, 'abort');
    assert.deepEqual(asked, ['/site/inside.txt']);
  });

  test('a probe that throws counts as "no such file"', async () => {
    const r = rules('<rule name="x"><conditions><add input="{REQUEST_FILENAME}" matchType="IsFile"/></conditions><action type="AbortRequest"/></rule>');
    const probe = (): FileKind => {
      throw new Error('EACCES');
    };
    assert.equal((await run(r, 'a.txt', undefined, { probe })).kind, 'continue');
  });

  test('MatchAll needs every condition, MatchAny one; {C:n} comes from the condition that matched', async () => {
    const all = rules(`<rule name="all"><match url="(.*)"/><conditions>
      <add input="{HTTPS}" pattern="off"/><add input="{HTTP_HOST}" pattern="^(www)\\.(.+)$"/></conditions>
      <action type="Redirect" url="https://{C:2}/{R:1}" redirectType="Found"/></rule>`);
    const redirect = await run(all, 'a/b', 'q=1', { request: { headers: { host: 'www.example.com' } } });
    assert.deepEqual(redirect, { kind: 'redirect', status: 302, location: 'https://example.com/a/b?q=1', rule: 'all' });
    assert.equal((await run(all, 'a', undefined, { request: { headers: { host: 'www.example.com' }, https: true } })).kind, 'continue');
    // Without trackAllCaptures, {C:n} are the last matching condition's captures, as in IIS.
    const lastWins = rules(`<rule name="last"><match url="(.*)"/><conditions>
      <add input="{HTTP_HOST}" pattern="^(www)\\.(.+)$"/><add input="{HTTPS}" pattern="(off)"/></conditions>
      <action type="Rewrite" url="{C:1}-{C:2}.js"/></rule>`);
    assert.equal(continued(await run(lastWins, 'a', undefined, { request: { headers: { host: 'www.example.com' } } })).rel, 'off-.js');
    const any = rules(`<rule name="any"><conditions logicalGrouping="MatchAny">
      <add input="{QUERY_STRING}" pattern="^id=(\\d+)$"/><add input="{HTTP_X_ID}" pattern="^(\\d+)$"/></conditions>
      <action type="Rewrite" url="item.js?item={C:1}" appendQueryString="false"/></rule>`);
    assert.equal(continued(await run(any, 'x', 'id=42')).query, 'item=42');
    assert.equal(continued(await run(any, 'x', undefined, { request: { headers: { 'x-id': '7' } } })).query, 'item=7');
    assert.equal(continued(await run(any, 'x', 'id=abc')).rewritten, false);
  });

  test('trackAllCaptures keeps the captures of every condition, in order', async () => {
    const r = rules(`<rule name="t"><conditions trackAllCaptures="true">
      <add input="{HTTP_A}" pattern="(a)(1)"/><add input="{HTTP_B}" pattern="(b)"/></conditions>
      <action type="Rewrite" url="{C:0}-{C:1}-{C:2}-{C:3}-{C:4}.js"/></rule>`);
    assert.equal(continued(await run(r, 'x', undefined, { request: { headers: { a: 'a1', b: 'b' } } })).rel, 'a1-a-1-b-b.js');
  });

  test('a negated condition holds when its pattern does not match', async () => {
    const r = rules('<rule name="n"><conditions><add input="{HTTP_HOST}" pattern="^localhost" negate="true"/></conditions><action type="CustomResponse" statusCode="403" statusReason="Forbidden" statusDescription="local only"/></rule>');
    assert.deepEqual(await run(r, 'x', undefined, { request: { headers: { host: 'shop.example' } } }), { kind: 'custom', status: 403, subStatus: 0, reason: 'Forbidden', description: 'local only', rule: 'n' });
    assert.equal((await run(r, 'x', undefined, { request: { headers: { host: 'localhost:8080' } } })).kind, 'continue');
  });

  test('Redirect: every redirectType, 301 by default, appendQueryString both ways', async () => {
    for (const [type, status] of [
      ['', 301],
      ['Permanent', 301],
      ['Found', 302],
      ['SeeOther', 303],
      ['Temporary', 307],
    ] as const) {
      const r = rules(`<rule name="r"><match url="^old$"/><action type="Redirect" url="/new" ${type ? `redirectType="${type}"` : ''}/></rule>`);
      const out = await run(r, 'old', 'a=1');
      assert.deepEqual(out, { kind: 'redirect', status, location: '/new?a=1', rule: 'r' });
    }
    const noQuery = rules('<rule name="r"><match url="^old$"/><action type="Redirect" url="/new?b=2" appendQueryString="false"/></rule>');
    assert.equal((await run(noQuery, 'old', 'a=1')).kind === 'redirect' && (await run(noQuery, 'old', 'a=1') as { location: string }).location, '/new?b=2');
    const both = rules('<rule name="r"><match url="^old$"/><action type="Redirect" url="/new?b=2"/></rule>');
    assert.equal((await run(both, 'old', 'a=1') as { location: string }).location, '/new?b=2&a=1');
  });

  test('a relative Redirect URL is made absolute against the declaring folder under the mount; absolute ones are kept', async () => {
    const r = rules('<rule name="r"><match url="^old/(.*)"/><action type="Redirect" url="new/{R:1}"/></rule>', 'docs');
    assert.equal((await run(r, 'docs/old/x', undefined, { mountPath: '/node' }) as { location: string }).location, '/node/docs/new/x');
    const abs = rules('<rule name="r"><match url="(.*)"/><action type="Redirect" url="https://example.com/{R:1}"/></rule>');
    assert.equal((await run(abs, 'a b/ü') as { location: string }).location, 'https://example.com/a%20b/%C3%BC');
  });

  test('captured text cannot split the Location header', () => {
    assert.equal(safeLocation('/x\r\nSet-Cookie: a=b'), '/x%0D%0ASet-Cookie:%20a=b');
  });

  test('Rewrite with appendQueryString: the action\'s query first, then the current one', async () => {
    const r = rules('<rule name="r"><match url="^p/(\\d+)"/><action type="Rewrite" url="page.js?id={R:1}"/></rule>');
    assert.equal(continued(await run(r, 'p/5', 'x=1')).query, 'id=5&x=1');
    assert.equal(continued(await run(r, 'p/5')).query, 'id=5');
    const off = rules('<rule name="r"><match url="^p/(\\d+)"/><action type="Rewrite" url="page.js" appendQueryString="false"/></rule>');
    assert.equal(continued(await run(off, 'p/5', 'x=1')).query, undefined);
  });

  test('a site-absolute Rewrite stays below the mount; one that climbs out is not found', async () => {
    const abs = rules('<rule name="r"><match url="^a$"/><action type="Rewrite" url="/hello.js"/></rule>');
    assert.equal(continued(await run(abs, 'a', undefined, { mountPath: '/node' })).rel, 'hello.js');
    const withMount = rules('<rule name="r"><match url="^a$"/><action type="Rewrite" url="/node/x/hello.js"/></rule>');
    assert.equal(continued(await run(withMount, 'a', undefined, { mountPath: '/node' })).rel, 'x/hello.js');
    const climb = rules('<rule name="r"><match url="^a$"/><action type="Rewrite" url="../../etc/passwd"/></rule>');
    assert.equal((await run(climb, 'a')).kind, 'not-found');
    const dots = rules('<rule name="r"><match url="^a/(.*)"/><action type="Rewrite" url="public/{R:1}"/></rule>');
    assert.equal(continued(await run(dots, 'a/x/../../server.js')).rel, 'server.js');
  });

  test('a Rewrite to another server (ARR) is a configuration error for that request', async () => {
    const r = rules('<rule name="proxy"><match url="(.*)"/><action type="Rewrite" url="http://localhost:3000/{R:1}"/></rule>');
    const out = await run(r, 'x');
    assert.equal(out.kind, 'error');
    if (out.kind === 'error') assert.match(out.issue.message, /Application Request Routing/);
  });

  test('AbortRequest', async () => {
    const r = rules('<rule name="bots"><conditions><add input="{HTTP_USER_AGENT}" pattern="BadBot"/></conditions><action type="AbortRequest"/></rule>');
    assert.deepEqual(await run(r, 'x', undefined, { request: { headers: { 'user-agent': 'BadBot/1.0' } } }), { kind: 'abort', rule: 'bots' });
  });

  test('CustomResponse with sub-status and the standard reason when none is given', async () => {
    const r = rules('<rule name="c"><match url=".*"/><action type="CustomResponse" statusCode="404" subStatusCode="7"/></rule>');
    assert.deepEqual(await run(r, 'x'), { kind: 'custom', status: 404, subStatus: 7, reason: 'Not Found', description: '', rule: 'c' });
  });

  test('a rule from a subfolder web.config matches relative to its folder, and only below it', async () => {
    const sub = rules('<rule name="s"><match url="^(.*)$"/><action type="Rewrite" url="app.js?p={R:1}" appendQueryString="false"/></rule>', 'blog');
    const out = continued(await run(sub, 'blog/2024/post'));
    assert.deepEqual([out.rel, out.query], ['blog/app.js', 'p=2024/post']);
    assert.equal(continued(await run(sub, 'shop/item')).rewritten, false);
  });

  test('rewrite maps, and a map that does not exist', async () => {
    const r = rules('<rule name="m"><match url="^(.+)$"/><action type="Rewrite" url="{Pages:{R:1}}"/></rule>', '', '<rewriteMaps><rewriteMap name="Pages" defaultValue="404.html"><add key="About" value="about.html"/></rewriteMap></rewriteMaps>');
    assert.equal(continued(await run(r, 'about')).rel, 'about.html');
    assert.equal(continued(await run(r, 'other')).rel, '404.html');
    const missing = rules('<rule name="m"><match url="^(.+)$"/><action type="Rewrite" url="{Nope:{R:1}}"/></rule>');
    const out = await run(missing, 'x');
    assert.equal(out.kind, 'error');
    if (out.kind === 'error') assert.match(out.issue.message, /\{Nope:\.\.\.\} names no function and no rewrite map/);
  });
});

describe('server variables and expansion', () => {
  const ctx = context({
    mountPath: '/node',
    request: {
      method: 'post',
      target: '/node/a%20b/c?x=1',
      headers: { host: 'shop.localhost:8080', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], 'x-original-url': '/evil', 'user-agent': 'UA' },
      https: false,
      remoteAddress: '127.0.0.1',
      remotePort: 51000,
      localAddress: '127.0.0.1',
      httpVersion: '1.0',
    },
  });
  const state = { rel: 'a b/c', query: 'x=1' };
  const v = (name: string) => serverVariable(name, ctx, state);

  test('URL and query variables', () => {
    assert.equal(v('URL'), '/node/a b/c');
    assert.equal(v('path_info'), '/node/a b/c');
    assert.equal(v('QUERY_STRING'), 'x=1');
    assert.equal(v('REQUEST_URI'), '/node/a%20b/c?x=1');
    assert.equal(v('UNENCODED_URL'), '/node/a%20b/c?x=1');
    assert.equal(v('CACHE_URL'), 'http://shop.localhost:8080/node/a b/c?x=1');
    assert.equal(v('REQUEST_FILENAME'), '/site/a b/c');
    assert.equal(v('APPL_PHYSICAL_PATH'), '/site/');
  });

  test('connection and host variables', () => {
    assert.equal(v('HTTPS'), 'off');
    assert.equal(v('SERVER_PORT_SECURE'), '0');
    assert.equal(v('SERVER_PROTOCOL'), 'HTTP/1.0');
    assert.equal(v('REQUEST_METHOD'), 'POST');
    assert.equal(v('REMOTE_ADDR'), '127.0.0.1');
    assert.equal(v('REMOTE_PORT'), '51000');
    assert.equal(v('SERVER_NAME'), 'shop.localhost');
    assert.equal(v('SERVER_PORT'), '8080');
    assert.equal(v('HTTP_HOST'), 'shop.localhost:8080');
    assert.equal(v('HTTP_USER_AGENT'), 'UA');
    assert.equal(v('HTTP_X_FORWARDED_FOR'), '1.1.1.1, 2.2.2.2');
    assert.equal(v('HTTP_X_MISSING'), '');
    assert.equal(v('NO_SUCH_VARIABLE'), '');
  });

  test('a client-sent X-Original-URL is never trusted', () => {
    assert.equal(v('HTTP_X_ORIGINAL_URL'), '');
  });

  test('functions, nesting, back-references, and unbalanced braces', () => {
    const captures = { r: ['Ab/Cd', 'Ab', 'Cd'], c: ['x'] };
    assert.equal(expand('{ToLower:{R:1}}/{R:2}/{C:0}/{R:9}', ctx, state, captures), 'ab/Cd/x/');
    assert.equal(expand('{UrlEncode:{R:0}}|{UrlDecode:a%2Fb+c}|{EscapeDataString:a b}', ctx, state, captures), 'Ab%2FCd|a/b c|a%20b');
    assert.equal(expand('a{b', ctx, state, captures), 'a{b');
    assert.equal(expand('{HTTP_HOST}{QUERY_STRING}', ctx, state, captures), 'shop.localhost:8080x=1');
  });
});
