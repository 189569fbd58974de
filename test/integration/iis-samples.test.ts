/**
 * Acceptance at the module level: iisnode's samples (helloworld, logging, defaultdocument, configuration,
 * urlrewrite, express) and functional tests 102, 103, 108 and 116, each from its fixture folder with nothing
 * edited, through real HTTP and real node processes.
 *
 * The engine's routing is not wired to core/iis yet, so this file carries a small host of its own that does what
 * the engine will do with a site: resolveSiteRequest decides; apps are node processes started per script (PORT on a
 * private socket, appSettings in the environment, working directory = the script's folder) and reached with the
 * original URL; static files go through serveStaticFile; configuration errors get the configuration error page.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configErrorPage, customResponsePage } from '../../core/iis/pages.js';
import { loadSite, resolveSiteRequest, type Site, type SiteApp } from '../../core/iis/site.js';
import { serveStaticFile } from '../../core/iis/static.js';
import { workerEndpoint } from '../../core/platform/platform.js';
import { IISNODE_COMPAT_VERSION } from '../../core/version.js';
import { request } from '../helpers/http.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { PATIENCE } from '../helpers/wine.js';

interface Worker {
  child: ChildProcess;
  endpoint: string;
  stdout: string[];
  ready: Promise<void>;
}

function waitForSocket(endpoint: string, child: ChildProcess, timeoutMs = 15_000 * PATIENCE): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`worker exited with ${child.exitCode} before listening`));
      const socket = net.connect(endpoint);
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > timeoutMs) reject(new Error(`worker did not listen on ${endpoint}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * A connection to a listening worker, retried as the engine's proxy retries its connects (core/proxy/worker-connect.ts:
 * every connect error, within a budget). Under Wine and load a named-pipe connect to a live worker sometimes fails
 * once (`connect UNKNOWN` or `ENOENT` right after another client's connection to it closed); the engine rides that
 * out, so this host must too.
 */
function connectToWorker(endpoint: string, attempts = 40, delayMs = 50): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      socket.destroy();
      if (attempts <= 1) reject(error);
      else setTimeout(() => connectToWorker(endpoint, attempts - 1, delayMs).then(resolve, reject), delayMs);
    });
  });
}

/** What the engine will do with IIS-style sites, reduced to what these tests observe. */
class SiteHost {
  private readonly workers = new Map<string, Worker>();
  private server: http.Server | undefined;
  port = 0;

  constructor(
    private readonly sites: Site[],
    private readonly socketDir: string,
  ) {}

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const w of this.workers.values()) w.child.kill();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  pidOf(script: string): number | undefined {
    return this.workerOf(script)?.child.pid;
  }

  /** Output a script's worker wrote to stdout (the engine writes this into the log folder). */
  stdoutOf(script: string): string {
    return this.workerOf(script)?.stdout.join('') ?? '';
  }

  /** Apps are keyed by script, in lower case where file names are (Windows). */
  private workerOf(script: string): Worker | undefined {
    return this.workers.get(script) ?? this.workers.get(script.toLowerCase());
  }

  private siteFor(url: string): Site | undefined {
    const lower = url.toLowerCase();
    return [...this.sites].sort((a, b) => b.mountPath.length - a.mountPath.length).find((s) => s.mountPath === '' || lower === s.mountPath.toLowerCase() || lower.startsWith(`${s.mountPath.toLowerCase()}/`) || lower.startsWith(`${s.mountPath.toLowerCase()}?`));
  }

  private worker(app: SiteApp): Worker {
    const existing = this.workers.get(app.key);
    if (existing) return existing;
    const endpoint = workerEndpoint(process.platform, randomUUID(), this.socketDir);
    const child = spawn(process.execPath, [app.script], {
      cwd: app.folder,
      env: { ...process.env, ...app.env, PORT: endpoint, IISNODE_VERSION: IISNODE_COMPAT_VERSION },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stdout: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    const w: Worker = { child, endpoint, stdout, ready: waitForSocket(endpoint, child) };
    this.workers.set(app.key, w);
    return w;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const site = this.siteFor(target);
    if (!site) {
      res.writeHead(404).end('no site');
      return;
    }
    const r = await resolveSiteRequest(site, { method: req.method ?? 'GET', target, headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '' });
    switch (r.kind) {
      case 'app': {
        const w = this.worker(r.app);
        await w.ready;
        const headers = { ...req.headers };
        delete headers['x-original-url']; // the proxy drops it: a client must not choose the URL the app sees
        const socket = await connectToWorker(w.endpoint);
        const upstream = http.request({ createConnection: () => socket, method: req.method, path: r.originalUrl, headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', (e) => res.writeHead(502).end(String(e)));
        req.pipe(upstream);
        return;
      }
      case 'static': {
        const out = await serveStaticFile({
          root: site.root,
          file: r.file,
          method: req.method ?? 'GET',
          contentType: r.contentType,
          headers: { range: req.headers.range, ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'], ifRange: req.headers['if-range'] as string | undefined },
          ...r.protection,
        });
        res.writeHead(out.status, out.headers);
        if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) res.end(out.body);
        else (out.body as ReadStream).pipe(res);
        return;
      }
      case 'redirect':
        res.writeHead(r.status, { location: r.location }).end();
        return;
      case 'custom': {
        const page = customResponsePage(r);
        res.writeHead(page.status, page.reason ?? '', page.headers).end(page.body);
        return;
      }
      case 'abort':
        req.socket.destroy();
        return;
      case 'config-error': {
        // Loopback callers only, in this test.
        const page = configErrorPage(r.issues, true);
        res.writeHead(page.status, page.headers).end(page.body);
        return;
      }
      case 'method-not-allowed':
        res.writeHead(405, { allow: r.allow.join(', ') }).end(r.reason);
        return;
      case 'logs':
        res.writeHead(404, { 'x-test-kind': 'logs' }).end('the log viewer is the engine\'s');
        return;
      case 'bad-request':
        res.writeHead(400).end(r.reason);
        return;
      case 'not-found':
        res.writeHead(404).end(r.reason);
        return;
    }
  }
}

describe('iisnode samples and functional tests, from their fixture folders', () => {
  let host: SiteHost;
  let port: number;
  let cleanup: () => Promise<void>;
  const get = (p: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET') => request(port, { path: p, headers, method });

  before(async () => {
    const temp = await tempDir('berth-iis-samples-');
    cleanup = temp.cleanup;
    const mounts: [string, string][] = [
      ['iis-helloworld', '/node/helloworld'],
      ['iis-logging', '/node/logging'],
      ['iis-defaultdocument', '/node/defaultdocument'],
      ['iis-configuration', '/node/configuration'],
      ['iis-urlrewrite', '/node/urlrewrite'],
      ['iis-express', '/node/express'],
      ['iis-102-defaultdocument', '/102_defaultdocument'],
      ['iis-103-urlrewrite', '/103_urlrewrite'],
      ['iis-108-appsettings', '/108_appsettings'],
      ['iis-116-configerror', '/116_configerror'],
      ['iis-multiapp', '/multiapp'],
    ];
    const sites = await Promise.all(mounts.map(([folder, mountPath]) => loadSite(path.join(FIXTURES, folder), { mountPath })));
    host = new SiteHost(sites, temp.dir);
    port = await host.start();
  });
  after(async () => {
    await host.stop();
    await cleanup();
  });

  test('helloworld: hello.js runs; helloClient.js is served as the file it is', async () => {
    const hello = await get('/node/helloworld/hello.js');
    assert.equal(hello.status, 200);
    assert.match(String(hello.headers['content-type']), /text\/html/);
    assert.equal(hello.body, `Hello, world! [helloworld sample; iisnode version is ${IISNODE_COMPAT_VERSION}, node version is ${process.version}]`);
    const client = await get('/node/helloworld/helloClient.js');
    assert.equal(client.status, 200);
    assert.equal(client.headers['content-type'], 'text/javascript');
    assert.equal(client.body, 'var hello = "This is a client side JavaScript file served statically";\n');
    const again = await get('/node/helloworld/helloClient.js', { 'if-none-match': String(client.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal((await get('/node/helloworld/web.config')).status, 404);
  });

  test('logging: the app answers and writes the lines the sample\'s log showed; its log folder is the log viewer\'s', async () => {
    const res = await get('/node/logging/hello.js');
    assert.equal(res.body, 'Hello, world! [logging sample]');
    // The response can arrive before the worker's stdout has crossed its pipe.
    const out = await eventually(() => {
      const text = host.stdoutOf(path.join(FIXTURES, 'iis-logging', 'hello.js'));
      return /A new request arrived/.test(text) ? text : '';
    });
    assert.match(out, /Application has started at location \S+/);
    assert.match(out, /A new request arrived with HTTP headers: \{.*"host":/);
    const index = await get('/node/logging/iisnode/index.html');
    assert.equal(index.headers['x-test-kind'], 'logs');
  });

  test('defaultdocument: the folder URL reaches index.js; without its slash it is redirected first', async () => {
    const res = await get('/node/defaultdocument/');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'You have reached the default node.js application at index.js! [defaultdocument sample]');
    const redirect = await get('/node/defaultdocument');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/node/defaultdocument/');
  });

  test('configuration: the app runs with the full <iisnode> element; its settings files are never served', async () => {
    const res = await get('/node/configuration/hello.js');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'Hello, world! [configuration sample]');
    for (const p of ['/node/configuration/iisnode.yml', '/node/configuration/web.config']) assert.equal((await get(p)).status, 404, p);
  });

  test('urlrewrite: the whole myapp/ branch reaches hello.js, which sees the original URL', async () => {
    assert.equal((await get('/node/urlrewrite/myapp/foo/bar/baz')).body, 'Hello from urlrewrite sample. Request path: /node/urlrewrite/myapp/foo/bar/baz');
    assert.equal((await get('/node/urlrewrite/myapp/1/2/3?param=4')).body, 'Hello from urlrewrite sample. Request path: /node/urlrewrite/myapp/1/2/3?param=4');
    const spoofed = await get('/node/urlrewrite/myapp/real', { 'x-original-url': '/node/urlrewrite/myapp/forged' });
    assert.equal(spoofed.body, 'Hello from urlrewrite sample. Request path: /node/urlrewrite/myapp/real');
  });

  test('express: today\'s Express routes on full paths, and answers its own 404', async () => {
    const foo = await get('/node/express/myapp/foo');
    assert.equal(foo.status, 200);
    assert.equal(foo.body, 'Hello from foo! [express sample]');
    assert.equal((await get('/node/express/myapp/bar')).body, 'Hello from bar! [express sample]');
    const missing = await get('/node/express/myapp/idonotexist');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Cannot GET \/node\/express\/myapp\/idonotexist/);
  });

  test('test 102: a folder URL reaches the default document index.js', async () => {
    const res = await get('/102_defaultdocument/');
    assert.equal(res.status, 200);
    assert.equal(res.body, '[defaultdocument]');
  });

  test('test 103: every URL under hello reaches hello.js, which echoes it unchanged', async () => {
    for (const url of ['/103_urlrewrite/hello', '/103_urlrewrite/hello/', '/103_urlrewrite/hello.js', '/103_urlrewrite/hello?foo=bar', '/103_urlrewrite/hello/a/b/c', '/103_urlrewrite/hello/a/b/c/', '/103_urlrewrite/hello/a/b?foo=bar']) {
      const res = await get(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.body, url);
    }
  });

  test('test 108: appSettings are the worker\'s environment', async () => {
    const res = await get('/108_appsettings/hello.js');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'value1value2');
  });

  test('test 116: an unknown <iisnode> attribute gets the friendly configuration error page, with line and column', async () => {
    const res = await get('/116_configerror/hello.js');
    assert.equal(res.status, 500);
    assert.match(res.body, /Berth was unable to read the configuration file web\.config\. Make sure the web\.config file syntax is correct\./);
    assert.match(res.body, /web\.config:9:14: &lt;iisnode&gt; has an attribute that iisnode does not know: idontexist/);
  });

  test('several apps in one site, each with its own process and environment; .njs runs under node', async () => {
    const tool = await get('/multiapp/tools/a.js/x?y=1');
    assert.equal(tool.body, 'tools/a.js saw GET /multiapp/tools/a.js/x?y=1 SHARED=root ROOT_ONLY=yes TOOL=yes');
    const legacy = await get('/multiapp/legacy/');
    assert.equal(legacy.body, 'legacy/server.js saw GET /multiapp/legacy/ SHARED=legacy ROOT_ONLY=- TOOL=-');
    assert.match((await get('/multiapp/hello.njs')).body, /^hello\.njs saw GET \/multiapp\/hello\.njs SHARED=root/);
    const post = await get('/multiapp/submit.js', { 'content-type': 'text/plain' }, 'POST');
    assert.match(post.body, /^submit\.js saw POST/);
    const source = await get('/multiapp/submit.js');
    assert.equal(source.status, 405);
    assert.doesNotMatch(source.body, /createServer/);
    const client = await get('/multiapp/js/app.js');
    assert.equal(client.body, 'console.log("client-side js/app.js, never run on the server");\n');
    const scripts = ['tools/a.js', 'legacy/server.js', 'hello.njs', 'submit.js'].map((s) => path.join(FIXTURES, 'iis-multiapp', ...s.split('/')));
    const pids = scripts.map((s) => host.pidOf(s));
    assert.ok(pids.every((p) => typeof p === 'number'), 'each script has its own worker');
    assert.equal(new Set(pids).size, scripts.length);
  });
});
