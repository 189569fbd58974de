/**
 * The client connection and its exchanges over in-memory sockets: the client and the worker's pooled connections
 * are stream pairs the test drives byte by byte; a fresh connection (the replay) goes to a real pipe server.
 * The end-to-end behaviour through real workers is covered by request-pipeline, websocket and upgrade tests.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { endpointId, workerEndpoint } from '../../core/platform/platform.js';
import { ClientConnection } from '../../core/proxy/client-connection.js';
import { DEFAULT_CLIENT_LIMITS } from '../../core/proxy/client-limits.js';
import type { ProxyApp, RequestTotals, Router } from '../../core/proxy/proxy-app.js';
import { wireUpstream } from '../../core/proxy/upstream-link.js';
import { UpstreamPool } from '../../core/proxy/upstream-pool.js';
import { Worker } from '../../core/worker/worker.js';
import { memoryConnection, type MemoryConnection } from '../helpers/memory-socket.js';

const TIMEOUT = { timeout: 15_000 };

let worker: Worker<UpstreamPool>;
let totals: RequestTotals;
let router: Router;

/** A worker object that is not spawned: the test plays its app, on pooled in-memory connections. */
function readyWorker(): Worker<UpstreamPool> {
  const w = new Worker({
    command: [process.execPath],
    entry: 'app.js',
    cwd: process.cwd(),
    env: {},
    endpoint: workerEndpoint(process.platform, endpointId()),
    generation: 1,
    index: 0,
    platform: process.platform,
    pool: new UpstreamPool(4, 60_000),
  });
  w.state = 'ready';
  return w;
}

function appFor(w: Worker<UpstreamPool>): ProxyApp {
  return {
    name: 'unit',
    maxRequestBufferSize: 64 * 1024,
    connectRetries: 3,
    connectRetryDelayMs: 10,
    requestTimeoutMs: 0,
    forwarding: { enableXFF: false, promoteServerVars: [] },
    showErrorDetails: () => true,
    intercept: () => undefined,
    pick: () => ({ worker: w }),
    debugHeaderEnabled: false,
    debugHeader: () => undefined,
    describeWorkerExit: () => ({}),
  };
}

/** A client connected to the proxy. */
function client(): MemoryConnection {
  const connection = memoryConnection();
  new ClientConnection(connection.socket, router, totals, DEFAULT_CLIENT_LIMITS);
  return connection;
}

/** An idle keep-alive connection to the worker, in its pool; the returned end plays the app. */
function pooledConnection(): MemoryConnection {
  const connection = memoryConnection();
  worker.pool.put(wireUpstream(connection.socket, worker.pool));
  return connection;
}

/**
 * A server on the worker's real endpoint (a pipe), playing the app: `onConnection` gets each connection it accepts.
 * `close` ends the pool's and the server's connections and removes the pipe.
 */
async function pipeServer(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; close(): Promise<void> }> {
  const accepted = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(worker.endpoint, resolve));
  return {
    server,
    async close() {
      worker.pool.destroyAll();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (process.platform !== 'win32') rmSync(worker.endpoint, { force: true });
    },
  };
}

beforeEach(() => {
  worker = readyWorker();
  totals = { totalRequests: 0 };
  const app = appFor(worker);
  router = { route: () => app, hostedApps: () => [] };
});

afterEach(() => worker.pool.destroyAll());

describe('exchange: framing through a pooled connection', () => {
  test('a response split anywhere reaches the client as sent; the connection returns to the pool; counts balance', TIMEOUT, async () => {
    const app = pooledConnection();
    const browser = client();
    const request = 'GET /a HTTP/1.1\r\nHost: unit\r\n\r\n';
    browser.peer.write(request);
    assert.equal(await app.until('\r\n\r\n'), request, 'the head is forwarded byte for byte');
    assert.equal(worker.active, 1);
    const response = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    for (const piece of ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 5\r\n\r\nhel', 'lo']) app.peer.write(piece);
    assert.equal(await browser.until('hello'), response);
    assert.equal(worker.active, 0);
    assert.equal(worker.totalRequests, 1);
    assert.equal(totals.totalRequests, 1);
    assert.equal(worker.pool.size, 1, 'the worker connection is reusable');

    // The client's next request goes over the same worker connection.
    browser.peer.write('GET /b HTTP/1.1\r\nHost: unit\r\n\r\n');
    await app.until('GET /b');
    app.peer.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    await browser.until('0\r\n\r\n');
    assert.equal(worker.active, 0);
    assert.equal(worker.pool.size, 1);
  });

  test('pipelined requests are answered in turn, the second sent only after the first response', TIMEOUT, async () => {
    const app = pooledConnection();
    const browser = client();
    browser.peer.write('GET /1 HTTP/1.1\r\nHost: unit\r\n\r\nGET /2 HTTP/1.1\r\nHost: unit\r\n\r\n');
    await app.until('GET /1');
    app.peer.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none');
    await app.until('GET /2');
    assert.ok(browser.received().endsWith('one'), 'the first response came before the second request left');
    app.peer.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo');
    assert.equal(await browser.until('two'), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\noneHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo');
    assert.equal(worker.active, 0);
  });

  test('a response that ends before its request body keeps neither connection', TIMEOUT, async () => {
    const app = pooledConnection();
    const browser = client();
    browser.peer.write('POST /upload HTTP/1.1\r\nHost: unit\r\nContent-Length: 100\r\n\r\npart');
    await app.until('part');
    app.peer.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n');
    await browser.until('413');
    await browser.ended;
    await app.ended;
    assert.equal(worker.active, 0);
    assert.equal(worker.pool.size, 0);
  });
});

describe('exchange: an answer before the end of the request body', () => {
  test('a response whose head comes during the body says Connection: close and closes the client after it', TIMEOUT, async () => {
    const app = pooledConnection();
    const browser = client();
    browser.peer.write('POST /stream HTTP/1.1\r\nHost: unit\r\nContent-Length: 6\r\n\r\nabc');
    await app.until('abc');
    app.peer.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok');
    assert.equal(await browser.until('ok'), 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nok');
    browser.peer.write('def'); // the rest of the body still reaches the app, which answers on
    await app.until('def');
    app.peer.write('!!');
    await browser.ended;
    assert.equal(browser.received(), 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nok!!');
    assert.equal(worker.active, 0);
    assert.equal(worker.pool.size, 1, 'the worker connection read the whole request: it is reusable');
  });

  describe('over a real pipe, the worker closing after its answer', () => {
    let pipe: Awaited<ReturnType<typeof pipeServer>>;
    /** What the worker does once a request head has arrived; `socket` is its side of the connection. */
    let onHead: (socket: net.Socket) => void;

    beforeEach(async () => {
      pipe = await pipeServer((socket) => {
        let text = '';
        const read = (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (!text.includes('\r\n\r\n')) return;
          socket.off('data', read);
          socket.pause(); // the worker reads no body
          onHead(socket);
        };
        socket.on('data', read);
      });
    });

    afterEach(() => pipe.close());

    /** A pooled connection to the test's pipe server, as the proxy would have kept one. */
    async function pooledPipe(): Promise<void> {
      const socket = net.connect(worker.endpoint);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      worker.pool.put(wireUpstream(socket, worker.pool));
    }

    const ANSWER = 'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n{"code":1,"message":"Session ID unknown"}\n';

    test('a body write that fails before the answer is read: the client still gets the answer, then the close', TIMEOUT, async () => {
      await pooledPipe();
      const browser = client();
      onHead = (socket) => {
        // The answer, then the close; in the same tick, more body, which the proxy writes before it can read the
        // answer: that write fails (EPIPE), and the answer must still reach the client.
        socket.write(ANSWER);
        socket.destroy();
        browser.peer.write(Buffer.alloc(64 * 1024, 0x62));
      };
      browser.peer.write(`POST /socket.io/?transport=polling HTTP/1.1\r\nHost: unit\r\nContent-Length: ${1024 * 1024}\r\n\r\nfirst`);
      assert.match(await browser.until('\r\n\r\n'), /^HTTP\/1\.1 400 /, "the worker's answer, not a 502 page");
      assert.equal(await browser.until('unknown"}\n'), ANSWER.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
      // The client goes on sending a body nobody reads: it is read and dropped, and the connection ends.
      browser.peer.write(Buffer.alloc(256 * 1024, 0x63));
      await browser.ended;
      assert.equal(worker.active, 0);
      assert.equal(worker.pool.size, 0, 'the worker connection is not reused');
    });

    test('a worker that closes without answering, a body write failing: the 502 page that says so', TIMEOUT, async () => {
      await pooledPipe();
      const browser = client();
      onHead = (socket) => {
        socket.destroy();
        browser.peer.write(Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x62), Buffer.from('\r\n')]));
      };
      browser.peer.write('POST /pay HTTP/1.1\r\nHost: unit\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
      const page = await browser.until('</html>');
      assert.match(page, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.match(page, /closed the connection without answering/);
      await browser.ended;
      assert.equal(worker.active, 0);
      assert.equal(worker.pool.size, 0);
    });
  });
});

describe('exchange: one replay of a safe request on a stale pooled connection', () => {
  let pipe: Awaited<ReturnType<typeof pipeServer>>;
  let fresh: string[];

  beforeEach(async () => {
    fresh = [];
    // The fresh connection goes to the worker's real endpoint: a pipe the test serves.
    pipe = await pipeServer((socket) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (!text.includes('\r\n\r\n')) return;
        fresh.push(text);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
      });
    });
  });

  afterEach(() => pipe.close());

  test('a GET whose pooled connection closes unanswered goes again, byte for byte, on a fresh one', TIMEOUT, async () => {
    const stale = pooledConnection();
    const browser = client();
    const request = 'GET /again HTTP/1.1\r\nHost: unit\r\nX-Trace: 1\r\n\r\n';
    browser.peer.write(request);
    await stale.until('\r\n\r\n');
    stale.peer.end(); // the worker had closed it: keep-alive timeout
    assert.match(await browser.until('fresh'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*fresh$/);
    assert.deepEqual(fresh, [request]);
    assert.equal(worker.active, 0);
    assert.equal(worker.pool.size, 1, 'the fresh connection is pooled');
  });

  test('the replay\'s fresh connection is retried when it fails while the worker lives (as a first connect is)', TIMEOUT, async () => {
    // The worker's endpoint answers nothing at the replay's first connect; it listens again once that attempt failed.
    await new Promise<void>((resolve) => pipe.server.close(() => resolve()));
    if (process.platform !== 'win32') rmSync(worker.endpoint, { force: true });
    const connect = net.connect;
    let failedAttempts = 0;
    net.connect = ((...args: Parameters<typeof net.connect>) => {
      const socket = connect(...args);
      socket.once('error', () => {
        if (failedAttempts++ === 0) pipe.server.listen(worker.endpoint);
      });
      return socket;
    }) as typeof net.connect;
    try {
      const stale = pooledConnection();
      const browser = client();
      browser.peer.write('GET /later HTTP/1.1\r\nHost: unit\r\n\r\n');
      await stale.until('\r\n\r\n');
      stale.peer.end();
      assert.match(await browser.until('\r\n\r\n'), /^HTTP\/1\.1 200 OK\r\n/, 'the replay reached the worker, not a "worker gone" page');
      assert.match(await browser.until('fresh'), /fresh$/);
      assert.equal(failedAttempts, 1);
      assert.equal(fresh.length, 1);
      assert.equal(worker.active, 0);
    } finally {
      net.connect = connect;
    }
  });

  test('a POST is not replayed: the client gets the 502 page and the worker no second copy', TIMEOUT, async () => {
    const stale = pooledConnection();
    const browser = client();
    browser.peer.write('POST /pay HTTP/1.1\r\nHost: unit\r\nContent-Length: 2\r\n\r\nok');
    await stale.until('ok');
    stale.peer.end();
    const page = await browser.until('</html>');
    assert.match(page, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(page, /closed the connection without answering/);
    await browser.ended;
    assert.deepEqual(fresh, []);
    assert.equal(worker.active, 0);
  });

  test('a replay happens once: a response cut short after it has started is not repeated', TIMEOUT, async () => {
    const stale = pooledConnection();
    const browser = client();
    browser.peer.write('GET /partial HTTP/1.1\r\nHost: unit\r\n\r\n');
    await stale.until('\r\n\r\n');
    stale.peer.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    await browser.until('abc');
    stale.peer.end();
    await browser.ended;
    assert.ok(browser.peer.destroyed || browser.peer.readableEnded);
    assert.deepEqual(fresh, []);
    assert.equal(worker.active, 0);
  });
});

describe('exchange: upgrade tunnels', () => {
  const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: unit\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
  const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';

  /** A client and the app with an open tunnel between them. */
  async function openTunnel(): Promise<{ app: MemoryConnection; browser: MemoryConnection }> {
    const app = pooledConnection();
    const browser = client();
    browser.peer.write(`${UPGRADE}early`); // bytes of the new protocol right behind the request
    assert.equal(await app.until('\r\n\r\n'), UPGRADE, 'only the head goes before the 101');
    app.peer.write(`${SWITCHING}hello`);
    assert.equal(await browser.until('hello'), `${SWITCHING}hello`);
    assert.equal(await app.until('early'), `${UPGRADE}early`, 'the early bytes follow the 101');
    return { app, browser };
  }

  test('bytes flow both ways as sent; the worker closing ends the client side and the count', TIMEOUT, async () => {
    const { app, browser } = await openTunnel();
    assert.equal(worker.active, 1, 'an open tunnel holds the worker');
    browser.peer.write(Buffer.from([0x81, 0x02, 0x00, 0xff]));
    await app.until('\u0081\u0002\u0000\u00ff');
    app.peer.write('from app');
    await browser.until('from app');
    app.peer.end();
    await browser.ended;
    assert.equal(worker.active, 0);
    assert.equal(worker.pool.size, 0, 'a tunnel connection is never reused');
  });

  test('the client ending its side ends the worker side; the worker may still answer before closing', TIMEOUT, async () => {
    const { app, browser } = await openTunnel();
    browser.peer.end();
    await app.ended;
    app.peer.write('last words');
    await browser.until('last words');
    assert.equal(worker.active, 1);
    app.peer.end();
    await browser.ended;
    assert.equal(worker.active, 0);
  });

  test('a client connection that drops closes the tunnel at once', TIMEOUT, async () => {
    const { app, browser } = await openTunnel();
    browser.socket.destroy(); // what a reset looks like from the proxy's side
    await app.ended;
    assert.equal(worker.active, 0);
  });

  test('a client that sends faster than the worker reads is paused, then resumed', TIMEOUT, async () => {
    const { app, browser } = await openTunnel();
    app.peer.pause(); // the app stops reading
    const big = Buffer.alloc(256 * 1024, 0x61);
    browser.peer.write(big);
    browser.peer.write('END');
    app.peer.resume();
    const all = await app.until('END');
    assert.equal(all.length, UPGRADE.length + 'early'.length + big.length + 3, 'every byte arrives once, in order');
    assert.equal(worker.active, 1);
  });
});
