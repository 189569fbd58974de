/**
 * Strict HTTP/1.1 heads (issue 16, item 4) and a seeded fuzz of request heads and chunked bodies (item 5), against a
 * live engine whose app records every request target it receives: Berth answers malformed heads with a 400 itself,
 * closes the connection, and never forwards a head its own parser refused; a well-formed request on another
 * connection is always answered.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findHeadEnd, parseRequestHead } from '../../core/proxy/http-parse.js';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

const HOST = 'recorder.localhost';

/**
 * Sends `bytes` and collects the answer until the server closes (or `timeoutMs`, then gives up). It does not
 * half-close, so that Berth, not the client's FIN, is what ends the connection.
 */
function exchange(port: number, bytes: Buffer, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.write(bytes);
  });
}

/** What Berth's own parser says of the first request in `bytes`: 'rejected', 'accepted' or 'incomplete'. */
function verdict(bytes: Buffer): 'rejected' | 'accepted' | 'incomplete' {
  let start = 0;
  while (start + 1 < bytes.length && bytes[start] === 13 && bytes[start + 1] === 10) start += 2;
  const end = findHeadEnd(bytes, start);
  if (end === -1) return 'incomplete';
  try {
    parseRequestHead(bytes.toString('latin1', start, end));
    return 'accepted';
  } catch {
    return 'rejected';
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same cases, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('strict HTTP/1.1 heads', () => {
  let t: TestEngine;
  let cleanup: () => Promise<void>;
  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    t = await startEngine();
    const folder = await copyFixture('recorder', dir, 'recorder');
    // Berth's own parser is what is tested: the proxy lane. (On the fast lane Berth checks the first head, and node's
    // strict parser in the worker the rest of the connection, as under cluster.)
    await writeFile(path.join(folder, 'berth.yml'), 'nodeProcessCountPerApplication: 1\nconnectionHandoff: off\n');
    await addRunningApp(t, folder);
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  const seen = async (): Promise<{ seen: string[]; clientErrors: number }> =>
    JSON.parse((await request(t.port, { host: HOST, path: '/__seen' })).body) as { seen: string[]; clientErrors: number };

  test('a request made only of bare LFs is answered 400 at once and the connection closed', async () => {
    const { text, closed } = await exchange(t.port, Buffer.from('\n\n\n\n\n\n'), 60_000);
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.ok(closed);
    // Without half-closing either: the client keeps the connection open, Berth still answers and closes.
    const socket = net.connect(t.port, '127.0.0.1');
    socket.write('\n\n\n');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (c) => (got += c.toString('latin1')));
      socket.on('close', () => resolve(got));
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
  });

  const cases: Array<[string, string]> = [
    ['a bare LF ending the request line', `GET /case-1 HTTP/1.1\nHost: ${HOST}\r\n\r\n`],
    ['a bare LF between headers', `GET /case-2 HTTP/1.1\r\nHost: ${HOST}\nX-A: b\r\n\r\n`],
    ['a bare CR in a value', `GET /case-3 HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\rb\r\n\r\n`],
    ['a NUL in a value', `GET /case-4 HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\0b\r\n\r\n`],
    ['an escape character in a value', `GET /case-5 HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\x1bb\r\n\r\n`],
    ['a control character in a name', `GET /case-6 HTTP/1.1\r\nHost: ${HOST}\r\nX\x01A: b\r\n\r\n`],
    ['a separator in a name', `GET /case-7 HTTP/1.1\r\nHost: ${HOST}\r\nX(A): b\r\n\r\n`],
    ['a non-breaking space after chunked', `POST /case-8 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n`],
    ['a NUL in the target', `GET /case-9\0 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`],
    ['CL and TE together (kept)', `POST /case-11 HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['conflicting Content-Length (kept)', `POST /case-12 HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
    ['a bare LF in a chunk extension', `POST /case-10 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n1;a\nb\r\nx\r\n0\r\n\r\n`],
  ];
  for (const [name, bytes] of cases) {
    test(`400 from Berth, connection closed, nothing forwarded: ${name}`, async () => {
      const { text, closed } = await exchange(t.port, Buffer.from(bytes, 'latin1'), 30_000);
      assert.match(text, /^HTTP\/1\.1 400 /, JSON.stringify(text.slice(0, 200)));
      assert.ok(closed, 'the connection is closed');
      const marker = /\/case-\d+/.exec(bytes)![0];
      // A chunk extension is in the body: the head before it was fine and was forwarded, then the exchange aborted
      // (the app sees a message cut short).
      if (name.includes('chunk extension')) return;
      const recorded = await seen();
      assert.ok(!recorded.seen.some((url) => url.startsWith(marker)), `${marker} was not forwarded`);
      assert.equal(recorded.clientErrors, 0, "the app's own HTTP parser never had to refuse a head");
    });
  }

  test('a well-formed request passes: the recorder is really recording', async () => {
    const { text } = await exchange(t.port, Buffer.from(`GET /case-ok HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`));
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok((await seen()).seen.includes('/case-ok'));
  });

  test('fuzz: seeded random and mutated heads and chunked bodies', async () => {
    const rnd = random(0x16b3127);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const nasty = ['\r', '\n', '\0', '\t', ' ', '\xa0', '\x01', '\x7f', ':', ',', ';', '"', '\xff', '\r\n', '\r\n\r\n', '0', 'f'];
    const bodies = ['', '0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', '3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n', 'fffffffffffffff\r\n', '2\r\nabc\r\n0\r\n\r\n'];
    const template = (id: number): string => {
      const lines = [`${pick(['GET', 'POST', 'PUT', 'G T', 'get'])} /fz${id}z${id}z${pick(['', '?a=1', '/x y', '%00'])} ${pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2'])}`, `Host: ${HOST}`];
      const extra = ['Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked ', 'Content-Length: 5', 'Content-Length: 0', 'Content-Length: -1', 'Connection: close', 'X-A: b', 'Cookie: a=1', 'Upgrade: x'];
      for (let n = Math.floor(rnd() * 4); n > 0; n--) lines.push(pick(extra));
      return `${lines.join('\r\n')}\r\n\r\n${lines.some((l) => l.startsWith('Transfer')) ? pick(bodies) : pick(['', 'hello', '12345'])}`;
    };
    const mutate = (text: string): string => {
      let out = text;
      for (let n = Math.floor(rnd() * 3); n > 0; n--) {
        const at = Math.floor(rnd() * out.length);
        const op = rnd();
        if (op < 0.5) out = out.slice(0, at) + pick(nasty) + out.slice(at);
        else if (op < 0.75) out = out.slice(0, at) + out.slice(at + 1);
        else out = out.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 256)) + out.slice(at + 1);
      }
      return out;
    };

    const COUNT = 240;
    const deadline = Date.now() + 60_000; // bounded in time too, on a busy machine
    const rejectedIds: number[] = [];
    const cases = new Map<number, string>();
    let sent = 0;
    for (let batch = 0; batch < COUNT / 12 && Date.now() < deadline; batch++) {
      const inputs = Array.from({ length: 12 }, (_, i) => {
        const id = batch * 12 + i;
        return { id, bytes: Buffer.from(rnd() < 0.2 ? template(id) : mutate(template(id)), 'latin1') };
      });
      // Rejected heads are answered at once; for accepted ones the answer does not matter (they may wait for a body).
      const results = await Promise.all(inputs.map((input) => exchange(t.port, input.bytes, verdict(input.bytes) === 'rejected' ? 30_000 : 1000)));
      inputs.forEach((input, i) => {
        if (verdict(input.bytes) !== 'rejected') return;
        rejectedIds.push(input.id);
        cases.set(input.id, input.bytes.toString('latin1'));
        const status = /^HTTP\/1\.1 (\d{3}) /.exec(results[i]!.text)?.[1];
        assert.ok(status === '400' || status === '501', `case ${input.id} ${JSON.stringify(input.bytes.toString('latin1'))}: Berth answered ${status}`);
      });
      sent += inputs.length;
      // Meanwhile, a well-formed request on its own connection is always answered.
      assert.equal((await request(t.port, { host: HOST, path: `/alive-${batch}` })).status, 200);
    }
    assert.ok(sent >= 48, `only ${sent} cases ran`);
    assert.ok(rejectedIds.length > sent / 10, `the generator produced enough malformed heads (${rejectedIds.length} of ${sent})`);
    // The id is written twice, so that a mutation of one copy (16 -> 6) cannot pass for another case.
    const forwarded = new Set((await seen()).seen.map((url) => /^\/fz(\d+)z\1z/.exec(url)?.[1]).filter(Boolean).map(Number));
    const leaked = rejectedIds.filter((id) => forwarded.has(id)).map((id) => cases.get(id));
    assert.deepEqual(leaked, [], 'no head that Berth rejects reached the app');
  });
});
