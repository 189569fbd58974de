import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SETTINGS, SETTING_NAMES, type SettingDef } from '../../core/config/schema.js';
import { IISNODE_ATTRIBUTES, mergeIisnodeSections } from '../../core/iis/iisnode-settings.js';
import { normalizeHandlerPath, parseWebConfig, type ConfigLayer, type WebConfig } from '../../core/iis/web-config.js';
import { FIXTURES } from '../helpers/paths.js';

const FILE = '/site/web.config';

function parse(body: string, options: { folder?: string; env?: NodeJS.ProcessEnv } = {}): WebConfig {
  return parseWebConfig(`<configuration>\n${body}\n</configuration>`, { file: FILE, env: {}, ...options });
}

function only(config: WebConfig): ConfigLayer {
  assert.equal(config.fatal, undefined, `unexpected fatal error ${JSON.stringify(config.fatal)}`);
  return config.layers[0]!;
}

const server = (inner: string) => `<system.webServer>\n${inner}\n</system.webServer>`;

describe('web.config: malformed files', () => {
  test('not well-formed XML is one fatal error with line and column, and no layers', () => {
    const config = parseWebConfig('<configuration>\n  <system.webServer>\n    <iisnode loggingEnabled="true">\n  </system.webServer>\n</configuration>', { file: FILE });
    assert.ok(config.fatal);
    assert.equal(config.fatal.file, FILE);
    assert.equal(config.fatal.line, 4);
    assert.equal(config.fatal.column, 3);
    assert.match(config.fatal.message, /not well-formed XML/);
    assert.match(config.fatal.fix!, /web\.config file syntax is correct/);
    assert.deepEqual(config.layers, []);
  });

  test('a root other than <configuration> is fatal', () => {
    const config = parseWebConfig('<?xml version="1.0"?>\n<system.webServer/>', { file: FILE });
    assert.match(config.fatal!.message, /<system\.webServer> as its root element/);
    assert.equal(config.fatal!.line, 2);
  });

  test('an empty file is fatal', () => {
    assert.match(parseWebConfig('', { file: FILE }).fatal!.message, /empty/);
  });
});

describe('web.config: <iisnode> attributes', () => {
  test('values are coerced to the settings\' types and keep their positions', () => {
    const layer = only(parse(server('  <iisnode nodeProcessCountPerApplication="4"\n     loggingEnabled="False" maxConcurrentRequestsPerProcess="infinite" promoteServerVars="REMOTE_ADDR,HTTPS" />')));
    const s = layer.iisnode!;
    assert.deepEqual(s.errors, []);
    assert.deepEqual(
      s.settings.map((x) => [x.name, x.value, x.at.line, x.at.column]),
      [
        ['nodeProcessCountPerApplication', 4, 3, 12],
        ['loggingEnabled', false, 4, 6],
        ['maxConcurrentRequestsPerProcess', 4294967295, 4, 29],
        ['promoteServerVars', 'REMOTE_ADDR,HTTPS', 4, 72],
      ],
    );
  });

  test('iisnode test 116: an unknown attribute is an error with its line and column', () => {
    const layer = only(parse(server('    <iisnode idontexist="12" />')));
    const [error] = layer.iisnode!.errors;
    assert.equal(layer.iisnode!.errors.length, 1);
    assert.equal(error!.severity, 'error');
    assert.equal(error!.file, FILE);
    assert.deepEqual([error!.line, error!.column], [3, 14]);
    assert.match(error!.message, /idontexist \(line 3, column 14\)/);
    assert.deepEqual(layer.errors, [], 'only the scripts are concerned, not the whole scope');
  });

  test('several unknown attributes make one error listing them all, with hints', () => {
    const layer = only(parse(server('<iisnode nodeProcesCountPerApplication="2" maxProcessCountPerApplication="4" hostname="shop" LoggingEnabled="true" whatever="1" loggingEnabled="true"/>')));
    const errors = layer.iisnode!.errors;
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.match(e.message, /nodeProcesCountPerApplication .*maxProcessCountPerApplication .*hostname .*LoggingEnabled .*whatever/);
    assert.match(e.fix!, /Did you mean nodeProcessCountPerApplication\?/);
    assert.match(e.fix!, /maxProcessCountPerApplication was renamed nodeProcessCountPerApplication/);
    assert.match(e.fix!, /hostname is a Berth setting: put it in berth\.yml/);
    assert.match(e.fix!, /Did you mean loggingEnabled\?/);
    assert.deepEqual(layer.iisnode!.settings.map((s) => s.name), ['loggingEnabled'], 'the valid attributes still count');
  });

  test('a value that does not fit is an error at the attribute, naming what was expected', () => {
    const layer = only(parse(server('<iisnode\n  nodeProcessCountPerApplication="-1"\n  loggingEnabled="maybe"\n  debuggerPortRange="80-90" />')));
    const errors = layer.iisnode!.errors;
    assert.deepEqual(errors.map((e) => [e.key, e.line, e.column]), [
      ['nodeProcessCountPerApplication', 4, 3],
      ['loggingEnabled', 5, 3],
      ['debuggerPortRange', 6, 3],
    ]);
    assert.match(errors[0]!.message, /is negative/);
    assert.match(errors[1]!.fix!, /true or false/);
    assert.match(errors[2]!.message, /starts below 1025/);
  });

  test('%VAR% is expanded where IIS expanded it, and %node_env% without such a variable means "not set"', () => {
    const env = { LOGS: 'D:\\logs', NODE_ENV_X: 'x' };
    const layer = only(parse(server('<iisnode node_env="%node_env%" logDirectory="%LOGS%\\app" promoteServerVars="%LOGS%" />'), { env }));
    const values = Object.fromEntries(layer.iisnode!.settings.map((s) => [s.name, s.value]));
    assert.equal(values.node_env, '');
    assert.equal(values.logDirectory, 'D:\\logs\\app');
    assert.equal(values.promoteServerVars, '%LOGS%', 'promoteServerVars is not an expanded attribute');
    const set = only(parse(server('<iisnode node_env="%node_env%" />'), { env: { node_env: 'staging' } }));
    assert.equal(set.iisnode!.settings[0]!.value, 'staging');
  });

  test('namespace declarations and xdt: transforms are not settings', () => {
    const layer = only(parse(server('<iisnode xmlns:xdt="http://schemas.microsoft.com/XML-Document-Transform" xdt:Transform="Replace" loggingEnabled="false"/>')));
    assert.deepEqual(layer.iisnode!.errors, []);
  });

  test('two <iisnode> elements in one place are an error', () => {
    const layer = only(parse(server('<iisnode loggingEnabled="true"/>\n<iisnode loggingEnabled="false"/>')));
    assert.match(layer.errors[0]!.message, /appears twice/);
  });

  test('the accepted attribute names are exactly iisnode\'s settings', () => {
    const expected = SETTING_NAMES.filter((n) => !(SETTINGS[n] as SettingDef).berthOnly);
    assert.deepEqual([...IISNODE_ATTRIBUTES].sort(), [...expected].sort());
    assert.ok(!IISNODE_ATTRIBUTES.has('debugPortRange'), "iisnode.yml's spelling is not a web.config attribute");
  });

  test('the configuration fixture sets every iisnode attribute, each valid', async () => {
    const file = path.join(FIXTURES, 'iis-configuration', 'web.config');
    const config = parseWebConfig(await readFile(file, 'utf8'), { file, env: {} });
    const layer = only(config);
    assert.deepEqual(layer.iisnode!.errors, []);
    assert.deepEqual(config.warnings, []);
    const set = layer.iisnode!.settings.map((s) => s.name);
    assert.deepEqual([...set].sort(), [...IISNODE_ATTRIBUTES].sort());
    const merged = mergeIisnodeSections([layer.iisnode!]).values;
    for (const name of set) {
      const def: SettingDef = SETTINGS[name];
      if (name === 'nodeProcessCommandLine') assert.equal(merged[name], 'node.exe');
      else if (name === 'interceptor') assert.equal(merged[name], '%programfiles%\\iisnode\\interceptor.js');
      else assert.equal(merged[name], def.default, name);
    }
  });
});

describe('web.config: handlers, appSettings, defaultDocument and the rest', () => {
  test('iisnode handlers are kept with their path and verb; other handlers are named in the warning', () => {
    const config = parse(server(`<handlers>
      <remove name="old" />
      <add name="iisnode" path="hello.js" verb="*" modules="iisnode" />
      <add name="njs" path="*.njs" verb="GET,POST" modules="iisnode" />
      <add name="php" path="*.php" verb="*" modules="FastCgiModule" />
      <clear />
    </handlers>`));
    const layer = only(config);
    assert.deepEqual(
      layer.handlers.map((h) => (h.op === 'add' ? [h.op, h.key, h.value.path, h.value.verb] : [h.op, h.op === 'remove' ? h.key : ''])),
      [
        ['remove', 'old'],
        ['add', 'iisnode', 'hello.js', '*'],
        ['add', 'njs', '*.njs', 'GET,POST'],
        ['clear', ''],
      ],
    );
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!.message, /handlers\/add> \(handler "php" \(modules="FastCgiModule"\)\)/);
  });

  test('a handler without a usable path or name is an error for its scope', () => {
    const layer = only(parse(server('<handlers><add name="a" verb="*" modules="iisnode"/><add name="b" path="../x.js" modules="iisnode"/><add path="y.js" modules="iisnode"/></handlers>')));
    assert.equal(layer.errors.length, 3);
    assert.match(layer.errors[0]!.message, /has no path/);
    assert.match(layer.errors[1]!.message, /does not name a script/);
    assert.match(layer.errors[2]!.message, /has no name/);
    assert.deepEqual(layer.handlers, []);
  });

  test('handler paths: slashes normalized, nothing that climbs out', () => {
    assert.equal(normalizeHandlerPath('hello.js'), 'hello.js');
    assert.equal(normalizeHandlerPath('server\\server.js'), 'server/server.js');
    assert.equal(normalizeHandlerPath('./server/server.js'), 'server/server.js');
    assert.equal(normalizeHandlerPath('/app.js'), 'app.js');
    assert.equal(normalizeHandlerPath('a/../b.js'), undefined);
    assert.equal(normalizeHandlerPath('  '), undefined);
  });

  test('iisnode test 108: appSettings keep their keys as written; an empty key is skipped, an empty value kept', () => {
    const layer = only(parse('<appSettings>\n<add key="setting1" value="value1"/>\n<add key="" value="emptyKey"/>\n<add key="setting3" value=""/>\n<add key="NoValue"/>\n<remove key="SETTING1"/>\n<clear/>\n</appSettings>'));
    assert.deepEqual(
      layer.appSettings.map((o) => (o.op === 'add' ? [o.op, o.key, o.value.key, o.value.value] : [o.op, o.op === 'remove' ? o.key : ''])),
      [
        ['add', 'setting1', 'setting1', 'value1'],
        ['add', 'setting3', 'setting3', ''],
        ['add', 'novalue', 'NoValue', ''],
        ['remove', 'setting1'],
        ['clear', ''],
      ],
    );
  });

  test('appSettings in another file are named in the warning (iisnode ignored them too)', () => {
    const config = parse('<appSettings file="secrets.config"><add key="a" value="b"/></appSettings>');
    assert.match(config.warnings[0]!.message, /appSettings file=/);
  });

  test('defaultDocument: enabled, and the files collection', () => {
    const layer = only(parse(server('<defaultDocument enabled="false"><files><clear/><add value="index.js"/><remove value="Default.htm"/></files></defaultDocument>')));
    assert.equal(layer.defaultDocument.enabled, false);
    assert.deepEqual(layer.defaultDocument.files.map((o) => o.op), ['clear', 'add', 'remove']);
  });

  test('webSocket enabled="false" is accepted quietly; a bad value is an error', () => {
    const config = parse(server('<webSocket enabled="false" receiveBufferLimit="4194304"/>'));
    assert.equal(only(config).webSocketEnabled, false);
    assert.deepEqual(config.warnings, []);
    assert.match(only(parse(server('<webSocket enabled="off"/>'))).errors[0]!.message, /not true or false/);
  });

  test('staticContent mimeMap and requestFiltering hiddenSegments', () => {
    const layer = only(parse(server(`<staticContent><remove fileExtension=".json"/><mimeMap fileExtension=".json" mimeType="application/json"/><mimeMap fileExtension="md" mimeType="text/markdown"/></staticContent>
      <security><requestFiltering><hiddenSegments><remove segment="bin"/><add segment="private"/></hiddenSegments></requestFiltering></security>`)));
    assert.deepEqual(layer.mimeMaps.map((o) => [o.op, o.op === 'clear' ? '' : o.key, o.op === 'add' ? o.value : '']), [
      ['remove', '.json', ''],
      ['add', '.json', 'application/json'],
      ['add', '.md', 'text/markdown'],
    ]);
    assert.deepEqual(layer.hiddenSegments.map((o) => [o.op, o.op === 'clear' ? '' : o.key]), [
      ['remove', 'bin'],
      ['add', 'private'],
    ]);
    assert.match(only(parse(server('<staticContent><mimeMap fileExtension=".x"/></staticContent>'))).errors[0]!.message, /needs a fileExtension and a mimeType/);
  });

  test('rewrite rules are read into the layer; their errors count for the scope', () => {
    const layer = only(parse(server('<rewrite><rules><rule name="r"><match url="(" /><action type="Rewrite" url="x.js"/></rule></rules></rewrite>')));
    assert.equal(layer.rewrite!.rules.length, 0);
    assert.match(layer.errors[0]!.message, /not a valid ECMAScript pattern/);
  });
});

describe('web.config: <location> and scopes', () => {
  test('each location is a layer with its scope below the file\'s folder; "." is the folder itself', () => {
    const config = parse(`${server('<iisnode loggingEnabled="true"/>')}
      <location path="."><system.webServer><iisnode nodeProcessCountPerApplication="2"/></system.webServer></location>
      <location path="api/v1/"><appSettings><add key="A" value="1"/></appSettings><system.webServer><handlers><add name="n" path="*.js" modules="iisnode"/></handlers></system.webServer></location>
      <location path="hello.js" inheritInChildApplications="false"><system.webServer><iisnode debugHeaderEnabled="true"/></system.webServer></location>`, { folder: 'sub' });
    assert.deepEqual(config.layers.map((l) => [l.scope, l.index, l.fileDepth]), [
      ['sub', 0, 1],
      ['sub', 1, 1],
      ['sub/api/v1', 2, 1],
      ['sub/hello.js', 3, 1],
    ]);
    assert.equal(config.layers[2]!.appSettings.length, 1);
    assert.equal(config.layers[2]!.handlers.length, 1);
    assert.deepEqual(config.warnings, []);
  });

  test('a location that climbs out of the site is an error', () => {
    const config = parse('<location path="../other"><system.webServer/></location>');
    assert.match(config.layers[0]!.errors[0]!.message, /does not name a folder or file inside the site/);
    assert.equal(config.layers.length, 1);
  });
});

describe('web.config: unsupported elements are one warning, never a failure', () => {
  test('listed once each, with their lines; quietly accepted elements are not listed', () => {
    const config = parse(`<configSections><section name="x"/></configSections>
<system.web><compilation debug="true"/></system.web>
<connectionStrings/>
${server(`<httpCompression/>
<httpCompression/>
<validation validateIntegratedModeConfiguration="false"/>
<httpErrors existingResponse="PassThrough"/>
<directoryBrowse enabled="false"/>
<modules runAllManagedModulesForAllRequests="false"/>
<security><authentication><windowsAuthentication enabled="true"/></authentication></security>
<staticContent><clientCache cacheControlMode="UseMaxAge"/></staticContent>
<rewrite><outboundRules/><rules><rule name="a"><match url="x"/><serverVariables/><action type="None"/></rule></rules></rewrite>`)}`);
    assert.equal(config.warnings.length, 1);
    const w = config.warnings[0]!;
    assert.equal(w.severity, 'warning');
    assert.equal(w.line, 3);
    for (const item of ['<system.web> at line 3', '<connectionStrings> at line 4', '<system.webServer/httpCompression> at line 6', 'security/authentication', 'clientCache', 'outboundRules', 'serverVariables']) {
      assert.ok(w.message.includes(item), `${item} missing from: ${w.message}`);
    }
    assert.equal(w.message.split('httpCompression').length - 1, 1, 'the same element is listed once');
    for (const quiet of ['configSections', 'validation', 'httpErrors', 'directoryBrowse', '<modules']) assert.ok(!w.message.includes(quiet), `${quiet} should be quiet`);
    assert.deepEqual(config.layers[0]!.errors, []);
  });

  test('httpErrors other than PassThrough, directory browsing and modules with children are listed', () => {
    const config = parse(server('<httpErrors errorMode="Custom"/><directoryBrowse enabled="true"/><modules><add name="m"/></modules>'));
    assert.match(config.warnings[0]!.message, /httpErrors.*directoryBrowse.*modules/);
  });
});
