import { describe, expect, it } from 'vitest';
import { LOG_CAPACITY, matches, useLogs } from '../src/stores/logs.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';
import type { LogLine } from '../../core/control/protocol.js';

let seq = 0;
function line(text: string, overrides: Partial<LogLine> = {}): LogLine {
  return { seq: ++seq, time: Date.now(), pid: 100, stream: 'stdout', text, ...overrides };
}

describe('logs store', () => {
  it('shows the backlog, then live lines for the app it follows', async () => {
    const engine = new FakeEngine().on('logs.subscribe', (p) => ({ subscription: '', lines: p.app === 'shop' ? [line('listening')] : [] }));
    await connected(engine);
    const logs = useLogs();
    await logs.open('shop');
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['listening']);
    engine.push('logs', { lines: [line('GET /'), line('oops', { stream: 'stderr' })], dropped: 0 });
    await until(() => logs.lineCount === 3);
    expect(engine.calls.find((c) => c.method === 'logs.subscribe')?.params).toMatchObject({ app: 'shop', lines: 1000 });
  });

  it('filters by stream, worker and text, and rebuilds the view when a filter changes', async () => {
    await connected();
    const logs = useLogs();
    logs.receive([line('a', { pid: 1 }), line('B err', { pid: 2, stream: 'stderr' }), line('c', { pid: 2 })]);
    logs.setFilter({ stream: 'stderr' });
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['B err']);
    logs.setFilter({ stream: 'all', pid: 2 });
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['B err', 'c']);
    logs.setFilter({ pid: null, search: 'b E' });
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['B err']);
    // New lines are tested against the current filter as they come.
    logs.receive([line('no'), line('also b err')]);
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['B err', 'also b err']);
    expect(logs.pids).toEqual([1, 2, 100]);
  });

  it('holds new lines aside while paused and appends them on resume', async () => {
    await connected();
    const logs = useLogs();
    logs.receive([line('one')]);
    logs.pause();
    logs.receive([line('two'), line('three')]);
    expect(logs.lineCount).toBe(1);
    expect(logs.pendingCount).toBe(2);
    expect(logs.follow).toBe(false);
    // A filter change while paused keeps the later lines aside.
    logs.setFilter({ search: 't' });
    expect(logs.view.toArray().map((l) => l.text)).toEqual([]);
    expect(logs.pendingCount).toBe(2);
    logs.setFilter({ search: '' });
    expect(logs.paused).toBe(true);
    logs.resume();
    expect(logs.view.toArray().map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(logs.follow).toBe(true);
  });

  it('keeps memory bounded: past the capacity the oldest lines go', async () => {
    await connected();
    const logs = useLogs();
    const batch: LogLine[] = [];
    for (let i = 0; i < LOG_CAPACITY + 500; i++) batch.push(line(`line ${i}`));
    logs.receive(batch);
    expect(logs.lineCount).toBe(LOG_CAPACITY);
    expect(logs.view.at(0)!.text).toBe('line 500');
    expect(logs.all.length).toBe(LOG_CAPACITY);
  });

  it('counts lines the engine skipped for a slow reader', async () => {
    const engine = new FakeEngine();
    await connected(engine);
    const logs = useLogs();
    await logs.open('shop');
    engine.push('logs', { lines: [line('x')], dropped: 250 });
    await until(() => logs.missed === 250);
  });

  it('stops the subscription when closed', async () => {
    const engine = new FakeEngine();
    await connected(engine);
    const logs = useLogs();
    await logs.open('shop');
    expect(engine.subscriptionCount('logs')).toBe(1);
    await logs.close();
    expect(engine.subscriptionCount('logs')).toBe(0);
    expect(logs.lineCount).toBe(0);
  });

  it('matches() is the one filter rule', () => {
    const l = line('Hello World', { stream: 'stderr', pid: 9 });
    expect(matches(l, { stream: 'stderr', pid: 9, search: 'world' })).toBe(true);
    expect(matches(l, { stream: 'stdout', pid: null, search: '' })).toBe(false);
    expect(matches(l, { stream: 'all', pid: 8, search: '' })).toBe(false);
  });
});
