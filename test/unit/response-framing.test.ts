import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestHead } from '../../core/proxy/http-parse.js';
import { Framing, HeadKind, localResponseHead, rebuildHead, ResponseFraming } from '../../core/proxy/response-framing.js';

const GET = parseRequestHead('GET / HTTP/1.1\r\nHost: a');
const HEAD = parseRequestHead('HEAD / HTTP/1.1\r\nHost: a');
const UPGRADE = parseRequestHead('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket');
const LIMIT = 64 * 1024;

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** Reads a head from `text` and returns what bodyEnd says about the rest of it. */
function frame(text: string, request = GET): { framing: ResponseFraming; kind: HeadKind; end: number; buf: Buffer } {
  const framing = new ResponseFraming();
  const buf = bytes(text);
  const kind = framing.readHead(buf, request, LIMIT);
  const end = kind === HeadKind.Final ? framing.bodyEnd(buf, framing.headEnd) : -1;
  return { framing, kind, end, buf };
}

describe('response framing', () => {
  test('Content-Length: the end is counted across buffers; bytes after it are not part of the response', () => {
    const { framing, end, buf } = frame('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n1234');
    assert.equal(end, buf.length);
    assert.equal(framing.phase, Framing.Length);
    assert.equal(framing.bodyEnd(bytes('5678'), 0), 4);
    assert.equal(framing.phase, Framing.Length);
    assert.equal(framing.bodyEnd(bytes('90HTTP/1.1 200 OK'), 0), 2, 'the next bytes are out of step');
    assert.equal(framing.phase, Framing.Done);
    assert.equal(framing.bodyEnd(bytes('more'), 0), 0, 'nothing more belongs to a done response');
  });

  test('a head and its whole body in one buffer is done at once', () => {
    const { framing, end, buf } = frame('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
    assert.equal(end, buf.length);
    assert.equal(framing.phase, Framing.Done);
    assert.equal(framing.head?.status, 200);
  });

  test('chunked: the end is found across buffers, even inside the final CRLF', () => {
    const { framing, end, buf } = frame('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
    assert.equal(end, buf.length);
    assert.equal(framing.phase, Framing.Chunked);
    assert.equal(framing.bodyEnd(bytes('lo\r\n0\r\n\r'), 0), 8);
    assert.equal(framing.phase, Framing.Chunked);
    assert.equal(framing.bodyEnd(bytes('\nextra'), 0), 1);
    assert.equal(framing.phase, Framing.Done);
  });

  test('malformed chunked data throws, naming the problem', () => {
    const { framing } = frame('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.throws(() => framing.bodyEnd(bytes('zz\r\n'), 0), /Malformed chunk size/);
  });

  test('no body: answers to HEAD, 204 and 304, and Content-Length: 0', () => {
    assert.equal(frame('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', HEAD).framing.phase, Framing.Done);
    assert.equal(frame('HTTP/1.1 204 No Content\r\n\r\n').framing.phase, Framing.Done);
    assert.equal(frame('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n').framing.phase, Framing.Done);
    const empty = frame('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    assert.equal(empty.framing.phase, Framing.Done);
    assert.equal(empty.end, empty.buf.length, 'the head itself is written');
  });

  test('no length: the response runs until the worker closes the connection', () => {
    const { framing, end, buf } = frame('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome');
    assert.equal(end, buf.length);
    assert.equal(framing.phase, Framing.UntilClose);
    assert.equal(framing.bodyEnd(bytes('more'), 0), 4);
    assert.equal(framing.closed(), true);
    assert.equal(framing.phase, Framing.Done);
    const framed = frame('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n').framing;
    assert.equal(framed.closed(), false, 'a close cuts a framed response short');
  });

  test('a head split across buffers is held until complete', () => {
    const framing = new ResponseFraming();
    assert.equal(framing.readHead(framing.withHeld(bytes('HTTP/1.1 200 OK\r\nContent-')), GET, LIMIT), HeadKind.Partial);
    const buf = framing.withHeld(bytes('Length: 3\r\n\r\nabc'));
    assert.equal(buf.toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
    assert.equal(framing.readHead(buf, GET, LIMIT), HeadKind.Final);
    assert.equal(framing.headEnd, buf.length - 3);
    assert.equal(framing.headTextEnd, buf.length - 7);
  });

  test('interim heads come before the final one; 101 is a tunnel only for an upgrade request', () => {
    const framing = new ResponseFraming();
    const buf = bytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    assert.equal(framing.readHead(buf, GET, LIMIT), HeadKind.Interim);
    assert.equal(framing.phase, Framing.Head, 'still reading heads');
    assert.equal(framing.readHead(buf.subarray(framing.headEnd), GET, LIMIT), HeadKind.Final);
    const switching = bytes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    assert.equal(new ResponseFraming().readHead(switching, UPGRADE, LIMIT), HeadKind.Upgrade);
    assert.equal(new ResponseFraming().readHead(switching, GET, LIMIT), HeadKind.Interim);
  });

  test('invalid and oversized heads throw messages that name the problem', () => {
    assert.throws(() => new ResponseFraming().readHead(bytes('NOT HTTP\r\n\r\n'), GET, LIMIT));
    assert.throws(() => new ResponseFraming().readHead(Buffer.alloc(100, 0x61), GET, 50), /larger than maxRequestBufferSize \(50 bytes\)/);
  });

  test('reset makes a pooled connection ready for the next response', () => {
    const { framing } = frame('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab');
    framing.reset();
    assert.equal(framing.phase, Framing.Head);
    assert.equal(framing.head, null);
    assert.equal(framing.readHead(bytes('HTTP/1.1 204 No Content\r\n\r\n'), GET, LIMIT), HeadKind.Final);
  });

  test("rebuildHead adds Berth's lines before the blank line, may drop Connection (and Keep-Alive), and keeps the body bytes", () => {
    const buf = bytes('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\nkeep-alive: timeout=5\r\n\r\nhi');
    const end = buf.indexOf('\r\n\r\n');
    const out = rebuildHead(buf, end, end + 4, 'Set-Cookie: a=1', true).toString('latin1');
    assert.equal(out, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\n\r\nhi');
    const kept = rebuildHead(buf, end, end + 4, 'X: y', false).toString('latin1');
    assert.equal(kept, 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\nkeep-alive: timeout=5\r\nX: y\r\n\r\nhi');
  });

  test("localResponseHead: Berth's own heads get a length for in-memory bodies and no CR/LF from a reason", () => {
    const body = Buffer.from('héllo');
    const text = localResponseHead({ status: 200, headers: { 'Content-Type': 'text/plain' }, body }, body, false).toString('latin1');
    assert.equal(text, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n');
    const custom = localResponseHead({ status: 403, reason: 'No\r\nX: y', headers: { 'content-length': '0' } }, Buffer.alloc(0), true).toString('latin1');
    assert.equal(custom, 'HTTP/1.1 403 No  X: y\r\ncontent-length: 0\r\nConnection: close\r\n\r\n');
    assert.match(localResponseHead({ status: 599, headers: {} }, undefined, false).toString('latin1'), /^HTTP\/1\.1 599 OK\r\n\r\n$/);
  });
});
