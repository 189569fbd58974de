import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Dashboard, DASHBOARD_CSP, dashboardUrl } from '../../core/ui/dashboard.js';

async function built(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-dashboard-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Berth</title>');
  await writeFile(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'notes.txt'), 'not served');
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function serve(dashboard: Dashboard) {
  const server = http.createServer((req, res) => {
    if (!dashboard.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (p: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: p, method, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('web dashboard files', () => {
  test('serves the build: index at /, hashed assets cached for good, with a strict policy', async () => {
    const { dir, cleanup } = await built();
    const dashboard = (await Dashboard.load(dir))!;
    const s = await serve(dashboard);
    try {
      const index = await s.get('/');
      assert.equal(index.status, 200);
      assert.equal(index.body, '<!doctype html><title>Berth</title>');
      assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(index.headers['cache-control'], 'no-cache');
      assert.equal(index.headers['content-security-policy'], DASHBOARD_CSP);
      assert.equal(index.headers['x-frame-options'], 'DENY');
      const asset = await s.get('/assets/index-abc.js?v=1');
      assert.equal(asset.status, 200);
      assert.match(asset.headers['cache-control']!, /immutable/);
      assert.equal((await s.get('/', {}, 'HEAD')).body, '');
    } finally {
      await s.close();
      await cleanup();
    }
  });

  test('answers only its own files, only to loopback host names, only GET and HEAD', async () => {
    const { dir, cleanup } = await built();
    const s = await serve((await Dashboard.load(dir))!);
    try {
      for (const p of ['/notes.txt', '/../index.html', '/assets/../index.html', '/%2e%2e/etc/passwd', '/assets', '/index.html/']) {
        assert.equal((await s.get(p)).status, 404, p);
      }
      assert.equal((await s.get('/', { host: 'evil.example:1234' })).status, 403);
      assert.equal((await s.get('/', { host: 'localhost:9' })).status, 200);
      assert.equal((await s.get('/', {}, 'POST')).status, 404);
    } finally {
      await s.close();
      await cleanup();
    }
  });

  test('no build, no dashboard; the address carries the token in its fragment', async () => {
    assert.equal(await Dashboard.load(path.join(os.tmpdir(), 'berth-no-such-build')), undefined);
    assert.equal(dashboardUrl('ws://127.0.0.1:49152/control', 'a+b/c'), 'http://127.0.0.1:49152/#token=a%2Bb%2Fc');
  });
});
