import { describe, expect, it } from 'vitest';
import { EngineSession, type SessionStatus } from '../src/api/session.js';
import { FakeEngine, until } from './fake-engine.js';

describe('EngineSession', () => {
  it('reconnects after the engine drops, asking for the endpoint again, and reruns the hooks', async () => {
    const engine = new FakeEngine();
    let asked = 0;
    const statuses: SessionStatus[] = [];
    const session = new EngineSession({
      source: async () => {
        asked++;
        return { url: 'ws://x/control', token: engine.token };
      },
      socket: engine.socket,
      maxRetryMs: 20,
      onStatus: (s) => statuses.push(s),
    });
    let hooks = 0;
    session.onConnected(() => void hooks++);
    session.start();
    await until(() => hooks === 1);
    // A restarted engine has a new token: the session must read the endpoint again.
    engine.token = 'rotated';
    engine.dropAll();
    await until(() => hooks === 2);
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(statuses).toContain('disconnected');
    expect(session.status).toBe('connected');
    session.stop();
  });

  it('keeps retrying while the endpoint is unavailable, and says why', async () => {
    const engine = new FakeEngine();
    let available = false;
    let detail = '';
    const session = new EngineSession({
      source: async () => {
        if (!available) throw new Error('The engine is starting.');
        return { url: 'ws://x/control', token: engine.token };
      },
      socket: engine.socket,
      maxRetryMs: 10,
      onStatus: (s, d) => {
        if (s === 'disconnected') detail = d;
      },
    });
    session.start();
    await until(() => detail !== '');
    expect(detail).toBe('The engine is starting.');
    available = true;
    await until(() => session.status === 'connected');
    session.stop();
  });
});
