import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it } from 'vitest';
import { useConnection } from '../src/stores/connection.js';
import { explain, sourceLabel, useAppConfig } from '../src/stores/app-config.js';
import { useToasts } from '../src/stores/toasts.js';
import { FakeCallError, FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';
import { configView, setting } from './samples.js';

describe('app settings store', () => {
  it('sends only the changed settings, then reloads the effective configuration', async () => {
    let view = configView();
    const engine = new FakeEngine()
      .on('config.get', () => view)
      .on('config.set', (p) => {
        view = configView({ settings: view.settings.map((s) => (p.settings && s.name in p.settings ? { ...s, value: p.settings[s.name]!, source: { kind: 'file', file: '/home/me/shop/berth.yml', line: 9 } } : s)) });
        return { file: '/home/me/shop/berth.yml', created: false, changes: [], takesEffect: 'recycle' };
      });
    await connected(engine);
    const store = useAppConfig();
    await store.open('shop');
    const count = store.config!.settings.find((s) => s.name === 'nodeProcessCountPerApplication')!;
    const logging = store.config!.settings.find((s) => s.name === 'loggingEnabled')!;
    store.edit(count, 4);
    store.edit(logging, false);
    store.edit(logging, true); // back to its value: no change
    expect(store.draft).toEqual({ nodeProcessCountPerApplication: 4 });
    expect(await store.save()).toBe(true);
    expect(engine.calls.find((c) => c.method === 'config.set')?.params).toEqual({ app: 'shop', settings: { nodeProcessCountPerApplication: 4 } });
    expect(store.dirty).toBe(false);
    expect(store.config!.settings.find((s) => s.name === 'nodeProcessCountPerApplication')).toMatchObject({ value: 4, source: { kind: 'file', line: 9 } });
    expect(useToasts().toasts.at(-1)).toMatchObject({ kind: 'success', title: 'Saved to berth.yml', detail: 'The app recycles gracefully to apply it.' });
  });

  it('puts a refused value on its field, with the engine\'s sentence, and keeps the draft', async () => {
    const engine = new FakeEngine()
      .on('config.get', () => configView())
      .on('config.set', () => {
        throw new FakeCallError('INVALID_SETTING', 'gracefulShutdownTimeout: "soon" is not a number. Expected a whole number of ms.', { setting: 'gracefulShutdownTimeout' });
      });
    await connected(engine);
    const store = useAppConfig();
    await store.open('shop');
    const timeout = store.config!.settings.find((s) => s.name === 'gracefulShutdownTimeout')!;
    store.edit(timeout, 'soon');
    expect(await store.save()).toBe(false);
    expect(store.fieldErrors.gracefulShutdownTimeout).toMatch(/is not a number/);
    expect(store.draft).toEqual({ gracefulShutdownTimeout: 'soon' });
  });

  it('"use default" removes a key that comes from the file (null), and only then', async () => {
    await connected(new FakeEngine().on('config.get', () => configView()));
    const store = useAppConfig();
    await store.open('shop');
    const [fromFile, fromDefault] = [store.config!.settings[0]!, store.config!.settings[1]!];
    store.reset(fromFile);
    expect(store.draft).toEqual({ nodeProcessCountPerApplication: null });
    expect(store.valueOf(fromFile)).toBe(1);
    store.reset(fromDefault);
    expect(store.draft).toEqual({ nodeProcessCountPerApplication: null });
  });

  it('opened before the connection is up (a reload onto the settings screen): no error, the form loads once connected', async () => {
    setActivePinia(createPinia());
    const engine = new FakeEngine().on('config.get', () => configView());
    const store = useAppConfig();
    await store.open('shop');
    expect(store.error).toBe('');
    expect(store.config).toBeNull();
    useConnection().start({ source: async () => ({ url: 'ws://127.0.0.1:1/control', token: engine.token }), socket: engine.socket });
    await until(() => store.config !== null);
    expect(store.config!.settings[0]!.name).toBe('nodeProcessCountPerApplication');
    expect(store.error).toBe('');
  });

  it('labels sources as a person reads them', () => {
    expect(sourceLabel(setting({ name: 'a', kind: 'bool' }))).toBe('default');
    expect(sourceLabel(setting({ name: 'a', kind: 'bool', source: { kind: 'file', file: 'C:\\apps\\shop\\iisnode.yml', line: 4 } }))).toBe('iisnode.yml:4');
    expect(sourceLabel(setting({ name: 'a', kind: 'bool', source: { kind: 'env', name: 'BERTH_A' } }))).toBe('environment BERTH_A');
    expect(explain({ file: 'x', created: true, changes: [], takesEffect: 'next-start' })).toMatch(/when the app starts/);
  });
});
