import { describe, expect, it } from 'vitest';
import { useDebug } from '../src/stores/debug.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';
import type { DebugInfo } from '../../core/control/protocol.js';

describe('debug store', () => {
  it('says plainly when the engine does not offer debugging yet (NOT_IMPLEMENTED)', async () => {
    const engine = new FakeEngine();
    await connected(engine);
    const debug = useDebug();
    await debug.open('shop');
    expect(debug.unavailable).toMatch(/does not offer debugging/);
    await debug.start();
    expect(debug.error).toBe('');
    expect(debug.info).toBeNull();
  });

  it('turns debugging on and off and follows the engine\'s debug events', async () => {
    // The fake engine's session, as debug.info reports it.
    let session: DebugInfo = { app: 'shop', active: false };
    const engine = new FakeEngine()
      .on('debug.info', () => session)
      .on('debug.start', ({ app }) => (session = { app, active: true, pid: 9, port: 5058, webSocketUrl: 'ws://127.0.0.1:5058/abc', devtoolsUrl: 'devtools://devtools/bundled/js_app.html?ws=127.0.0.1:5058/abc' }))
      .on('debug.stop', ({ app }) => (session = { app, active: false }));
    await connected(engine);
    const debug = useDebug();
    await debug.open('shop');
    expect(debug.unavailable).toBe('');
    await debug.start({ break: true });
    expect(engine.calls.find((c) => c.method === 'debug.start')?.params).toEqual({ app: 'shop', break: true });
    expect(debug.info).toMatchObject({ active: true, port: 5058 });
    session = { app: 'shop', active: false };
    engine.push('events', { type: 'debug-stopped', app: 'shop' });
    await until(() => debug.info?.active === false);
    session = { app: 'shop', active: true, port: 5060, pid: 10, webSocketUrl: 'ws://127.0.0.1:5060/x', devtoolsUrl: 'devtools://x' };
    engine.push('events', { type: 'debug-started', app: 'shop', mode: 'exclusive', brk: false, port: 5060, pid: 10, webSocketUrl: 'ws://127.0.0.1:5060/x', devtoolsUrl: 'devtools://x' });
    await until(() => debug.info?.port === 5060);
    // Another app's stop changes nothing here: record every change until a later event of this app has arrived.
    const seen: (boolean | undefined)[] = [];
    const stopWatching = debug.$subscribe(() => seen.push(debug.info?.active), { flush: 'sync' });
    engine.push('events', { type: 'debug-stopped', app: 'other' });
    engine.push('events', { type: 'debug-started', app: 'shop', mode: 'exclusive', brk: false, port: 5062, pid: 10, webSocketUrl: 'ws://127.0.0.1:5062/x', devtoolsUrl: 'devtools://x' });
    await until(() => debug.info?.port === 5062);
    stopWatching();
    expect(seen).not.toContain(false);
    expect(debug.info?.active).toBe(true);
  });

  it('sends only what differs from the defaults: the cookie mode, a break', async () => {
    const engine = new FakeEngine()
      .on('debug.info', ({ app }) => ({ app, active: false }))
      .on('debug.start', (p) => ({ app: p.app, active: true, port: 5058, ...(p as { mode?: string }).mode ? { mode: 'cookie', cookie: 'berth.debug=abc' } : {} }));
    await connected(engine);
    const debug = useDebug();
    await debug.open('shop');
    await debug.start({ mode: 'exclusive' });
    await debug.start({ mode: 'cookie' });
    const starts = engine.calls.filter((c) => c.method === 'debug.start').map((c) => c.params);
    expect(starts).toEqual([{ app: 'shop' }, { app: 'shop', mode: 'cookie' }]);
    expect(debug.info).toMatchObject({ mode: 'cookie', cookie: 'berth.debug=abc' });
  });
});
