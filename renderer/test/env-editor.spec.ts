import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import EnvVarsEditor from '../src/components/EnvVarsEditor.vue';
import AppSettingsPanel from '../src/views/AppSettingsPanel.vue';
import { envPatchOf, envRowErrors, useAppConfig, type EnvRow } from '../src/stores/app-config.js';
import { useToasts } from '../src/stores/toasts.js';
import { FakeCallError, FakeEngine } from './fake-engine.js';
import { connected, settle } from './setup.js';
import { configView } from './samples.js';
import type { ConfigView, EnvVarView, Params } from '../../core/control/protocol.js';

afterEach(() => {
  document.body.innerHTML = '';
});

const FILE = '/home/me/shop/berth.yml';
const saved = (...names: string[]): EnvVarView[] => names.map((name, i) => ({ name, file: FILE, line: 5 + i }));

/** An engine whose config.set records the env patch and answers as the real one would (names only). */
function engineWith(env: EnvVarView[]) {
  let view: ConfigView = configView({ env });
  const sets: Params<'config.set'>[] = [];
  const engine = new FakeEngine()
    .on('config.get', () => view)
    .on('config.set', (p) => {
      sets.push(p);
      const names = new Set(view.env.map((v) => v.name));
      for (const [name, value] of Object.entries(p.env ?? {})) {
        if (value === null) names.delete(name);
        else names.add(name);
      }
      view = configView({ env: saved(...names) });
      return { file: FILE, created: false, changes: [], takesEffect: 'recycle' };
    });
  return { engine, sets };
}

async function mounted(env: EnvVarView[]) {
  const { engine, sets } = engineWith(env);
  const { pinia } = await connected(engine);
  const store = useAppConfig();
  await store.open('shop');
  const wrapper = mount(EnvVarsEditor, { global: { plugins: [pinia] }, attachTo: document.body });
  await settle();
  return { engine, sets, store, wrapper };
}

describe('environment variables editor', () => {
  it('lists the saved variables by name with a masked value, never a value, and a fixed name', async () => {
    const { wrapper } = await mounted(saved('API_TOKEN', 'DATABASE_URL'));
    const rows = wrapper.findAll('li.row');
    expect(rows.map((r) => r.attributes('data-env'))).toEqual(['API_TOKEN', 'DATABASE_URL']);
    const name = rows[0]!.get('[data-testid="env-name"]');
    expect((name.element as HTMLInputElement).value).toBe('API_TOKEN');
    expect(name.attributes('readonly')).toBeDefined();
    const value = rows[0]!.get('[data-testid="env-value"]');
    expect(value.attributes('type')).toBe('password');
    expect((value.element as HTMLInputElement).value).toBe('');
    expect(value.attributes('placeholder')).toMatch(/^•••• \(saved; type to replace\)$/);
    expect(rows[0]!.get('[data-testid="env-show"]').attributes('aria-label')).toBe('Show the value of API_TOKEN');
  });

  it('adds a row, shows a typed value with the eye toggle, and saves it with the other settings through config.set', async () => {
    const { wrapper, store, sets } = await mounted(saved('API_TOKEN'));
    await wrapper.get('[data-testid="env-add"]').trigger('click');
    const row = wrapper.findAll('li.row').at(-1)!;
    await row.get('[data-testid="env-name"]').setValue('GREETING');
    await row.get('[data-testid="env-value"]').setValue('hello there');
    const value = row.get('[data-testid="env-value"]');
    expect(value.attributes('type')).toBe('password');
    await row.get('[data-testid="env-show"]').trigger('click');
    expect(value.attributes('type')).toBe('text');
    expect(row.get('[data-testid="env-show"]').attributes('aria-pressed')).toBe('true');
    await row.get('[data-testid="env-show"]').trigger('click');
    expect(value.attributes('type')).toBe('password');
    store.edit(store.config!.settings[0]!, 3);
    expect(store.changeCount).toBe(2);
    expect(await store.save()).toBe(true);
    expect(sets).toEqual([{ app: 'shop', settings: { nodeProcessCountPerApplication: 3 }, env: { GREETING: 'hello there' } }]);
    await settle();
    // Reloaded from the engine: the new variable is a saved one now (masked, name fixed).
    expect(store.envRows.map((r) => [r.name, r.original, r.value])).toEqual([
      ['API_TOKEN', 'API_TOKEN', ''],
      ['GREETING', 'GREETING', ''],
    ]);
    expect(useToasts().toasts.at(-1)).toMatchObject({ kind: 'success', title: 'Saved to berth.yml' });
  });

  it('replaces a saved value only when one is typed, and removes a variable with its button', async () => {
    const { wrapper, store, sets } = await mounted(saved('API_TOKEN', 'OLD'));
    expect(store.dirty).toBe(false);
    const [token, old] = wrapper.findAll('li.row');
    await token!.get('[data-testid="env-value"]').setValue('rotated');
    await old!.get('[data-testid="env-remove"]').trigger('click');
    expect(wrapper.findAll('li.row').map((r) => r.attributes('data-env'))).toEqual(['API_TOKEN']);
    expect(store.envPatch).toEqual({ OLD: null, API_TOKEN: 'rotated' });
    expect(await store.save()).toBe(true);
    expect(sets[0]).toEqual({ app: 'shop', env: { OLD: null, API_TOKEN: 'rotated' } });
  });

  it('explains bad names on their row and does not save', async () => {
    const { wrapper, store, sets } = await mounted(saved('API_TOKEN'));
    for (const [name, message] of [
      ['1ST', /"1ST" is not a valid environment variable name\. Use letters, digits and _ only/],
      ['PORT', /PORT is set by Berth/],
      ['berth_mode', /names starting with BERTH_ are Berth's own/],
      ['api_token', /api_token is already set above as API_TOKEN \(names ignore case on Windows\)/],
    ] as const) {
      await wrapper.get('[data-testid="env-add"]').trigger('click');
      const row = wrapper.findAll('li.row').at(-1)!;
      await row.get('[data-testid="env-name"]').setValue(name);
      await row.get('[data-testid="env-value"]').setValue('x');
      expect(row.get('[data-testid="env-row-error"]').text()).toMatch(message);
      expect(row.get('[data-testid="env-name"]').attributes('aria-invalid')).toBe('true');
      await row.get('[data-testid="env-remove"]').trigger('click');
    }
    await wrapper.get('[data-testid="env-add"]').trigger('click');
    await wrapper.findAll('li.row').at(-1)!.get('[data-testid="env-value"]').setValue('no name');
    expect(wrapper.get('[data-testid="env-row-error"]').text()).toMatch(/^A variable has no name\./);
    expect(await store.save()).toBe(false);
    expect(sets).toEqual([]);
    await settle();
    expect(wrapper.get('[data-testid="env-error"]').text()).toMatch(/Fix the variable names marked below first/);
  });

  it('shows the engine\'s refusal above the rows and keeps the edits', async () => {
    const engine = new FakeEngine()
      .on('config.get', () => configView({ env: [] }))
      .on('config.set', () => {
        throw new FakeCallError('INVALID_SETTING', "env (the app's environment variables) is kept in berth.yml only, and this app uses iisnode.yml.", { setting: 'env' });
      });
    const { pinia } = await connected(engine);
    const store = useAppConfig();
    await store.open('shop');
    const wrapper = mount(EnvVarsEditor, { global: { plugins: [pinia] } });
    store.addEnv();
    store.editEnv(store.envRows[0]!.id, { name: 'A', value: '1' });
    expect(await store.save()).toBe(false);
    await settle();
    expect(wrapper.get('[data-testid="env-error"]').text()).toMatch(/kept in berth\.yml only/);
    expect(store.envPatch).toEqual({ A: '1' });
  });

  it('sits in the settings panel, counted in the unsaved changes; discard restores the saved rows', async () => {
    const { engine } = engineWith(saved('API_TOKEN'));
    const { pinia } = await connected(engine);
    const wrapper = mount(AppSettingsPanel, { props: { app: 'shop' }, global: { plugins: [pinia] } });
    await settle();
    const store = useAppConfig();
    expect(wrapper.find('[data-testid="env-editor"]').exists()).toBe(true);
    await wrapper.get('[data-testid="env-remove"]').trigger('click');
    await wrapper.get('[data-testid="env-add"]').trigger('click');
    await wrapper.findAll('li.row').at(-1)!.get('[data-testid="env-name"]').setValue('NEW');
    expect(wrapper.get('.savebar').text()).toContain('2 unsaved changes');
    store.discard();
    await settle();
    expect(wrapper.findAll('li.row').map((r) => r.attributes('data-env'))).toEqual(['API_TOKEN']);
    // A search for another setting hides the editor; one for a variable's name shows it.
    await wrapper.get('#setting-search').setValue('logDirectory');
    expect(wrapper.find('[data-testid="env-editor"]').exists()).toBe(false);
    await wrapper.get('#setting-search').setValue('api_tok');
    expect(wrapper.find('[data-testid="env-editor"]').exists()).toBe(true);
  });
});

describe('env rows (pure)', () => {
  const row = (over: Partial<EnvRow>): EnvRow => ({ id: 1, original: null, name: '', value: '', edited: true, ...over });

  it('the patch: removed names null, typed values of saved names, new rows; an empty new row is nothing', () => {
    expect(
      envPatchOf(
        [row({ id: 1, original: 'KEEP', name: 'KEEP', edited: false }), row({ id: 2, original: 'SET', name: 'SET', value: 'v' }), row({ id: 3, name: ' NEW ', value: '' }), row({ id: 4 })],
        ['GONE'],
      ),
    ).toEqual({ GONE: null, SET: 'v', NEW: '' });
  });

  it('errors by row id; an empty new row has none', () => {
    expect(envRowErrors([row({ id: 1 }), row({ id: 2, name: 'OK' }), row({ id: 3, name: 'ok' }), row({ id: 4, name: 'A-B' })])).toEqual({
      3: 'ok is already set above as OK (names ignore case on Windows).',
      4: expect.stringMatching(/^"A-B" is not a valid environment variable name/),
    });
  });
});
