import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGlob, globMayEnter } from '../../core/watch/glob.js';
import { compileWatchRules, DEFAULT_WATCHED_FILES, foldsCase, type WatchRulesOptions } from '../../core/watch/patterns.js';

/** Rules for a `watchedFiles` value on Linux unless told otherwise. */
const rules = (watchedFiles: string | undefined, more: Partial<WatchRulesOptions> = {}) =>
  compileWatchRules({ watchedFiles, platform: 'linux', ...more });

/** Asserts which of `paths` match, as two lists, so a failure shows every misclassified path at once. */
function assertMatches(watchedFiles: string | undefined, yes: string[], no: string[], more: Partial<WatchRulesOptions> = {}) {
  const r = rules(watchedFiles, more);
  assert.deepEqual(
    { matched: [...yes, ...no].filter((p) => r.matches(p)) },
    { matched: yes },
    `watchedFiles ${JSON.stringify(watchedFiles)} on ${more.platform ?? 'linux'}`,
  );
}

describe('compileGlob', () => {
  test('* and ? stay within one segment', () => {
    const g = compileGlob('a?/*.js', false);
    assert.ok(g.whole.test('ab/x.js'));
    assert.ok(g.whole.test('ab/.js'));
    assert.ok(!g.whole.test('abc/x.js'));
    assert.ok(!g.whole.test('ab/c/x.js'));
    assert.ok(!g.whole.test('a/x.js'));
  });

  test('** is zero or more folders in the middle and everything below at the end', () => {
    const mid = compileGlob('lib/**/*.js', false);
    for (const p of ['lib/a.js', 'lib/x/a.js', 'lib/x/y/z/a.js']) assert.ok(mid.whole.test(p), p);
    for (const p of ['a.js', 'src/lib/a.js', 'lib/a.ts', 'libx/a.js']) assert.ok(!mid.whole.test(p), p);
    const end = compileGlob('lib/**', false);
    for (const p of ['lib/a', 'lib/x/y.txt']) assert.ok(end.whole.test(p), p);
    for (const p of ['lib', 'lib2/a']) assert.ok(!end.whole.test(p), p);
    const lead = compileGlob('**/*.json', false);
    for (const p of ['a.json', 'x/a.json', 'x/y/a.json']) assert.ok(lead.whole.test(p), p);
  });

  test('consecutive ** act as one; ** inside a segment acts as *', () => {
    assert.ok(compileGlob('a/**/**/b.js', false).whole.test('a/b.js'));
    assert.ok(compileGlob('a/**/**/b.js', false).whole.test('a/x/y/b.js'));
    const inner = compileGlob('a**b.js', false);
    assert.ok(inner.whole.test('axyb.js'));
    assert.ok(!inner.whole.test('ax/yb.js'));
  });

  test('regular-expression and bracket characters are literal', () => {
    for (const [pattern, yes, no] of [
      ['a.js', 'a.js', 'abjs'],
      ['a+b.js', 'a+b.js', 'aab.js'],
      ['[id].js', '[id].js', 'i.js'],
      ['{a,b}.js', '{a,b}.js', 'a.js'],
      ['(x)|y$.js', '(x)|y$.js', 'x'],
      ['^a.js', '^a.js', 'a.js'],
    ] as const) {
      const g = compileGlob(pattern, false);
      assert.ok(g.whole.test(yes), `${pattern} matches ${yes}`);
      assert.ok(!g.whole.test(no), `${pattern} does not match ${no}`);
    }
  });

  test('case folding is a parameter', () => {
    assert.ok(compileGlob('Lib/*.JS', true).whole.test('lib/a.js'));
    assert.ok(!compileGlob('Lib/*.JS', false).whole.test('lib/a.js'));
  });

  test('globMayEnter: which folders could hold a match', () => {
    const cases: [string, string[], boolean][] = [
      ['*.js', [], true],
      ['*.js', ['lib'], false],
      ['node_modules/*.js', ['node_modules'], true],
      ['node_modules/*.js', ['node_modules', 'x'], false],
      ['node_modules/*.js', ['lib'], false],
      ['a/b/c.js', ['a'], true],
      ['a/b/c.js', ['a', 'b'], true],
      ['a/b/c.js', ['a', 'b', 'c'], false],
      ['a/b/c.js', ['a', 'x'], false],
      ['a?/*.js', ['ab'], true],
      ['lib/**/*.js', ['lib', 'x', 'y'], true],
      ['lib/**/*.js', ['src'], false],
      ['lib/**', ['lib', 'deep'], true],
      ['**/*.json', ['any', 'where'], true],
    ];
    for (const [pattern, folder, expected] of cases) {
      assert.equal(globMayEnter(compileGlob(pattern, false), folder), expected, `${pattern} may enter ${folder.join('/')}`);
    }
  });
});

describe('watchedFiles: iisnode syntax', () => {
  test("iisnode's default watches top-level .js files and the config files only", () => {
    assert.equal(DEFAULT_WATCHED_FILES, '*.js;iisnode.yml');
    const yes = ['server.js', 'hello.js', '.eslintrc.js', 'iisnode.yml', 'berth.yml'];
    const no = ['readme.txt', 'lib/a.js', 'node_modules/part.js', 'sub/iisnode.yml', 'server.js.map', 'server.jsx', 'web.config'];
    assertMatches(undefined, yes, no);
    assertMatches(DEFAULT_WATCHED_FILES, yes, no);
  });

  test("the documentation's example: literal paths and wildcards in the file name", () => {
    assertMatches(
      '*.js;node_modules\\foo\\lib\\options.json;app_data\\*.config.json',
      ['app.js', 'node_modules/foo/lib/options.json', 'app_data/site.config.json', 'app_data/.config.json'],
      ['node_modules/foo/lib/other.json', 'node_modules/foo/options.json', 'app_data/site.json', 'app_data/x/site.config.json', 'site.config.json'],
    );
  });

  test('backslashes and slashes are the same separator', () => {
    for (const spec of ['app_data\\*.json', 'app_data/*.json', '.\\app_data\\*.json', './app_data//*.json']) {
      assertMatches(spec, ['app_data/a.json'], ['a.json', 'app_data/x/a.json']);
    }
  });

  test('? matches exactly one character', () => {
    assertMatches('v?.js', ['v1.js', 'v2.js'], ['v.js', 'v10.js', 'x/v1.js']);
  });

  test('blank and padded entries are tolerated', () => {
    assertMatches(' *.js ;; ;app_data\\*.json ;', ['a.js', 'app_data/b.json'], ['a.json']);
  });

  test('entries ending in web.config are watched (no IIS tells Berth about them)', () => {
    assertMatches('*.js;web.config;views\\web.config', ['web.config', 'views/web.config'], ['other/web.config']);
  });

  test('iisnode test 117: node_modules\\*.js watches files directly in node_modules', () => {
    assertMatches('*.js;node_modules\\*.js', ['hello.js', 'node_modules/part.js'], ['node_modules/pkg/index.js', 'lib/part.js']);
  });

  test('berth.yml and iisnode.yml are watched even when the list omits them', () => {
    assertMatches('lib\\*.js', ['lib/a.js', 'berth.yml', 'iisnode.yml'], ['a.js', 'lib/berth.yml', 'berth.yaml']);
    assertMatches('', ['berth.yml', 'iisnode.yml'], ['a.js']);
  });
});

describe('watchedFiles: beyond iisnode', () => {
  test('** reaches any depth', () => {
    assertMatches('lib/**/*.js', ['lib/a.js', 'lib/x/y/a.js'], ['a.js', 'src/a.js', 'lib/a.json']);
    assertMatches('**/*.json', ['package.json', 'config/a.json', 'a/b/c/d.json'], ['a.js']);
  });

  test('a trailing separator means everything in that folder', () => {
    assertMatches('views\\', ['views/index.html', 'views/partials/nav.ejs'], ['views', 'index.html']);
  });

  test('!exclusions apply after every inclusion, wherever they are written', () => {
    const yes = ['a.js', 'lib/b.js'];
    const no = ['a.test.js', 'lib/b.test.js', 'readme.md'];
    assertMatches('**/*.js;!**/*.test.js', yes, no);
    assertMatches('!**/*.test.js;**/*.js', yes, no);
    assertMatches('**/*.js;! lib\\generated\\**', ['a.js', 'lib/b.js'], ['lib/generated/x.js', 'lib/generated/deep/y.js']);
  });

  test('exclusions alone subtract from the default list', () => {
    assertMatches('!server.test.js', ['server.js', 'iisnode.yml'], ['server.test.js', 'lib/a.js']);
  });

  test('exclusions cannot silence the config files', () => {
    assertMatches('**/*;!**/*.yml', ['berth.yml', 'iisnode.yml', 'a.txt'], ['other.yml', 'lib/iisnode.yml']);
  });

  test('absolute and escaping entries are reported and skipped; the rest still work', () => {
    const r = rules('..\\shared\\*.js;C:\\app\\*.js;/etc/*.conf;*.js;!..\\x.js');
    assert.equal(r.problems.length, 4);
    assert.match(r.problems[0]!, /"\.\.\\shared\\\*\.js" uses ".."/);
    assert.match(r.problems[1]!, /"C:\\app\\\*\.js" is an absolute path/);
    assert.match(r.problems[2]!, /"\/etc\/\*\.conf" is an absolute path/);
    assert.match(r.problems[3]!, /"!\.\.\\x\.js" uses ".."/);
    assert.ok(r.matches('a.js'));
    assert.ok(!r.matches('shared/a.js'));
    assert.deepEqual(rules('*.js;lib/**').problems, []);
  });
});

describe('watchedFiles: folders that never trigger', () => {
  test('.git never triggers, even when a pattern names it', () => {
    assertMatches('**/*', ['a.txt', 'lib/git.js'], ['.git/HEAD', '.git/objects/ab/cd', 'sub/.git/index', '.git']);
    assertMatches('.git\\*', [], ['.git/HEAD']);
  });

  test('node_modules is ignored by ** unless a pattern names it', () => {
    assertMatches('**/*.js', ['a.js', 'lib/a.js'], ['node_modules/x/index.js', 'lib/node_modules/y.js', 'node_modules/part.js']);
    assertMatches('node_modules/**/*.js', ['node_modules/x/index.js', 'node_modules/part.js'], ['lib/node_modules/y.js', 'a.js']);
    assertMatches('**/node_modules/*.js', ['node_modules/part.js', 'lib/node_modules/y.js'], ['node_modules/x/index.js']);
    // A wildcard that happens to match is not naming the folder.
    assertMatches('node_*/*.js', ['node_stuff/a.js'], ['node_modules/a.js']);
  });

  test('a pattern must name every noise folder on the path', () => {
    assertMatches('node_modules/**/*.js', ['node_modules/a/b.js'], ['node_modules/a/.cache/b.js']);
    assertMatches('node_modules/**/*.js;node_modules/**/.cache/*.js', ['node_modules/a/.cache/b.js'], []);
  });

  test('tool and editor folders are ignored unless named; app folders such as dist are not', () => {
    assertMatches('**/*', ['dist/app.js', 'build/x.js', 'coverage.txt'], ['.vscode/settings.json', '.idea/x.xml', '.next/cache/a', '.cache/a']);
    assertMatches('.vscode\\*.json', ['.vscode/settings.json'], []);
  });

  test('the log folder never triggers, even with **/*', () => {
    const options = { ignoredFolders: ['iisnode'] };
    assertMatches('**/*', ['a.txt', 'iisnode.yml', 'iisnode-other/a.txt', 'lib/iisnode/x.txt'], ['iisnode/index.html', 'iisnode/x/y.txt'], options);
    assertMatches('**/*', ['a.txt', 'logs/other.txt'], ['logs/app/1.txt'], { ignoredFolders: ['logs\\app'] });
  });
});

describe('watchedFiles: case rules per platform', () => {
  test('Windows and macOS fold case, Linux does not', () => {
    assert.equal(foldsCase('win32'), true);
    assert.equal(foldsCase('darwin'), true);
    assert.equal(foldsCase('linux'), false);
  });

  test('on Windows patterns, config files, noise and log folders ignore case', () => {
    const win = { platform: 'win32' as const };
    assertMatches('*.JS;App_Data\\*.Json', ['server.js', 'SERVER.JS', 'app_data/A.JSON', 'IISNODE.YML', 'Berth.yml'], ['lib/a.js'], win);
    assertMatches('**/*.js', ['a.js'], ['Node_Modules/x.js', '.GIT/x.js'], win);
    assertMatches('NODE_MODULES\\*.js', ['node_modules/part.js'], [], win);
    assertMatches('**/*', ['a.txt'], ['IISNODE/log.txt'], { ...win, ignoredFolders: ['iisnode'] });
  });

  test('on Linux case matters everywhere', () => {
    assertMatches('*.JS;App_Data/*.json', ['SERVER.JS', 'App_Data/a.json'], ['server.js', 'app_data/a.json', 'IISNODE.YML', 'Berth.yml']);
    // A folder that only differs in case from node_modules is an ordinary folder on Linux.
    assertMatches('**/*.js', ['Node_Modules/x.js'], ['node_modules/x.js']);
    assertMatches('**/*', ['IISNODE/log.txt'], ['iisnode/log.txt'], { ignoredFolders: ['iisnode'] });
  });
});

describe('which folders need a watch', () => {
  test('the default needs the app folder only', () => {
    const r = rules(undefined);
    assert.equal(r.mayEnter(''), true);
    for (const f of ['lib', 'node_modules', '.git', 'iisnode']) assert.equal(r.mayEnter(f), false, f);
    assert.equal(r.maxDepth, 0);
  });

  test('a pattern folder is entered, even one that does not exist yet, and nothing below it', () => {
    const r = rules('*.js;idontexist\\*');
    assert.equal(r.mayEnter('idontexist'), true);
    assert.equal(r.mayEnter('idontexist/deeper'), false);
    assert.equal(r.mayEnter('other'), false);
    assert.equal(r.maxDepth, 1);
    assert.equal(rules('a/b/c.js;d/e.js').maxDepth, 2);
  });

  test('** enters every folder but .git, noise folders and the log folder', () => {
    const r = rules('**/*.js', { ignoredFolders: ['logs'] });
    assert.equal(r.maxDepth, Infinity);
    for (const f of ['src', 'src/deep/er', 'dist']) assert.equal(r.mayEnter(f), true, f);
    for (const f of ['node_modules', 'node_modules/x', 'src/node_modules', '.git', '.git/objects', 'logs', 'logs/2024', '.vscode']) {
      assert.equal(r.mayEnter(f), false, f);
    }
  });

  test('node_modules is entered only as deep as the pattern that names it', () => {
    const r = rules('*.js;node_modules\\*.js');
    assert.equal(r.mayEnter('node_modules'), true);
    assert.equal(r.mayEnter('node_modules/pkg'), false);
    assert.equal(rules('node_modules/**/*.js').mayEnter('node_modules/pkg/lib'), true);
  });

  test('folders excluded with /** are not entered', () => {
    const r = rules('**/*.js;!dist/**;!**/fixtures/**');
    for (const f of ['dist', 'dist/x', 'test/fixtures', 'fixtures', 'a/b/fixtures/c']) assert.equal(r.mayEnter(f), false, f);
    for (const f of ['test', 'distx', 'test/fixtures-not']) assert.equal(r.mayEnter(f), true, f);
    // An exclusion of some files in a folder still needs the folder watched.
    assert.equal(rules('**/*.js;!lib/*.test.js').mayEnter('lib'), true);
  });

  test('ignores() combines both for the watcher, with or without stats', () => {
    const r = rules('*.js;idontexist\\*');
    assert.equal(r.ignores('', 'folder'), false);
    assert.equal(r.ignores('server.js', 'file'), false);
    assert.equal(r.ignores('readme.txt', 'file'), true);
    assert.equal(r.ignores('idontexist', 'folder'), false);
    assert.equal(r.ignores('lib', 'folder'), true);
    // Without stats a path is kept while it could be a matching file or an enterable folder.
    assert.equal(r.ignores('lib', 'unknown'), true);
    assert.equal(r.ignores('idontexist', 'unknown'), false);
    assert.equal(r.ignores('lib.js', 'unknown'), false);
    assert.equal(r.ignores('lib.js', 'folder'), true);
  });
});
