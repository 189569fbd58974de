/** The HTTPS front's pure parts: HTTP/1.1 responses as HTTP/2, the forwarded head over TLS, the CA, the trust commands. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http2';
import { describe, test } from 'node:test';
import { rewriteRequestHead } from '../../core/proxy/forwarding.js';
import { H1ToH2Response } from '../../core/proxy/h2-response.js';
import { parseRequestHead } from '../../core/proxy/http-parse.js';
import { caPaths, LocalCa, LocalCaError } from '../../core/tls/local-ca.js';
import { trustPlan } from '../../core/tls/trust.js';
import { tempDir } from '../helpers/paths.js';

function translate(pieces: string[]): { headers: OutgoingHttpHeaders | undefined; body: string } {
  let headers: OutgoingHttpHeaders | undefined;
  let body = '';
  const reader = new H1ToH2Response({ respond: (h) => (headers = h), data: (b) => ((body += b.toString('latin1')), true) });
  for (const piece of pieces) reader.push(Buffer.from(piece, 'latin1'));
  return { headers, body };
}

describe('HTTP/1.1 responses as HTTP/2', () => {
  test('a chunked body split anywhere is decoded; connection fields are dropped; 1xx heads are skipped', () => {
    const whole = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/plain\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n';
    for (let cut = 1; cut < whole.length; cut += 7) {
      const { headers, body } = translate([whole.slice(0, cut), whole.slice(cut)]);
      assert.equal(body, 'hello, world', `cut at ${cut}`);
      assert.deepEqual(headers, { ':status': 201, 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' });
    }
  });

  test('a body with a length passes as it came', () => {
    assert.deepEqual(translate(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']), { headers: { ':status': 200, 'content-length': '2' }, body: 'ok' });
  });
});

describe('forwarding over TLS', () => {
  const head = parseRequestHead('GET / HTTP/1.1\r\nHost: a.localhost\r\nX-Forwarded-Proto: http');
  const client = { remoteAddress: '127.0.0.1', remotePort: 5000, localAddress: '127.0.0.1', localPort: 8443, secure: true };

  test('X-Forwarded-Proto is https whatever the client said, with or without enableXFF', () => {
    for (const enableXFF of [false, true]) {
      const text = rewriteRequestHead(head, { enableXFF, promoteServerVars: ['HTTPS'] }, client);
      assert.deepEqual(text.match(/X-Forwarded-Proto: .*/gi), ['X-Forwarded-Proto: https']);
      assert.match(text, /X-iisnode-HTTPS: on\r\n/);
    }
  });
});

describe('the local CA', () => {
  test('made once, then reopened; it issues certificates for a name; a missing key is a clear error', async () => {
    const home = await tempDir('berth-ca-');
    try {
      const made = await LocalCa.open(home.dir);
      const reopened = await LocalCa.open(home.dir);
      assert.equal(reopened.pem, made.pem);
      const issued = await reopened.issue('shop.localhost');
      const leaf = new X509Certificate(issued.cert);
      assert.equal(leaf.subjectAltName, 'DNS:shop.localhost');
      assert.ok(leaf.checkIssued(new X509Certificate(made.pem)));
      assert.equal(leaf.ca, false);
      await rm(caPaths(home.dir).key);
      await assert.rejects(LocalCa.open(home.dir), (error: Error) => error instanceof LocalCaError && /ca-key\.pem is missing\. Delete .*ca\.pem/.test(error.message));
      await writeFile(caPaths(home.dir).key, 'not a key');
      await assert.rejects(LocalCa.open(home.dir), /cannot read its local CA/);
    } finally {
      await home.cleanup();
    }
  });
});

describe('trust commands', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBfzCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDEwlCZXJ0aCBD\nQTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMBQxEjAQBgNVBAMTCUJl\ncnRoIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END CERTIFICATE-----\n';
  test('Windows: certutil on the user store; macOS: the login keychain; Linux: system stores and NSS, quoted', async () => {
    const home = await tempDir('berth-trust-');
    try {
      const real = (await LocalCa.open(home.dir)).pem;
      const win = trustPlan('win32', 'C:\\Users\\Ann\\AppData\\Roaming\\Berth\\ca.pem', real);
      assert.equal(win.canInstall, true);
      assert.deepEqual(win.steps[0]!.trust, ['certutil -user -addstore Root "C:\\Users\\Ann\\AppData\\Roaming\\Berth\\ca.pem"']);
      assert.match(win.steps[0]!.untrust[0]!, /^certutil -user -delstore Root [0-9A-F]{40}$/);
      const mac = trustPlan('darwin', "/Users/o'brien/ca.pem", real);
      assert.equal(mac.canInstall, false);
      assert.equal(mac.steps[0]!.trust[0], "security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db '/Users/o'\\''brien/ca.pem'");
      const linux = trustPlan('linux', '/home/ann/.config/berth/ca.pem', real);
      assert.deepEqual(linux.steps.map((s) => s.trust[0]!.split(' ').slice(0, 3).join(' ')), ["sudo cp '/home/ann/.config/berth/ca.pem'", 'sudo trust anchor', 'certutil -d sql:$HOME/.pki/nssdb']);
    } finally {
      await home.cleanup();
    }
    assert.ok(pem.length > 0);
  });
});
