/**
 * HTTPS from a fresh `berth serve` (issue 18's "done when"): a new Berth home gets its CA at start, the app answers
 * over HTTP/2 to a client that trusts only that CA (node's http2 client, and curl when it has HTTP/2), a taken
 * port given with --https-port is an error that names it, and `berth trust --print` / `berth untrust --print` print
 * the commands for this system without changing anything.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { interrupt } from '../helpers/interrupt.js';
import { runBerth, type CliRun } from '../helpers/cli.js';
import { FIXTURES, REPO, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

const BERTH = path.join(REPO, 'bin', 'berth.js');

let dir: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-cli-https-'));
  env = { ...process.env, BERTH_HOME: path.join(dir, 'home') };
});
after(() => cleanup());

const berth = (args: string[]): Promise<CliRun> => runBerth(args, { env, cwd: dir });

/** Runs `berth serve` with these arguments until `body` is done, with its output so far. */
async function serving(args: string[], until: RegExp, body: (output: () => string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [BERTH, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let text = '';
  child.stdout!.on('data', (c) => (text += c));
  child.stderr!.on('data', (c) => (text += c));
  try {
    await eventually(() => until.test(text), 20_000);
    await body(() => text);
  } finally {
    interrupt(child);
    await new Promise((r) => child.on('exit', r));
  }
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', args, { windowsHide: true }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr }));
  });
}

describe('berth serve over HTTPS', () => {
  test('a fresh berth serve answers over h2 with a certificate from its new CA', { timeout: 60_000 }, async (t) => {
    const folder = path.join(FIXTURES, 'helloworld');
    await serving([folder, '--port', '0', '--https-port', '0'], /\[helloworld\] running/, async (output) => {
      const match = /HTTPS \(HTTP\/2\) on https:\/\/<app>\.localhost:(\d+)\/ with certificates from the local CA (.+?); /.exec(output());
      assert.ok(match, output());
      const port = Number(match[1]);
      assert.equal(match[2], path.join(dir, 'home', 'ca.pem'));
      const ca = await readFile(match[2]!, 'utf8');
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'helloworld.localhost' });
      try {
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const stream = session.request({ ':path': '/', ':authority': `helloworld.localhost:${port}` });
          let status = 0;
          let body = '';
          stream.on('response', (headers) => (status = Number(headers[':status'])));
          stream.on('data', (c: Buffer) => (body += c.toString()));
          stream.on('end', () => resolve({ status, body }));
          stream.on('error', reject);
        });
        assert.equal(session.alpnProtocol, 'h2');
        assert.equal(status, 200);
        assert.match(body, /Hello, world!/);
      } finally {
        session.close();
      }
      // The same with curl, as a user would check it (when this system's curl has HTTP/2).
      const version = await curl(['--version']);
      if (version.code !== 0 || !/\bHTTP2\b/.test(version.stdout)) {
        t.diagnostic(`curl with HTTP/2 is not available here (${version.code === 0 ? 'no HTTP2 feature' : 'no curl'}); node's http2 client checked the same`);
        return;
      }
      // --resolve: not every resolver maps *.localhost to loopback.
      const answer = await curl(['-sS', '--http2', '--cacert', match[2]!, '--resolve', `helloworld.localhost:${port}:127.0.0.1`, '-w', '\n%{http_version}', `https://helloworld.localhost:${port}/`]);
      assert.equal(answer.code, 0, answer.stderr);
      assert.match(answer.stdout, /Hello, world!\n2$/);
    });
  });

  test('an --https-port that is taken: berth serve fails and names the option', { timeout: 60_000 }, async () => {
    // (Only an explicit --https-port is an error: without one, a taken 8443 leaves plain HTTP running, see https.test.)
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      const run = await berth(['serve', '--port', '0', '--https-port', String(taken)]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`Port ${taken} on 127\\.0\\.0\\.1 is already in use.*--https-port`));
    } finally {
      holder.close();
    }
  });

  test('berth trust --print and berth untrust --print show this system’s commands and change nothing', async () => {
    const trusted = await berth(['trust', '--print']);
    assert.equal(trusted.code, 0, trusted.stderr);
    const caPath = path.join(dir, 'home', 'ca.pem');
    assert.ok(trusted.stdout.includes(caPath), trusted.stdout);
    const expected = process.platform === 'win32' ? 'certutil -user -addstore Root' : process.platform === 'darwin' ? 'security add-trusted-cert' : 'update-ca-certificates';
    assert.ok(trusted.stdout.includes(expected), trusted.stdout);
    const untrusted = await berth(['untrust', '--print']);
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.match(untrusted.stdout, process.platform === 'win32' ? /certutil -user -delstore Root [0-9A-F]{40}/ : /--remove|-delete|-D -n/);
    assert.equal((await berth(['trust', '--now'])).code, 2);
  });
});
