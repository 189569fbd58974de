import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UpstreamPool } from '../../core/proxy/upstream-pool.js';

let server: net.Server;
let port = 0;
const accepted = new Set<net.Socket>();
const opened = new Set<net.Socket>();

before(async () => {
  server = net.createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => accepted.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  for (const socket of opened) socket.destroy();
  for (const socket of accepted) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** `count` real, connected client sockets. */
async function connect(count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', reject);
          opened.add(socket);
        }),
    ),
  );
}

const NOW = 1_000_000;

describe('UpstreamPool', () => {
  test('sockets start open', async () => {
    const [a] = await connect(1);
    assert.equal(a!.readyState, 'open');
    assert.equal(a!.destroyed, false);
  });

  test('take is last-in first-out', async () => {
    const [a, b, c] = await connect(3);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    pool.put(c!, NOW);
    assert.equal(pool.size, 3);
    assert.equal(pool.take(NOW + 1), c);
    assert.equal(pool.take(NOW + 1), b);
    assert.equal(pool.take(NOW + 1), a);
    assert.equal(pool.take(NOW + 1), undefined);
    assert.equal(pool.size, 0);
    for (const s of [a, b, c]) assert.equal(s!.destroyed, false, 'taken sockets stay open');
  });

  test('an empty pool gives nothing', () => {
    assert.equal(new UpstreamPool(10, 30_000).take(NOW), undefined);
  });

  test('a full pool closes the extra connection', async () => {
    const [a, b, c] = await connect(3);
    const pool = new UpstreamPool(2, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    pool.put(c!, NOW);
    assert.equal(pool.size, 2);
    assert.equal(c!.destroyed, true);
    assert.equal(a!.destroyed, false);
    assert.equal(b!.destroyed, false);
    assert.equal(pool.take(NOW), b);
  });

  test('a pool of size 0 keeps nothing', async () => {
    const [a] = await connect(1);
    const pool = new UpstreamPool(0, 30_000);
    pool.put(a!, NOW);
    assert.equal(pool.size, 0);
    assert.equal(a!.destroyed, true);
  });

  test('maxNamedPipePooledConnectionAge 0 turns pooling off', async () => {
    const [a] = await connect(1);
    const pool = new UpstreamPool(10, 0);
    pool.put(a!, NOW);
    assert.equal(pool.size, 0);
    assert.equal(a!.destroyed, true);
  });

  test('the age limit from maxNamedPipePooledConnectionAge', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 1000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 999), a);
    pool.put(b!, NOW);
    assert.equal(pool.take(NOW + 1000), undefined);
    assert.equal(b!.destroyed, true, 'a connection too old to reuse is closed');
  });

  test('before the worker reports, node\'s default 5 s keep-alive limits reuse to under 4 s', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 3999), a);
    pool.put(b!, NOW);
    assert.equal(pool.take(NOW + 4000), undefined);
    assert.equal(b!.destroyed, true);
  });

  test('setWorkerKeepAlive(5000): never reused after about 4 s', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.setWorkerKeepAlive(5000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 3500), a);
    pool.put(b!, NOW);
    assert.equal(pool.take(NOW + 4000), undefined);
  });

  test('setWorkerKeepAlive with a long keep-alive: maxNamedPipePooledConnectionAge still caps it', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.setWorkerKeepAlive(120_000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 29_999), a);
    pool.put(b!, NOW);
    assert.equal(pool.take(NOW + 30_000), undefined);
  });

  test('setWorkerKeepAlive(0) (the worker never closes idle connections): only the age limit applies', async () => {
    const [a] = await connect(1);
    const pool = new UpstreamPool(10, 30_000);
    pool.setWorkerKeepAlive(0);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 29_999), a);
  });

  test('setWorkerKeepAlive with a short keep-alive keeps half of it', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.setWorkerKeepAlive(1000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 499), a);
    pool.put(b!, NOW);
    assert.equal(pool.take(NOW + 500), undefined);
  });

  test('the age counts from when the connection was returned', async () => {
    const [a] = await connect(1);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    assert.equal(pool.take(NOW + 3000), a);
    pool.put(a!, NOW + 3000);
    assert.equal(pool.take(NOW + 6000), a);
  });

  test('take skips over expired connections to a fresh one', async () => {
    const [fresh, old] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(fresh!, NOW + 5000);
    pool.put(old!, NOW); // returned earlier but pushed last, e.g. a fake clock
    assert.equal(pool.take(NOW + 6000), fresh);
    assert.equal(old!.destroyed, true);
  });

  test('sweep closes the expired connections and keeps the others in order', async () => {
    const [a, b, c] = await connect(3);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW + 2000);
    pool.put(c!, NOW + 3000);
    pool.sweep(NOW + 4500);
    assert.equal(pool.size, 2);
    assert.equal(a!.destroyed, true);
    assert.equal(b!.destroyed, false);
    assert.equal(pool.take(NOW + 4500), c);
    assert.equal(pool.take(NOW + 4500), b);
  });

  test('sweep drops destroyed connections', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    a!.destroy();
    pool.sweep(NOW + 1);
    assert.equal(pool.size, 1);
    assert.equal(pool.take(NOW + 1), b);
  });

  test('take skips destroyed sockets', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    b!.destroy();
    assert.equal(pool.take(NOW + 1), a);
    assert.equal(pool.size, 0);
  });

  test('take skips half-closed sockets and closes them', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    b!.end();
    assert.notEqual(b!.readyState, 'open');
    assert.equal(pool.take(NOW + 1), a);
    assert.equal(b!.destroyed, true);
  });

  test('put refuses a destroyed socket', async () => {
    const [a] = await connect(1);
    const pool = new UpstreamPool(10, 30_000);
    a!.destroy();
    pool.put(a!, NOW);
    assert.equal(pool.size, 0);
  });

  test('remove forgets one idle connection without closing it', async () => {
    const [a, b] = await connect(2);
    const pool = new UpstreamPool(10, 30_000);
    pool.put(a!, NOW);
    pool.put(b!, NOW);
    pool.remove(a!);
    assert.equal(pool.size, 1);
    assert.equal(a!.destroyed, false);
    pool.remove(a!); // not there any more: nothing happens
    assert.equal(pool.size, 1);
    assert.equal(pool.take(NOW), b);
  });

  test('destroyAll closes every idle connection', async () => {
    const sockets = await connect(3);
    const pool = new UpstreamPool(10, 30_000);
    for (const s of sockets) pool.put(s, NOW);
    pool.destroyAll();
    assert.equal(pool.size, 0);
    for (const s of sockets) assert.equal(s.destroyed, true);
    assert.equal(pool.take(NOW), undefined);
  });
});
