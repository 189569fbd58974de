/**
 * One connection's subscriptions: events, an app's log lines, metrics. Each push names its subscription; what a slow
 * client could not take is bounded (limits.ts) and counted in its next push's `dropped`:
 *
 * - events queue in order, up to MAX_QUEUED_EVENTS (the oldest are dropped);
 * - log batches wait (the tail keeps its own bounded backlog, and drops and counts);
 * - metrics are dropped while the client is congested (the next second's batch replaces them).
 *
 * A subscription's first pushes are held until the response that tells the client its id has gone out.
 */
import type { Engine } from '../engine.js';
import type { EngineEvent } from '../events.js';
import { ControlCallError } from './call-errors.js';
import { MAX_QUEUED_EVENTS, MAX_SUBSCRIPTIONS } from './limits.js';
import { copyLine, ofStreams } from './log-lines.js';
import type { LogStream, MetricsBatch, ServerMessage, Topic, Topics } from './protocol.js';

/** Where pushes go: the connection's socket, with its backlog. */
export interface Outbox {
  send(message: ServerMessage): void;
  /** More is waiting to be sent than HIGH_WATER_BYTES. */
  readonly congested: boolean;
  readonly closed: boolean;
  /** Resolves once the client has read enough of what was sent (or the connection ended). */
  whenDrained(): Promise<void>;
}

export interface Subscription {
  id: string;
  topic: Topic;
  /** The app it follows, if one. */
  app: string | undefined;
  stop: () => void;
  /** Pushes (or events) not delivered to this slow subscriber since its last push. */
  dropped: number;
  /** Deliveries held until the response that opened the subscription has been sent. */
  held: (() => void)[] | undefined;
}

export class Subscriptions {
  private readonly subs = new Map<string, Subscription>();
  private nextSub = 1;
  /** Events waiting for a slow client, in order. */
  private readonly eventQueue: { sub: Subscription; event: EngineEvent }[] = [];
  /** Subscriptions opened by the call being dispatched (collected while its handler runs). */
  private opening: Subscription[] | undefined;

  constructor(
    private readonly out: Outbox,
    private readonly engine: Engine,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  get queuedEvents(): number {
    return this.eventQueue.length;
  }

  /** From now until `takeOpened`, new subscriptions hold their pushes (a call is being dispatched). */
  holdNew(): void {
    this.opening = [];
  }

  /** The subscriptions opened since `holdNew`; later ones deliver at once. */
  takeOpened(): Subscription[] {
    const opened = this.opening ?? [];
    this.opening = undefined;
    return opened;
  }

  /** Delivers what the subscriptions held (the response naming them has gone out). */
  release(opened: readonly Subscription[]): void {
    for (const sub of opened) {
      const held = sub.held ?? [];
      sub.held = undefined;
      for (const deliver of held) deliver();
    }
  }

  private add(topic: Topic, app: string | undefined, start: (sub: Subscription) => () => void): string {
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      throw new ControlCallError('TOO_MANY_SUBSCRIPTIONS', `A connection may hold at most ${MAX_SUBSCRIPTIONS} subscriptions; unsubscribe from some first.`);
    }
    const sub: Subscription = { id: `s${this.nextSub++}`, topic, app, stop: () => undefined, dropped: 0, held: [] };
    this.opening?.push(sub);
    if (!this.opening) sub.held = undefined;
    sub.stop = start(sub);
    this.subs.set(sub.id, sub);
    return sub.id;
  }

  private push<T extends Topic>(sub: Subscription, data: Topics[T]): void {
    if (sub.held) {
      sub.held.push(() => this.push(sub, data));
      return;
    }
    const dropped = sub.dropped;
    sub.dropped = 0;
    this.out.send({ kind: 'push', subscription: sub.id, topic: sub.topic, data, ...(dropped ? { dropped } : {}) } as ServerMessage);
  }

  events(app: string | undefined): string {
    return this.add('events', app, (sub) => {
      const listener = (event: EngineEvent) => {
        if (app !== undefined && (!('app' in event) || event.app !== app)) return;
        if (!this.subs.has(sub.id)) return;
        if (sub.held) sub.held.push(() => this.deliverEvent(sub, event));
        else this.deliverEvent(sub, event);
      };
      this.engine.on('event', listener);
      return () => this.engine.off('event', listener);
    });
  }

  /** Events go out in order; while the client is slow they queue (bounded: the oldest are dropped and counted). */
  private deliverEvent(sub: Subscription, event: EngineEvent): void {
    if (!this.eventQueue.length && !this.out.congested) return this.push(sub, event);
    this.eventQueue.push({ sub, event });
    if (this.eventQueue.length > MAX_QUEUED_EVENTS) {
      const lost = this.eventQueue.shift()!;
      lost.sub.dropped++;
    }
  }

  /** Sends queued events while the client keeps up. */
  flushEvents(): void {
    while (this.eventQueue.length && !this.out.congested && !this.out.closed) {
      const { sub, event } = this.eventQueue.shift()!;
      if (this.subs.has(sub.id)) this.push(sub, event);
    }
  }

  /** Follows the app's new log lines (through the engine: the app's tail is not reached directly). */
  logs(app: string, streams: readonly LogStream[] | undefined): string {
    return this.add('logs', app, (sub) =>
      this.engine.followLogs(app, (batch) => {
        if (!this.subs.has(sub.id)) return undefined;
        const lines = ofStreams(batch.lines, streams);
        if (lines.length || batch.dropped) this.push<'logs'>(sub, { lines: lines.map(copyLine), dropped: batch.dropped });
        // A slow client holds further batches: the tail keeps a bounded backlog and counts what it drops.
        return this.out.congested ? this.out.whenDrained() : undefined;
      }),
    );
  }

  metrics(app: string | undefined): string {
    return this.add('metrics', app, (sub) => {
      const listener = (batch: MetricsBatch) => {
        if (this.out.congested) {
          sub.dropped++;
          return;
        }
        this.push<'metrics'>(sub, app === undefined ? batch : { t: batch.t, apps: batch.apps.filter((a) => a.app === app) });
      };
      this.engine.on('metrics', listener);
      return () => this.engine.off('metrics', listener);
    });
  }

  unsubscribe(id: string): boolean {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.subs.delete(id);
    sub.stop();
    return true;
  }

  /** Ends the log and metrics subscriptions that follow a removed app. */
  endFor(app: string): void {
    for (const sub of [...this.subs.values()]) {
      if (sub.app !== app || sub.topic === 'events') continue;
      this.unsubscribe(sub.id);
      this.out.send({ kind: 'end', subscription: sub.id, reason: `The app ${app} was removed.` });
    }
  }

  /** Stops every subscription (the connection closed). */
  close(): void {
    for (const sub of this.subs.values()) sub.stop();
    this.subs.clear();
    this.eventQueue.length = 0;
  }
}
