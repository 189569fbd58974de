import { describe, expect, it } from 'vitest';
import { useDebug } from '../src/stores/debug.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';

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
    const engine = new FakeEngine()
      .on('debug.info', ({ app }) => ({ app, active: false }))
      .on('debug.start', ({ app }) => ({ app, active: true, pid: 9, port: 5058, webSocketUrl: 'ws://127.0.0.1:5058/abc', devtoolsUrl: 'devtools://devtools/bundled/js_app.html?ws=127.0.0.1:5058/abc' }))
      .on('debug.stop', ({ app }) => ({ app, active: false }));
    await connected(engine);
    const debug = useDebug();
    await debug.open('shop');
    expect(debug.unavailable).toBe('');
    await debug.start({ break: true });
    expect(engine.calls.find((c) => c.method === 'debug.start')?.params).toEqual({ app: 'shop', break: true });
    expect(debug.info).toMatchObject({ active: true, port: 5058 });
    engine.push('events', { type: 'debug-stopped', app: 'shop' });
    await until(() => debug.info?.active === false);
    engine.push('events', { type: 'debug-started', app: 'shop', mode: 'exclusive', brk: false, port: 5060, pid: 10, webSocketUrl: 'ws://127.0.0.1:5060/x', devtoolsUrl: 'devtools://x' });
    await until(() => debug.info?.port === 5060);
    engine.push('events', { type: 'debug-stopped', app: 'other' });
    await new Promise((r) => setTimeout(r, 20));
    expect(debug.info?.active).toBe(true);
  });
});
