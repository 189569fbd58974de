/**
 * What a running engine has loaded (issue 19, "a lighter engine"): `berth serve` hosting an app and answering a request
 * over HTTP has not loaded what it does not need yet: undici (node's fetch, about 13 MB when node:http is imported the
 * ES way: core/util/node-http.ts), node's HTTP/2 and Berth's TLS front with the X.509 library (loaded at the first
 * HTTPS connection: core/proxy/https-front.ts) and the XML parser (loaded at the first web.config). The engine runs in a small wrapper that records every module loaded through node's hooks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BERTH_BIN } from '../helpers/cli.js';
import { request } from '../helpers/http.js';
import { interrupt } from '../helpers/interrupt.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

test('berth serve with an app, after a request over HTTP, has not loaded undici, HTTP/2, X.509 or XML code', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir('berth-footprint-');
  t.after(cleanup);
  const footprint = path.join(dir, 'footprint.json');
  const recorder = path.join(FIXTURES, 'footprint', 'record-loads.mjs');
  const args = [recorder, 'serve', path.join(FIXTURES, 'helloworld'), '--host', '127.0.0.1', '--port', '0', '--https-port', '0', '--control-port', '0'];
  const env = { ...process.env, BERTH_HOME: path.join(dir, 'home'), BERTH_BIN, FOOTPRINT_FILE: footprint };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise((resolve) => child.on('close', resolve));
  try {
    await eventually(() => /\[helloworld\] running/.test(output), 60_000);
    const port = /Berth is listening on http:\/\/[^\s:]+:(\d+)/.exec(output)?.[1];
    assert.ok(port, output);
    const answer = await request(Number(port), { host: 'helloworld.localhost' });
    assert.equal(answer.status, 200);
  } finally {
    interrupt(child);
    await exited;
  }
  const { builtins, loaded } = JSON.parse(await readFile(footprint, 'utf8')) as { builtins: string[]; loaded: string[] };
  // The recorder saw the engine load (so an empty list cannot pass).
  assert.ok(builtins.some((name) => /\bhttp$/.test(name)), 'node:http was loaded');
  assert.ok(loaded.some((url) => url.includes('/core/engine.js')), 'the engine was loaded');
  assert.deepEqual(builtins.filter((name) => name.includes('undici')), [], 'undici (node:http imported as an ES module?)');
  assert.deepEqual(builtins.filter((name) => /\bhttp2$/.test(name)), [], 'node:http2 (loaded only by the TLS front)');
  assert.deepEqual(loaded.filter((url) => /@peculiar|asn1|pkijs|fast-xml-parser|\/tls-front\.js|\/host-certificates\.js/.test(url)), []);
});
