import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dispatch, type DispatchFacts } from '../../core/app/dispatch.js';
import { Generation, type AppWorker } from '../../core/app/generation.js';
import { engineIoRequest } from '../../core/app/sticky.js';
import { defaultSettings, type Settings } from '../../core/config/schema.js';

describe('engineIoRequest', () => {
  test('the handshake has EIO= and transport= and no sid=, on any path', () => {
    assert.equal(engineIoRequest('/socket.io/?EIO=4&transport=polling&t=PzQx'), 'handshake');
    assert.equal(engineIoRequest('/engine.io/?EIO=4&transport=polling'), 'handshake');
    assert.equal(engineIoRequest('/custom/rt/?transport=websocket&EIO=4'), 'handshake');
  });

  test('requests of a session carry sid=', () => {
    assert.equal(engineIoRequest('/socket.io/?EIO=4&transport=polling&t=PzQy&sid=abc123'), 'session');
    assert.equal(engineIoRequest('/socket.io/?EIO=4&transport=websocket&sid=abc123'), 'session');
  });

  test('anything else is not engine.io traffic', () => {
    for (const target of ['/', '/socket.io/socket.io.js', '/socket.io/?transport=polling', '/?EIO=4', '/a?xEIO=4&transport=polling', '/a?EIO=x&transport=polling', '/EIO=4&transport=polling']) {
      assert.equal(engineIoRequest(target), undefined, target);
    }
  });
});

describe('dispatch: engine.io sessions pinned by the sticky cookie (stickyRealtime)', () => {
  function facts(changes: Partial<Settings> = {}): DispatchFacts {
    const generation = new Generation(1, 2, {} as never);
    for (const slot of [0, 1]) generation.slots[slot] = { state: 'ready', active: 0, pid: 100 + slot } as unknown as AppWorker;
    return { app: 'rt', settings: { ...defaultSettings(), ...changes }, problem: undefined, serving: generation, debug: undefined, crashStderr: '' };
  }
  const pid = (d: ReturnType<typeof dispatch>) => ('worker' in d ? d.worker.pid : undefined);

  test('the handshake response sets the cookie naming its worker; requests with it go to that worker', () => {
    const f = facts();
    const handshake = dispatch(f, { cookie: undefined, target: '/socket.io/?EIO=4&transport=polling' });
    assert.ok('worker' in handshake);
    const slot = handshake.worker.pid! - 100;
    assert.equal(handshake.setCookie, `iisnode.session.cookie=${slot}`);
    for (let i = 0; i < 4; i++) {
      const next = dispatch(f, { cookie: `a=b; iisnode.session.cookie=${slot}`, target: '/socket.io/?EIO=4&transport=polling&sid=x' });
      assert.equal(pid(next), 100 + slot);
      assert.equal('worker' in next && next.setCookie, undefined, 'no new cookie while it is honoured');
    }
  });

  test('a pinned worker that is gone: another worker, and a new cookie', () => {
    const f = facts();
    (f.serving!.slots[1] as { state: string }).state = 'exited';
    const next = dispatch(f, { cookie: 'iisnode.session.cookie=1', target: '/socket.io/?EIO=4&transport=polling&sid=x' });
    assert.equal(pid(next), 100);
    assert.equal('worker' in next && next.setCookie, 'iisnode.session.cookie=0');
  });

  test('other requests are balanced as usual and get no cookie; stickyRealtime off leaves engine.io alone', () => {
    const f = facts();
    const pids = [1, 2, 3, 4].map(() => dispatch(f, { cookie: 'iisnode.session.cookie=1', target: '/api' }));
    assert.deepEqual(pids.map(pid), [101, 100, 101, 100]);
    assert.ok(pids.every((d) => 'worker' in d && d.setCookie === undefined));
    const off = facts({ stickyRealtime: 'off' });
    const handshake = dispatch(off, { cookie: undefined, target: '/socket.io/?EIO=4&transport=polling' });
    assert.equal('worker' in handshake && handshake.setCookie, undefined);
    const turns = [1, 2].map(() => pid(dispatch(off, { cookie: 'iisnode.session.cookie=1', target: '/socket.io/?EIO=4&transport=polling&sid=x' })));
    assert.deepEqual(new Set(turns), new Set([100, 101]));
  });
});
