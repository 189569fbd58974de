import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  belowMount,
  belowScope,
  decodeUrlPath,
  fileSegmentProblem,
  isWithin,
  joinRel,
  normalizeMountPath,
  physicalPath,
  relativeSlashes,
  removeDotSegments,
  scopeCovers,
  splitTarget,
} from '../../core/iis/paths.js';

describe('mount paths', () => {
  test('normal form: empty for the root, leading slash, no trailing slash', () => {
    assert.equal(normalizeMountPath(undefined), '');
    assert.equal(normalizeMountPath(''), '');
    assert.equal(normalizeMountPath('/'), '');
    assert.equal(normalizeMountPath('/node'), '/node');
    assert.equal(normalizeMountPath('/node/express/'), '/node/express');
    assert.equal(normalizeMountPath('//node//x'), '/node/x');
  });

  test('refuses what cannot be a mount path', () => {
    for (const bad of ['node', '/a/../b', '/a/./b', '/a?x', '/a#b', '/a\\b', '/%2e%2e/x', '/a\nb']) assert.equal(normalizeMountPath(bad), undefined, bad);
  });

  test('belowMount: the path under the mount, case-insensitively; undefined outside it', () => {
    assert.equal(belowMount('/node/express/myapp/foo', '/node/express'), 'myapp/foo');
    assert.equal(belowMount('/NODE/Express/myapp/', '/node/express'), 'myapp/');
    assert.equal(belowMount('/node/express', '/node/express'), '');
    assert.equal(belowMount('/node/express/', '/node/express'), '');
    assert.equal(belowMount('/node/expressions', '/node/express'), undefined);
    assert.equal(belowMount('/other', '/node'), undefined);
    assert.equal(belowMount('/a/b', ''), 'a/b');
    assert.equal(belowMount('/', ''), '');
  });
});

describe('request targets and decoding', () => {
  test('splitTarget keeps an empty query apart from no query, and drops a fragment', () => {
    assert.deepEqual(splitTarget('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' });
    assert.deepEqual(splitTarget('/a?'), { path: '/a', query: '' });
    assert.deepEqual(splitTarget('/a'), { path: '/a', query: undefined });
    assert.deepEqual(splitTarget('/a#frag?no'), { path: '/a', query: undefined });
    assert.deepEqual(splitTarget('/a?q=1/2?3'), { path: '/a', query: 'q=1/2?3' });
  });

  test('decodeUrlPath decodes like http.sys (%2F becomes /) and reports malformed encoding', () => {
    assert.equal(decodeUrlPath('/a%20b/%2e%2e%2Fc'), '/a b/../c');
    assert.equal(decodeUrlPath('/caf%C3%A9'), '/café');
    assert.equal(decodeUrlPath('/a+b'), '/a+b');
    assert.equal(decodeUrlPath('/bad%'), undefined);
    assert.equal(decodeUrlPath('/bad%zz'), undefined);
    assert.equal(decodeUrlPath('/bad%C3'), undefined);
  });

  test('removeDotSegments normalizes, keeps a trailing slash and refuses climbing above the root', () => {
    assert.equal(removeDotSegments('/a/b/../c'), '/a/c');
    assert.equal(removeDotSegments('/a/./b/'), '/a/b/');
    assert.equal(removeDotSegments('/a/b/..'), '/a/');
    assert.equal(removeDotSegments('/a/b/.'), '/a/b/');
    assert.equal(removeDotSegments('//a///b'), '/a/b');
    assert.equal(removeDotSegments('/'), '/');
    assert.equal(removeDotSegments('/a/..'), '/');
    assert.equal(removeDotSegments('/..'), undefined);
    assert.equal(removeDotSegments('/a/../../etc/passwd'), undefined);
  });
});

describe('scopes', () => {
  test('scopeCovers compares whole segments, case-insensitively', () => {
    assert.equal(scopeCovers('', 'anything/at/all'), true);
    assert.equal(scopeCovers('api', 'api'), true);
    assert.equal(scopeCovers('api', 'API/v1/x.js'), true);
    assert.equal(scopeCovers('api', 'apis/x'), false);
    assert.equal(scopeCovers('api/v1', 'api'), false);
    assert.equal(scopeCovers('api/hello.js', 'api/hello.js/debug'), true);
  });

  test('belowScope and joinRel', () => {
    assert.equal(belowScope('', 'a/b/'), 'a/b/');
    assert.equal(belowScope('a', 'a/b/c'), 'b/c');
    assert.equal(belowScope('a', 'a/b/'), 'b/');
    assert.equal(belowScope('a', 'a'), '');
    assert.equal(joinRel('', 'x.js'), 'x.js');
    assert.equal(joinRel('api', 'x.js'), 'api/x.js');
    assert.equal(joinRel('api/', '/x.js'), 'api/x.js');
    assert.equal(joinRel('api', ''), 'api/');
  });
});

describe('from URL paths to files', () => {
  test('physicalPath joins with the platform rules and refuses segments that cannot name a file', () => {
    assert.equal(physicalPath('/site', 'a/b.js', 'linux'), '/site/a/b.js');
    assert.equal(physicalPath('/site', '', 'linux'), '/site');
    assert.equal(physicalPath('C:\\site', 'a/b.js', 'win32'), 'C:\\site\\a\\b.js');
    for (const rel of ['a/../b', 'a/b\\c', 'nul.txt', 'x/con', 'c:x', 'a/b:stream', 'a\u0001']) assert.equal(physicalPath('/site', rel, 'linux'), undefined, rel);
    for (const rel of ['WEB~1.CON', 'a/trailing.', 'a/trailing ', 'what?', 'a|b']) assert.equal(physicalPath('C:\\site', rel, 'win32'), undefined, rel);
    // Outside Windows a tilde followed by a digit is an ordinary name.
    assert.equal(physicalPath('/site', 'backup~1.txt', 'linux'), '/site/backup~1.txt');
  });

  test('fileSegmentProblem names the problem', () => {
    assert.equal(fileSegmentProblem('WEB~1.CON', 'win32'), 'short (8.3) file name');
    assert.equal(fileSegmentProblem('ok.txt', 'win32'), undefined);
    assert.equal(fileSegmentProblem('..', 'linux'), 'not a file name');
  });

  test('isWithin: inside or equal, with case folding on Windows and macOS only', () => {
    assert.equal(isWithin('/site', '/site/a/b', 'linux'), true);
    assert.equal(isWithin('/site', '/site', 'linux'), true);
    assert.equal(isWithin('/site', '/site2/a', 'linux'), false);
    assert.equal(isWithin('/site', '/etc/passwd', 'linux'), false);
    assert.equal(isWithin('/Site', '/site/a', 'linux'), false);
    assert.equal(isWithin('/Site', '/site/a', 'darwin'), true);
    assert.equal(isWithin('C:\\Site', 'c:\\site\\a.txt', 'win32'), true);
    assert.equal(isWithin('C:\\site', 'D:\\site\\a.txt', 'win32'), false);
    assert.equal(isWithin('C:\\site', 'C:\\site\\..\\x', 'win32'), false);
  });

  test('relativeSlashes', () => {
    assert.equal(relativeSlashes('C:\\site', 'C:\\site\\a\\b.txt', 'win32'), 'a/b.txt');
    assert.equal(relativeSlashes('/site', '/site/a/b.txt', 'linux'), 'a/b.txt');
  });
});
