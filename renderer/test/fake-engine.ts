/**
 * A stand-in engine for component and store tests: it speaks the control protocol over a fake WebSocket, so the
 * real client, session and stores run unchanged. Calls are answered by per-method handlers; pushes are sent by the
 * test. (The end-to-end tests use the real engine.)
 */
import type { ErrorCode, Method, Params, Result, Topic, Topics } from '../../core/control/protocol.js';
import type { SocketFactory, SocketLike } from '../src/api/control-client.js';

type Handler<M extends Method> = (params: Params<M>) => Result<M> | Promise<Result<M>>;

export class FakeCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    private readonly engine: FakeEngine,
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string): void {
    void this.engine.receive(this, JSON.parse(data) as { id: number; method: Method; params: unknown });
  }

  deliver(message: unknown): void {
    if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(message) });
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.engine.sockets.delete(this);
    this.onclose?.({ code, reason });
  }
}

export class FakeEngine {
  readonly sockets = new Set<FakeSocket>();
  /** Every call received, in order. */
  readonly calls: { method: Method; params: unknown }[] = [];
  private readonly handlers = new Map<Method, Handler<Method>>();
  private readonly subscriptions = new Map<string, { socket: FakeSocket; topic: Topic; params: unknown }>();
  private nextSubscription = 1;
  /** The token sockets must offer (a wrong one is refused as the real engine does: the socket closes). */
  token = 'secret';

  readonly socket: SocketFactory = (url, protocols) => {
    const socket = new FakeSocket(this, url, protocols);
    this.sockets.add(socket);
    queueMicrotask(() => {
      if (!protocols.includes(`berth.token.${this.token}`)) {
        socket.close(1006, '');
        return;
      }
      socket.readyState = 1;
      socket.onopen?.({});
      socket.deliver({ kind: 'hello', protocol: 1, version: '0.0.0-test', pid: 1 });
    });
    return socket;
  };

  constructor() {
    this.on('engine.info', () => ({
      version: '0.0.0-test',
      protocol: 1,
      pid: 1,
      platform: 'win32',
      startedAt: Date.now(),
      frontUrl: 'http://127.0.0.1:8080/',
      controlUrl: 'ws://127.0.0.1:1/control',
      home: '/home/test/.config/berth',
      mode: 'registry',
      registryFile: '/home/test/.config/berth/apps.yml',
    }));
    this.on('events.subscribe', () => ({ subscription: '' }));
    this.on('metrics.subscribe', () => ({ subscription: '' }));
    this.on('logs.subscribe', () => ({ subscription: '', lines: [] }));
    this.on('unsubscribe', (p) => ({ subscription: p.subscription }));
  }

  on<M extends Method>(method: M, handler: Handler<M>): this {
    this.handlers.set(method, handler as unknown as Handler<Method>);
    return this;
  }

  async receive(socket: FakeSocket, message: { id: number; method: Method; params: unknown }): Promise<void> {
    this.calls.push({ method: message.method, params: message.params });
    const handler = this.handlers.get(message.method);
    try {
      if (!handler) throw new FakeCallError('NOT_IMPLEMENTED', `${message.method} is not available in this version of Berth yet.`);
      const result = (await handler(message.params as never)) as unknown;
      const topic = ({ 'events.subscribe': 'events', 'logs.subscribe': 'logs', 'metrics.subscribe': 'metrics' } as Record<string, Topic>)[message.method];
      if (topic) {
        const id = `s${this.nextSubscription++}`;
        this.subscriptions.set(id, { socket, topic, params: message.params });
        socket.deliver({ kind: 'response', id: message.id, ok: true, result: { ...(result as object), subscription: id } });
      } else {
        if (message.method === 'unsubscribe') this.subscriptions.delete((message.params as { subscription: string }).subscription);
        socket.deliver({ kind: 'response', id: message.id, ok: true, result });
      }
    } catch (error) {
      const e = error as FakeCallError;
      socket.deliver({ kind: 'response', id: message.id, ok: false, error: { code: e.code ?? 'INTERNAL', message: e.message, ...(e.details ? { details: e.details } : {}) } });
    }
  }

  /** Pushes to every subscription of this topic (optionally only those whose params match). */
  push<T extends Topic>(topic: T, data: Topics[T], filter?: (params: unknown) => boolean, dropped = 0): number {
    let count = 0;
    for (const [id, sub] of this.subscriptions) {
      if (sub.topic !== topic || (filter && !filter(sub.params))) continue;
      sub.socket.deliver({ kind: 'push', subscription: id, topic, data, ...(dropped ? { dropped } : {}) });
      count++;
    }
    return count;
  }

  subscriptionCount(topic?: Topic): number {
    return [...this.subscriptions.values()].filter((s) => !topic || s.topic === topic).length;
  }

  /** Drops every connection, as an engine that died would. */
  dropAll(): void {
    for (const socket of [...this.sockets]) socket.close(1006, 'engine gone');
    this.subscriptions.clear();
  }
}

/**
 * Waits until `check` holds (for state that settles after a few microtasks or a debounce). The limit only bounds a
 * failing test; it is generous because a loaded machine can be slow to run even a few microtasks.
 */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
