import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkedScanner, findHeadEnd, HEAD_END, HttpParseError, parseRequestHead, parseResponseHead } from '../../core/proxy/http-parse.js';

/** A request head from lines (joined with CRLF, without the final blank line). */
function req(...lines: string[]): string {
  return lines.join('\r\n');
}

function parseError(fn: () => unknown): HttpParseError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HttpParseError, `expected an HttpParseError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an HttpParseError');
}

function status(fn: () => unknown): number {
  return parseError(fn).status;
}

describe('HEAD_END', () => {
  test('is CRLF CRLF', () => {
    assert.deepEqual([...HEAD_END], [13, 10, 13, 10]);
  });
});

describe('parseRequestHead: request line', () => {
  test('a simple GET', () => {
    const text = req('GET /index.html?x=1 HTTP/1.1', 'Host: shop.localhost:8080', 'Accept: */*');
    const head = parseRequestHead(text);
    assert.deepEqual(head, {
      method: 'GET',
      target: '/index.html?x=1',
      minor: 1,
      host: 'shop.localhost:8080',
      contentLength: -1,
      chunked: false,
      close: false,
      keepAlive: false,
      upgrade: false,
      cookie: undefined,
      hasSensitiveHeaders: false,
      text,
    });
  });

  test('methods are tokens, kept as sent', () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'M-SEARCH', 'get']) {
      assert.equal(parseRequestHead(req(`${method} / HTTP/1.1`, 'Host: a')).method, method);
    }
  });

  test('targets: origin, absolute, authority and asterisk forms, kept exactly', () => {
    assert.equal(parseRequestHead(req('OPTIONS * HTTP/1.1', 'Host: a')).target, '*');
    assert.equal(parseRequestHead(req('GET http://a.localhost/x?y HTTP/1.1', 'Host: a')).target, 'http://a.localhost/x?y');
    assert.equal(parseRequestHead(req('CONNECT a.localhost:443 HTTP/1.1', 'Host: a')).target, 'a.localhost:443');
    assert.equal(parseRequestHead(req('GET /a%20b/../c//d?q=%2F HTTP/1.1', 'Host: a')).target, '/a%20b/../c//d?q=%2F');
  });

  test('a request line alone (no headers) parses', () => {
    const head = parseRequestHead('GET / HTTP/1.1');
    assert.equal(head.host, undefined);
    assert.equal(head.target, '/');
  });

  test('malformed request lines are 400', () => {
    for (const line of ['GET /', 'GET', '', ' / HTTP/1.1', 'GET  / HTTP/1.1', 'GET / x HTTP/1.1', 'G(T / HTTP/1.1', 'GET / http/1.1', 'GET / HTTP1.1']) {
      assert.equal(status(() => parseRequestHead(req(line, 'Host: a'))), 400, JSON.stringify(line));
    }
  });

  test('other HTTP versions are 501', () => {
    for (const version of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3']) {
      assert.equal(status(() => parseRequestHead(req(`GET / ${version}`, 'Host: a'))), 501, version);
    }
  });
});

describe('parseRequestHead: connection semantics', () => {
  test('HTTP/1.1 keeps the connection open by default', () => {
    const head = parseRequestHead(req('GET / HTTP/1.1', 'Host: a'));
    assert.equal(head.minor, 1);
    assert.equal(head.close, false);
  });

  test('HTTP/1.1 with Connection: close closes', () => {
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'Connection: close')).close, true);
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'connection: CLOSE')).close, true);
  });

  test('HTTP/1.0 closes by default', () => {
    const head = parseRequestHead(req('GET / HTTP/1.0'));
    assert.equal(head.minor, 0);
    assert.equal(head.close, true);
    assert.equal(head.keepAlive, false);
  });

  test('HTTP/1.0 with Connection: keep-alive stays open', () => {
    const head = parseRequestHead(req('GET / HTTP/1.0', 'Connection: Keep-Alive'));
    assert.equal(head.close, false);
    assert.equal(head.keepAlive, true);
  });

  test('Connection is a token list, possibly repeated', () => {
    const head = parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'Connection: TE, close'));
    assert.equal(head.close, true);
    const twoHeaders = parseRequestHead(req('GET / HTTP/1.0', 'Connection: foo', 'Connection: keep-alive'));
    assert.equal(twoHeaders.keepAlive, true);
    assert.equal(twoHeaders.close, false);
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Connection: not-close')).close, false);
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Connection: ,, close ,')).close, true);
  });

  test('"keep-alive, Upgrade" (Firefox) with an Upgrade header is an upgrade', () => {
    const head = parseRequestHead(req('GET /ws HTTP/1.1', 'Host: a', 'Connection: keep-alive, Upgrade', 'Upgrade: websocket'));
    assert.equal(head.upgrade, true);
    assert.equal(head.keepAlive, true);
  });

  test('Connection: Upgrade without an Upgrade header is not an upgrade', () => {
    assert.equal(parseRequestHead(req('GET /ws HTTP/1.1', 'Host: a', 'Connection: keep-alive, Upgrade')).upgrade, false);
  });

  test('an Upgrade header without the Connection token is not an upgrade', () => {
    assert.equal(parseRequestHead(req('GET /ws HTTP/1.1', 'Host: a', 'Upgrade: websocket')).upgrade, false);
    assert.equal(parseRequestHead(req('GET /ws HTTP/1.1', 'Host: a', 'Connection: keep-alive', 'Upgrade: websocket')).upgrade, false);
    assert.equal(parseRequestHead(req('GET /ws HTTP/1.1', 'Host: a', 'Connection: upgrades', 'Upgrade: websocket')).upgrade, false);
  });

  test('header order does not matter for an upgrade', () => {
    assert.equal(parseRequestHead(req('GET /ws HTTP/1.1', 'upgrade: websocket', 'Host: a', 'CONNECTION: UPGRADE')).upgrade, true);
  });
});

describe('parseRequestHead: framing', () => {
  test('Content-Length', () => {
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 42')).contentLength, 42);
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'content-length:0')).contentLength, 0);
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Content-Length:   7   ')).contentLength, 7);
  });

  test('repeated identical Content-Length is accepted', () => {
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Content-Length: 5', 'Content-Length: 5')).contentLength, 5);
  });

  test('conflicting Content-Length is 400', () => {
    assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 5', 'Content-Length: 6'))), 400);
  });

  test('invalid Content-Length is 400', () => {
    for (const value of ['-1', '+5', '5, 5', '0x10', 'abc', '', '1.5', '1234567890123456']) {
      assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', `Content-Length: ${value}`))), 400, value);
    }
  });

  test('Transfer-Encoding: chunked', () => {
    const head = parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'));
    assert.equal(head.chunked, true);
    assert.equal(head.contentLength, -1);
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'transfer-encoding: Chunked')).chunked, true);
  });

  test('chunked must be the last coding; other codings before it are fine', () => {
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Transfer-Encoding: gzip, chunked')).chunked, true);
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked')).chunked, true);
  });

  test('Transfer-Encoding not ending in chunked is 501', () => {
    for (const te of ['gzip', 'chunked, gzip', 'identity', 'chunkedx']) {
      assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', `Transfer-Encoding: ${te}`))), 501, te);
    }
    assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip'))), 501);
  });

  test('Transfer-Encoding with Content-Length is 400 (request smuggling)', () => {
    assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 5', 'Transfer-Encoding: chunked'))), 400);
    assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Content-Length: 0'))), 400);
  });
});

describe('parseRequestHead: header syntax', () => {
  test('Host is read, trimmed; a duplicate Host is 400 in any case', () => {
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'host:   Shop.Localhost  ')).host, 'Shop.Localhost');
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'Host: b'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'HOST: a'))), 400);
  });

  test('a folded (obs-fold) header line is 400', () => {
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'X-Long: one', ' two'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'X-Long: one', '\ttwo'))), 400);
  });

  test('whitespace between a header name and its colon is 400', () => {
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host : a'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'Content-Length\t: 5'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'X-Thing : v'))), 400);
  });

  test('a header line without a colon, or with an empty name, is 400', () => {
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'NoColonHere'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', ': value'))), 400);
    assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', '', 'Host: a'))), 400);
  });

  test('values may contain colons and be empty', () => {
    const head = parseRequestHead(req('GET / HTTP/1.1', 'Host: [::1]:8080', 'X-Empty:', 'Referer: http://a/b'));
    assert.equal(head.host, '[::1]:8080');
  });

  test('hasSensitiveHeaders: x-iisnode-*, x-forwarded-*, x-original-url in any case', () => {
    for (const name of ['X-iisnode-AUTH_USER', 'x-iisnode-request_method', 'X-Forwarded-For', 'x-forwarded-proto', 'X-FORWARDED-HOST', 'X-Original-URL', 'x-original-url']) {
      assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', `${name}: v`)).hasSensitiveHeaders, true, name);
    }
  });

  test('hasSensitiveHeaders: other x- headers are fine', () => {
    for (const name of ['X-Requested-With', 'X-Forwarded', 'X-Original-Urls', 'X-iisnode', 'Forwarded', 'X-Foo', 'Y-Forwarded-For', 'XX-Forwarded-For']) {
      assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', `${name}: v`)).hasSensitiveHeaders, false, name);
    }
  });

  test('several Cookie headers are joined with "; "', () => {
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'Cookie: a=1')).cookie, 'a=1');
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Cookie: a=1', 'Host: a', 'cookie: b=2; c=3', 'COOKIE: iisnode.session.cookie=2')).cookie, 'a=1; b=2; c=3; iisnode.session.cookie=2');
  });

  test('the head text is kept exactly', () => {
    const text = req('GET / HTTP/1.1', 'host: a', 'X-Dup: 1', 'x-dup: 2', 'X-Empty:');
    assert.equal(parseRequestHead(text).text, text);
  });
});

describe('parseRequestHead: strict RFC 9112 syntax (issue 16)', () => {
  test('a bare LF anywhere in the head is 400', () => {
    for (const text of ['GET / HTTP/1.1\nHost: a', 'GET / HTTP/1.1\r\nHost: a\nX: y', 'GET / HTTP/1.1\r\nX: a\nb', '\n', 'GET /\n HTTP/1.1']) {
      const error = parseError(() => parseRequestHead(text));
      assert.equal(error.status, 400, JSON.stringify(text));
    }
    assert.match(parseError(() => parseRequestHead('GET / HTTP/1.1\r\nHost: a\nX: y')).message, /bare LF/);
  });

  test('CR, NUL and other control characters in a header value are 400; HTAB is allowed', () => {
    for (const c of ['\r', '\0', '\x01', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f']) {
      assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', `X-Test: a${c}b`))), 400, JSON.stringify(c));
    }
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'X-Test: a\tb')).host, 'a');
    assert.match(parseError(() => parseRequestHead(req('GET / HTTP/1.1', 'X-Test: a\0b'))).message, /NUL byte in the value of header X-Test/);
  });

  test('obs-text (bytes 0x80-0xFF) in a value is allowed', () => {
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: a', 'X-Name: caf\xe9 \xa0x')).host, 'a');
  });

  test('a header name that is not a token is 400', () => {
    for (const name of ['X\x01Y', 'X\0', 'X(Y)', 'X"Y', 'X/Y', 'X@Y', 'X[Y]', 'X{Y}', 'X\xe9', 'X=Y', 'X,Y', 'X;Y', 'X\\Y', 'X\x7f']) {
      assert.equal(status(() => parseRequestHead(req('GET / HTTP/1.1', 'Host: a', `${name}: v`))), 400, JSON.stringify(name));
    }
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', "X!#$%&'*+-.^_`|~09az: v", 'Host: a')).host, 'a');
  });

  test('control characters in the request line are 400, never 501', () => {
    for (const line of ['GET /\0 HTTP/1.1', 'GET /\x7f HTTP/1.1', 'GET / HTTP/1.1\r', 'GET\t/ HTTP/1.1', 'GET /a\x1bb HTTP/1.1']) {
      assert.equal(status(() => parseRequestHead(req(line, 'Host: a'))), 400, JSON.stringify(line));
    }
  });

  test('whitespace other than SP/HTAB around a Transfer-Encoding coding is 400', () => {
    for (const value of ['chunked\xa0', '\xa0chunked', 'chun ked', 'gzip\xa0, chunked', 'chunked\x0b']) {
      assert.equal(status(() => parseRequestHead(req('POST / HTTP/1.1', 'Host: a', `Transfer-Encoding: ${value}`))), 400, JSON.stringify(value));
    }
    assert.equal(parseRequestHead(req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: \t gzip ,\tchunked \t')).chunked, true);
  });

  test('U+00A0 around a value is part of it (only SP/HTAB are trimmed)', () => {
    assert.equal(parseRequestHead(req('GET / HTTP/1.1', 'Host: \xa0a ')).host, '\xa0a');
  });
});

describe('findHeadEnd', () => {
  const buf = (s: string) => Buffer.from(s, 'latin1');
  test('finds the CRLF CRLF, or -1 while the head is incomplete', () => {
    assert.equal(findHeadEnd(buf('GET / HTTP/1.1\r\nHost: a\r\n\r\nbody'), 0), 23);
    assert.equal(findHeadEnd(buf('GET / HTTP/1.1\r\nHost: a\r\n'), 0), -1);
    assert.equal(findHeadEnd(buf('GET / HTTP/1.1\r'), 0), -1);
    assert.equal(findHeadEnd(buf('xxGET / HTTP/1.1\r\n\r\n'), 2), 16);
  });

  test('a bare LF ends the head just past it, so the parser refuses it without waiting for more', () => {
    for (const text of ['\n', '\n\n\n\n', 'GET / HTTP/1.1\n', 'GET / HTTP/1.1\r\nHost: a\n\n', 'GET / HTTP/1.1\r\n\nHost: a\r\n\r\n']) {
      const b = buf(text);
      const end = findHeadEnd(b, 0);
      assert.ok(end > 0, JSON.stringify(text));
      assert.equal(status(() => parseRequestHead(b.toString('latin1', 0, end))), 400, JSON.stringify(text));
    }
  });
});

describe('parseResponseHead', () => {
  test('status and Content-Length', () => {
    assert.deepEqual(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5'), {
      status: 200,
      minor: 1,
      contentLength: 5,
      chunked: false,
      close: false,
      keepAlive: false,
    });
  });

  test('statuses without a reason phrase, or with an unusual one', () => {
    assert.equal(parseResponseHead('HTTP/1.1 204').status, 204);
    assert.equal(parseResponseHead('HTTP/1.1 404 \r\nContent-Length: 0').status, 404);
    assert.equal(parseResponseHead('HTTP/1.1 599 Whatever Reason').status, 599);
    assert.equal(parseResponseHead('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade').status, 101);
  });

  test('no Content-Length: -1', () => {
    assert.equal(parseResponseHead('HTTP/1.1 304 Not Modified\r\nETag: "x"').contentLength, -1);
  });

  test('chunked only when chunked is the last coding', () => {
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked').chunked, true);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked').chunked, true);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip').chunked, false);
  });

  test('Connection: close', () => {
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0').close, true);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nConnection: keep-alive').close, false);
  });

  test('HTTP/1.0 responses close unless keep-alive', () => {
    const plain = parseResponseHead('HTTP/1.0 200 OK\r\nContent-Length: 2');
    assert.equal(plain.minor, 0);
    assert.equal(plain.close, true);
    const kept = parseResponseHead('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2');
    assert.equal(kept.close, false);
    assert.equal(kept.keepAlive, true);
  });

  test('conflicting or invalid Content-Length is 502', () => {
    assert.equal(status(() => parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6')), 502);
    assert.equal(status(() => parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: five')), 502);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5').contentLength, 5);
  });

  test('not HTTP/1.x, or a malformed status line, is 502', () => {
    for (const text of ['HTTP/2 200 OK', 'ICY 200 OK', '', 'HTTP/1.1200 OK', 'HTTP/1.1 abc OK', 'HTTP/1.1 99 Too Low', 'HTTP/1.1 20 OK', 'hello']) {
      assert.equal(status(() => parseResponseHead(text)), 502, JSON.stringify(text));
    }
  });

  test('a status code must be exactly three digits', () => {
    for (const text of ['HTTP/1.1 2000 OK', 'HTTP/1.1 200X', 'HTTP/1.1 2001']) {
      assert.equal(status(() => parseResponseHead(text)), 502, JSON.stringify(text));
    }
  });
});

/** Feeds the parts to one scanner; the offset of the end within the concatenation, or -1. */
function scanParts(parts: Buffer[]): number {
  const scanner = new ChunkedScanner();
  let offset = 0;
  for (const part of parts) {
    const end = scanner.scan(part);
    if (end !== -1) return offset + end;
    offset += part.length;
  }
  return -1;
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

describe('ChunkedScanner', () => {
  const bodies: Array<[string, string]> = [
    ['one chunk', '5\r\nhello\r\n0\r\n\r\n'],
    ['several chunks, hex sizes in both cases', 'a\r\n0123456789\r\nA\r\nabcdefghij\r\n1\r\n!\r\n0\r\n\r\n'],
    ['an empty body', '0\r\n\r\n'],
    ['chunk extensions', '5;name=value\r\nhello\r\n3;a="q;uoted";b\r\nabc\r\n0;last\r\n\r\n'],
    ['whitespace before an extension', '5 ;x\r\nhello\r\n0\r\n\r\n'],
    ['trailers', '5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n'],
    ['leading zeros in a size', '005\r\nhello\r\n000\r\n\r\n'],
    ['data that looks like framing', '7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n'],
    ['binary data', `4\r\n\x00\xff\r\n\r\n0\r\n\r\n`],
  ];

  for (const [name, body] of bodies) {
    test(`${name}: found in one buffer`, () => {
      const buf = bytes(body);
      assert.equal(new ChunkedScanner().scan(buf), buf.length);
    });

    test(`${name}: the end is exact when the next message follows`, () => {
      const buf = bytes(`${body}GET /next HTTP/1.1\r\n\r\n`);
      assert.equal(new ChunkedScanner().scan(buf), Buffer.byteLength(body, 'latin1'));
    });

    test(`${name}: fed byte by byte`, () => {
      const buf = bytes(body);
      const scanner = new ChunkedScanner();
      for (let i = 0; i < buf.length; i++) {
        const end = scanner.scan(buf.subarray(i, i + 1));
        if (i < buf.length - 1) assert.equal(end, -1, `ended early at byte ${i}`);
        else assert.equal(end, 1);
      }
    });

    test(`${name}: every split into two and three parts`, () => {
      const buf = bytes(body);
      for (let a = 0; a <= buf.length; a++) {
        assert.equal(scanParts([buf.subarray(0, a), buf.subarray(a)]), buf.length, `split at ${a}`);
        for (let b = a; b <= buf.length; b++) {
          assert.equal(scanParts([buf.subarray(0, a), buf.subarray(a, b), buf.subarray(b)]), buf.length, `split at ${a}, ${b}`);
        }
      }
    });
  }

  test('random splits of a long body with a following request', () => {
    let body = '';
    for (let i = 1; i <= 40; i++) body += `${i.toString(16)};ext=${i}\r\n${'x'.repeat(i)}\r\n`;
    body += '0\r\nTrailer: yes\r\n\r\n';
    const buf = bytes(`${body}POST / HTTP/1.1\r\n`);
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const parts: Buffer[] = [];
      let pos = 0;
      while (pos < buf.length) {
        const size = 1 + Math.floor(random() * 20);
        parts.push(buf.subarray(pos, pos + size));
        pos += size;
      }
      assert.equal(scanParts(parts), Buffer.byteLength(body, 'latin1'), `round ${round}`);
    }
  });

  test('a start offset skips what comes before', () => {
    const buf = bytes('HEADER5\r\nhello\r\n0\r\n\r\nrest');
    assert.equal(new ChunkedScanner().scan(buf, 6), buf.length - 4);
  });

  test('an unfinished message returns -1', () => {
    for (const partial of ['', '5', '5\r\n', '5\r\nhel', '5\r\nhello\r\n', '5\r\nhello\r\n0\r\n', '5\r\nhello\r\n0\r\nX: y\r\n', '0\r\n\r']) {
      assert.equal(new ChunkedScanner().scan(bytes(partial)), -1, JSON.stringify(partial));
    }
  });

  test('after the end, further scans return their start: nothing more belongs to the message', () => {
    const scanner = new ChunkedScanner();
    assert.equal(scanner.scan(bytes('0\r\n\r\n')), 5);
    assert.equal(scanner.scan(bytes('GET / HTTP/1.1')), 0);
  });

  const malformed: Array<[string, string]> = [
    ['a size that is not hex', 'x\r\nhello\r\n'],
    ['an empty size', '\r\nhello\r\n'],
    ['a size with a sign', '-5\r\nhello\r\n'],
    ['an extension without a size', ';ext\r\n'],
    ['a size line ending in a bare CR', '5\rX'],
    ['a size line ending in a bare LF', '5\nhello\r\n'],
    ['data longer than its size', '3\r\nhello\r\n'],
    ['data followed by CR without LF', '5\r\nhello\rX'],
    ['a size over 15 hex digits', '1234567890abcdef0\r\n'],
    ['a final CR without LF', '0\r\n\rX'],
    ['a bare LF in a chunk extension', '5;a\nb\r\nhello\r\n0\r\n\r\n'],
    ['a NUL in a chunk extension', '5;a\0b\r\nhello\r\n0\r\n\r\n'],
    ['a bare LF ending a trailer line', '0\r\nX: y\n\r\n'],
    ['a bare LF as the end of the trailer', '0\r\n\n'],
    ['a control character in a trailer', '0\r\nX: a\x01b\r\n\r\n'],
    ['a bare CR in a trailer', '0\r\nX: a\rb\r\n\r\n'],
  ];
  for (const [name, body] of malformed) {
    test(`malformed framing throws 400: ${name}`, () => {
      assert.equal(status(() => new ChunkedScanner().scan(bytes(body))), 400);
    });

    test(`malformed framing throws byte by byte too: ${name}`, () => {
      const buf = bytes(body);
      const scanner = new ChunkedScanner();
      assert.equal(
        status(() => {
          for (let i = 0; i < buf.length; i++) scanner.scan(buf.subarray(i, i + 1));
        }),
        400,
      );
    });
  }
});
