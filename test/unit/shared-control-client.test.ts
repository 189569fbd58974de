/**
 * The shared control client (core/shared/control-client.ts) over an in-memory socket: the test plays the engine,
 * reading what the client sent and answering by hand, so every message order the real engine may produce (a push
 * right behind its subscribe answer, an answer that never comes, a socket that drops mid-call) is exercised exactly.
 * The same client runs over `ws` in the control-* integration tests and over a fake browser socket in vitest.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ControlClient, ControlError, isNotImplemented, type SocketCloseEvent, type SocketLike } from '../../core/shared/control-client.js';

class MemorySocket implements SocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Every frame the client sent, parsed. */
  readonly sent: { id: number; method: string; params: unknown }[] = [];
  closedWith: { code?: number; reason?: string } | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as MemorySocket['sent'][number]);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.drop(code ?? 1005, reason ?? '');
  }

  /** The engine's side: open and greet. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.deliver({ kind: 'hello', protocol: 1, version: '9.9.9', pid: 42 });
  }

  deliver(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  answer(id: number, result: unknown): void {
    this.deliver({ kind: 'response', id, ok: true, result });
  }

  drop(code: number, reason: string, refusal?: SocketCloseEvent['refusal']): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason, ...(refusal ? { refusal } : {}) });
  }
}

/** Connects over a fresh in-memory socket that the engine side opens right away. */
async function connected(options: { token?: string; callTimeoutMs?: number } = {}) {
  let socket!: MemorySocket;
  const client = await ControlClient.connect({
    url: 'ws://memory/control',
    ...options,
    socket: (url, protocols) => {
      socket = new MemorySocket(url, protocols);
      queueMicrotask(() => socket.open());
      return socket;
    },
  });
  return { client, socket };
}

/** Waits until the client has sent `count` frames (sends happen inside promises). */
async function sent(socket: MemorySocket, count: number): Promise<void> {
  while (socket.sent.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('shared control client', () => {
  test('offers the protocol, and the token only when asked to; resolves with the hello', async () => {
    const withToken = await connected({ token: 's3cret' });
    assert.deepEqual(withToken.socket.protocols, ['berth.v1', 'berth.token.s3cret']);
    assert.equal(withToken.client.hello.version, '9.9.9');
    const withoutToken = await connected();
    assert.deepEqual(withoutToken.socket.protocols, ['berth.v1'], 'a transport that sends the token as a header offers only the protocol');
  });

  test('a refusal the transport could read becomes its code and sentence; an unexplained close says what to check', async () => {
    const refused = ControlClient.connect({
      url: 'ws://memory/control',
      socket: (url, protocols) => {
        const socket = new MemorySocket(url, protocols);
        queueMicrotask(() => socket.drop(1006, '', { code: 'UNAUTHORIZED', message: 'The token is wrong.' }));
        return socket;
      },
    });
    await assert.rejects(refused, { code: 'UNAUTHORIZED', message: 'The token is wrong.' });
    const closed = ControlClient.connect({
      url: 'ws://memory/control',
      socket: (url, protocols) => {
        const socket = new MemorySocket(url, protocols);
        queueMicrotask(() => socket.drop(1006, ''));
        return socket;
      },
    });
    await assert.rejects(closed, (error: ControlError) => error.code === 'CONNECTION_FAILED' && /is the token current/.test(error.message));
  });

  test('anything but a hello first fails the connection and closes the socket', async () => {
    let socket!: MemorySocket;
    const connecting = ControlClient.connect({
      url: 'ws://memory/control',
      socket: (url, protocols) => {
        socket = new MemorySocket(url, protocols);
        queueMicrotask(() => {
          socket.readyState = 1;
          socket.deliver({ kind: 'response', id: 1, ok: true, result: {} });
        });
        return socket;
      },
    });
    await assert.rejects(connecting, { code: 'CONNECTION_FAILED', message: 'The engine sent something other than its greeting.' });
    assert.ok(socket.closedWith);
  });

  test('a silent engine times the connection out', async () => {
    let socket!: MemorySocket;
    const connecting = ControlClient.connect({ url: 'ws://memory/control', timeoutMs: 20, socket: (url, protocols) => (socket = new MemorySocket(url, protocols)) });
    await assert.rejects(connecting, (error: ControlError) => error.code === 'TIMEOUT' && error.message.includes('ws://memory/control'));
    assert.ok(socket.closedWith, 'the half-open socket is closed');
  });

  test('calls carry increasing ids and params ({} when left out); answers and refusals reach the right caller', async () => {
    const { client, socket } = await connected();
    const info = client.call('engine.info');
    const start = client.call('apps.start', { app: 'nope' });
    await sent(socket, 2);
    assert.deepEqual(socket.sent, [
      { id: 1, method: 'engine.info', params: {} },
      { id: 2, method: 'apps.start', params: { app: 'nope' } },
    ]);
    // Answered out of order.
    socket.deliver({ kind: 'response', id: 2, ok: false, error: { code: 'APP_NOT_FOUND', message: 'There is no app named "nope".', details: { app: 'nope' } } });
    socket.answer(1, { version: '9.9.9' });
    assert.deepEqual(await info, { version: '9.9.9' });
    const error = await start.catch((e: unknown) => e);
    assert.ok(error instanceof ControlError);
    assert.deepEqual([error.code, error.message, error.details], ['APP_NOT_FOUND', 'There is no app named "nope".', { app: 'nope' }]);
    assert.equal(isNotImplemented(new ControlError('UNKNOWN_METHOD', 'x')), true);
  });

  test('a call the engine never answers times out, and a late answer is ignored', async () => {
    const { client, socket } = await connected({ callTimeoutMs: 10_000 });
    await assert.rejects(client.call('apps.list', {}, 20), (error: ControlError) => error.code === 'TIMEOUT' && /apps\.list within 20 ms/.test(error.message));
    socket.answer(1, []);
    assert.equal(client.isOpen, true);
  });

  test('pushes that follow the subscribe answer in the same breath reach the subscriber, in order, with drop counts', async () => {
    const { client, socket } = await connected();
    const seen: string[] = [];
    let dropped = 0;
    const subscribing = client.subscribe('events.subscribe', {}, (event, d) => {
      seen.push(event.type);
      dropped += d;
    });
    await sent(socket, 1);
    // The engine answers and pushes at once, before the caller's await resumes.
    socket.answer(1, { subscription: 's1' });
    socket.deliver({ kind: 'push', subscription: 's1', data: { type: 'app-added', app: 'a' } });
    socket.deliver({ kind: 'push', subscription: 's1', data: { type: 'app-removed', app: 'a' }, dropped: 3 });
    socket.deliver({ kind: 'push', subscription: 'other', data: { type: 'app-added', app: 'b' } });
    const sub = await subscribing;
    assert.equal(sub.id, 's1');
    assert.deepEqual(seen, ['app-added', 'app-removed']);
    assert.equal(dropped, 3);

    const unsubscribing = sub.unsubscribe();
    await sent(socket, 2);
    assert.deepEqual(socket.sent[1], { id: 2, method: 'unsubscribe', params: { subscription: 's1' } });
    socket.answer(2, {});
    await unsubscribing;
    socket.deliver({ kind: 'push', subscription: 's1', data: { type: 'app-added', app: 'late' } });
    assert.deepEqual(seen, ['app-added', 'app-removed'], 'nothing after unsubscribing');
  });

  test('the engine ending a subscription calls onEnd with its reason', async () => {
    const { client, socket } = await connected();
    let ended = '';
    const subscribing = client.subscribe('logs.subscribe', { app: 'shop' }, () => undefined, (reason) => (ended = reason));
    await sent(socket, 1);
    socket.answer(1, { subscription: 's7', lines: [] });
    await subscribing;
    socket.deliver({ kind: 'end', subscription: 's7', reason: 'The app shop was removed.' });
    assert.equal(ended, 'The app shop was removed.');
  });

  test('when the socket drops: pending calls fail, subscriptions end, close listeners hear why, later calls fail at once', async () => {
    const { client, socket } = await connected();
    let ended = '';
    const subscribing = client.subscribe('metrics.subscribe', {}, () => undefined, (reason) => (ended = reason));
    await sent(socket, 1);
    socket.answer(1, { subscription: 'm1' });
    await subscribing;
    const heard: ControlError[] = [];
    client.onClose((error) => heard.push(error));
    const pending = client.call('apps.list', {});
    socket.drop(1001, 'engine stopping');
    await assert.rejects(pending, { code: 'CONNECTION_CLOSED', message: 'The engine closed the connection (1001: engine stopping).' });
    assert.equal(ended, 'engine stopping');
    assert.equal(heard.length, 1);
    assert.equal(client.isOpen, false);
    await assert.rejects(client.call('apps.list', {}), { code: 'CONNECTION_CLOSED' });
  });

  test('close() closes the socket politely, fails what is pending, and resolves once the socket is closed', async () => {
    const { client, socket } = await connected();
    const pending = client.call('apps.list', {});
    await client.close();
    assert.deepEqual(socket.closedWith, { code: 1000, reason: 'closed by the client' });
    await assert.rejects(pending, { code: 'CONNECTION_CLOSED' });
    await client.close();
  });

  test('raw frames go out as they are, and every parsed message reaches raw listeners; junk is ignored', async () => {
    const { client, socket } = await connected();
    const raw: unknown[] = [];
    const off = client.onRaw((message) => raw.push(message));
    client.sendRaw('{"id":5,"method":"engine.info"}');
    assert.deepEqual(socket.sent.at(-1), { id: 5, method: 'engine.info' });
    socket.deliver('not json');
    socket.deliver({ kind: 'response', id: 5, ok: true, result: {} });
    off();
    socket.deliver({ kind: 'response', id: 6, ok: true, result: {} });
    assert.deepEqual(raw, [{ kind: 'response', id: 5, ok: true, result: {} }]);
  });
});
