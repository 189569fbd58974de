import { describe, expect, it } from 'vitest';
import { connectBrowser, ControlError } from '../src/api/control-client.js';
import { FakeEngine, FakeCallError, until } from './fake-engine.js';
import { summary } from './samples.js';

function connect(engine: FakeEngine, token = 'secret') {
  return connectBrowser({ url: 'ws://127.0.0.1:1/control', token, socket: engine.socket, callTimeoutMs: 500 });
}

describe('ControlClient', () => {
  it('offers the protocol and the token as subprotocols, and resolves with the hello', async () => {
    const engine = new FakeEngine();
    let offered: string[] = [];
    const c = await connectBrowser({ url: 'ws://x/control', token: 'secret', socket: (url, protocols) => ((offered = protocols), engine.socket(url, protocols)) });
    expect(c.hello.protocol).toBe(1);
    expect(offered).toEqual(['berth.v1', 'berth.token.secret']);
  });

  it('fails to connect with a wrong token, saying what to check', async () => {
    const engine = new FakeEngine();
    await expect(connect(engine, 'wrong')).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringMatching(/token/) });
  });

  it('answers calls with results and refusals with the engine\'s code and sentence', async () => {
    const engine = new FakeEngine()
      .on('apps.list', () => [summary()])
      .on('apps.start', () => {
        throw new FakeCallError('APP_NOT_FOUND', 'There is no app named "nope".');
      });
    const c = await connect(engine);
    expect((await c.call('apps.list', {}))[0]!.name).toBe('shop');
    const error = await c.call('apps.start', { app: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: 'APP_NOT_FOUND', message: 'There is no app named "nope".' });
  });

  it('delivers pushes to their subscription, in order, with the drop count', async () => {
    const engine = new FakeEngine();
    const c = await connect(engine);
    const seen: string[] = [];
    let dropped = 0;
    await c.subscribe('events.subscribe', {}, (event, d) => {
      seen.push(event.type);
      dropped += d;
    });
    engine.push('events', { type: 'app-removed', app: 'a' });
    engine.push('events', { type: 'app-removed', app: 'b' }, undefined, 3);
    await until(() => seen.length === 2);
    expect(seen).toEqual(['app-removed', 'app-removed']);
    expect(dropped).toBe(3);
  });

  it('fails pending calls and ends subscriptions when the connection drops', async () => {
    const engine = new FakeEngine().on('apps.list', () => new Promise(() => undefined));
    const c = await connect(engine);
    let ended = '';
    await c.subscribe('events.subscribe', {}, () => undefined, (reason) => (ended = reason));
    const pending = c.call('apps.list', {});
    engine.dropAll();
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(ended).toBe('engine gone');
    await expect(c.call('apps.list', {})).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('times out a call the engine never answers', async () => {
    const engine = new FakeEngine().on('apps.list', () => new Promise(() => undefined));
    const c = await connect(engine);
    await expect(c.call('apps.list', {}, 30)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});
