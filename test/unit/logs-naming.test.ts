import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  computerNameFor,
  isLogFileName,
  logFileName,
  logUrlPrefix,
  nextFileStamp,
  parseLogFileName,
  resolveLogDirectory,
  safeComputerName,
} from '../../core/logs/naming.js';
import { isDirectlyInside, isWindowsDeviceName, rawPathProblem, segmentProblem } from '../../core/logs/path-safety.js';
import { parseRange } from '../../core/logs/serve.js';

describe('log file names', () => {
  test("iisnode's pattern: <COMPUTERNAME>-<pid>-<stream>-<epoch ms>.txt, and back", () => {
    const name = logFileName('WEB01', 4312, 'stdout', 1337814923123);
    assert.equal(name, 'WEB01-4312-stdout-1337814923123.txt');
    assert.deepEqual(parseLogFileName(name), { computer: 'WEB01', pid: 4312, stream: 'stdout', created: 1337814923123 });
    assert.deepEqual(parseLogFileName('WEB-01-7-stderr-5.txt'), { computer: 'WEB-01', pid: 7, stream: 'stderr', created: 5 });
  });

  test('anything else is not a log file (never counted, deleted or served)', () => {
    for (const name of [
      'index.html',
      'README.md',
      'WEB01-4312-stdout-1337814923123.txt.bak',
      'WEB01-4312-stdlog-1337814923123.txt',
      'WEB01-x-stdout-1.txt',
      '-1-stdout-1.txt',
      '../WEB01-1-stdout-1.txt',
      'a/WEB01-1-stdout-1.txt',
      'WEB 01-1-stdout-1.txt',
      '.index.html.1.abcd.tmp',
    ]) {
      assert.equal(isLogFileName(name), false, name);
      assert.equal(parseLogFileName(name), undefined, name);
    }
  });

  test('COMPUTERNAME first, the host name otherwise, made file-name-safe', () => {
    assert.equal(computerNameFor({ COMPUTERNAME: 'DEV-BOX' }, () => 'ignored'), 'DEV-BOX');
    assert.equal(computerNameFor({}, () => 'my host.local'), 'my_host.local');
    assert.equal(computerNameFor({ COMPUTERNAME: '  ' }, () => 'h'), 'h');
    assert.equal(computerNameFor({}, () => ''), 'localhost');
    assert.equal(
      computerNameFor({}, () => {
        throw new Error('no host name');
      }),
      'localhost',
    );
    assert.equal(safeComputerName('../evil\\name:x'), '_evil_name_x');
    assert.equal(safeComputerName('...'), 'localhost');
    assert.ok(isLogFileName(logFileName(safeComputerName('Ünïcødé böx/1'), 1, 'stderr', 2)));
  });

  test('two files of one writer in the same millisecond get distinct, increasing stamps', () => {
    assert.equal(nextFileStamp(100, undefined), 100);
    assert.equal(nextFileStamp(100, 99), 100);
    assert.equal(nextFileStamp(100, 100), 101);
    assert.equal(nextFileStamp(100, 105), 106); // the clock went back: still increasing
  });

  test('the log folder resolves against the base folder unless absolute, with the platform rules', () => {
    assert.equal(resolveLogDirectory('/srv/app', 'iisnode', 'linux'), '/srv/app/iisnode');
    assert.equal(resolveLogDirectory('/srv/app', '../logs', 'linux'), '/srv/logs');
    assert.equal(resolveLogDirectory('/srv/app', '/var/log/app', 'linux'), '/var/log/app');
    assert.equal(resolveLogDirectory('/srv/app', '', 'linux'), '/srv/app/iisnode');
    assert.equal(resolveLogDirectory('C:\\apps\\shop', 'iisnode', 'win32'), 'C:\\apps\\shop\\iisnode');
    assert.equal(resolveLogDirectory('C:\\apps\\shop', 'D:\\logs', 'win32'), 'D:\\logs');
  });

  test('the URL prefix: relative folders inside the app only', () => {
    assert.equal(logUrlPrefix('iisnode', '', 'linux'), '/iisnode');
    assert.equal(logUrlPrefix('logs/node', '/shop/', 'linux'), '/shop/logs/node');
    assert.equal(logUrlPrefix('.\\logs\\', '', 'win32'), '/logs');
    assert.equal(logUrlPrefix('/var/log/app', '', 'linux'), undefined);
    assert.equal(logUrlPrefix('C:\\logs', '', 'win32'), undefined);
    assert.equal(logUrlPrefix('C:logs', '', 'linux'), undefined);
    assert.equal(logUrlPrefix('../logs', '', 'linux'), undefined);
    assert.equal(logUrlPrefix('.', '', 'linux'), undefined);
    assert.equal(logUrlPrefix('my logs', '', 'linux'), '/my%20logs');
  });
});

describe('log URL path safety (platform injected)', () => {
  test('Windows device names, with or without extension, any case, trailing dots and spaces', () => {
    for (const name of ['CON', 'con', 'nul', 'NUL.txt', 'aux.html', 'PRN', 'COM1', 'com9.log', 'LPT1', 'lpt9.txt', 'nul.', 'CON .txt', 'conin$', 'COM¹']) {
      assert.equal(isWindowsDeviceName(name), true, name);
    }
    for (const name of ['console.txt', 'nullable', 'COM10', 'LPT', 'index.html', 'WEB01-1-stdout-1.txt', 'auxiliary']) {
      assert.equal(isWindowsDeviceName(name), false, name);
    }
  });

  test('raw path problems are found before decoding', () => {
    assert.equal(rawPathProblem('..%2fetc%2fpasswd'), 'encoded path separator');
    assert.equal(rawPathProblem('..%2Fx'), 'encoded path separator');
    assert.equal(rawPathProblem('..%5cwin.ini'), 'encoded path separator');
    assert.equal(rawPathProblem('a%00.txt'), 'NUL byte');
    assert.equal(rawPathProblem('a\0b'), 'NUL byte');
    assert.equal(rawPathProblem('..\\x'), 'backslash');
    assert.equal(rawPathProblem('%252e%252e'), 'double encoding');
    assert.equal(rawPathProblem('WEB01-1-stdout-1.txt'), undefined);
    assert.equal(rawPathProblem(''), undefined);
  });

  test('segment problems: the same everywhere, plus the Windows-only ones on win32', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      assert.equal(segmentProblem('..', platform), 'not a file name');
      assert.equal(segmentProblem('.', platform), 'not a file name');
      assert.equal(segmentProblem('a/b', platform), 'path separator');
      assert.equal(segmentProblem('a\\b', platform), 'path separator');
      assert.equal(segmentProblem('C:', platform), 'drive letter');
      assert.equal(segmentProblem('c:secret.txt', platform), 'drive letter');
      assert.equal(segmentProblem('NUL.txt', platform), 'device name');
      assert.equal(segmentProblem('a\u0001b', platform), 'control character');
      assert.equal(segmentProblem('index.html::$DATA', platform), 'colon');
      assert.equal(segmentProblem('WEB01-1-stdout-1.txt', platform), undefined);
    }
    assert.equal(segmentProblem('index.html.', 'win32'), 'trailing dot or space');
    assert.equal(segmentProblem('index.html ', 'win32'), 'trailing dot or space');
    assert.equal(segmentProblem('index.html.', 'linux'), undefined);
    assert.equal(segmentProblem('a?.txt', 'win32'), "character Windows refuses in file names");
  });

  test('directly inside: real paths, case-insensitive on Windows and macOS only', () => {
    assert.equal(isDirectlyInside('/srv/logs', '/srv/logs/a.txt', 'linux'), true);
    assert.equal(isDirectlyInside('/srv/logs/', '/srv/logs/a.txt', 'linux'), true);
    assert.equal(isDirectlyInside('/srv/logs', '/srv/logs/sub/a.txt', 'linux'), false);
    assert.equal(isDirectlyInside('/srv/logs', '/etc/passwd', 'linux'), false);
    assert.equal(isDirectlyInside('/srv/logs', '/srv/logs2/a.txt', 'linux'), false);
    assert.equal(isDirectlyInside('/srv/Logs', '/srv/logs/a.txt', 'linux'), false);
    assert.equal(isDirectlyInside('/srv/Logs', '/srv/logs/a.txt', 'darwin'), true);
    assert.equal(isDirectlyInside('C:\\Apps\\Logs', 'c:\\apps\\logs\\a.txt', 'win32'), true);
    assert.equal(isDirectlyInside('C:\\Apps\\Logs', 'C:\\Windows\\win.ini', 'win32'), false);
  });
});

describe('Range header', () => {
  test('single ranges: from-to, from-, suffix', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-1000', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRange('Bytes = 5 - 5', 100), { start: 5, end: 5 });
  });

  test('unsatisfiable: start at or past the end, zero suffix, empty body', () => {
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=200-300', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-5', 0), 'unsatisfiable');
  });

  test('absent, malformed or multiple ranges: ignored (whole body)', () => {
    for (const h of [undefined, '', 'bytes=', 'bytes=-', 'bytes=5-2', 'items=0-1', 'bytes=0-1,5-6', 'bytes=abc', 'bytes=99999999999999999999-']) {
      assert.equal(parseRange(h, 100), undefined, String(h));
    }
  });
});
