import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import App from '../src/App.vue';
import DebugPanel from '../src/views/DebugPanel.vue';
import AppsView from '../src/views/AppsView.vue';
import LogList from '../src/components/LogList.vue';
import MemoryChart from '../src/components/MemoryChart.vue';
import SettingField from '../src/components/SettingField.vue';
import TabBar from '../src/components/TabBar.vue';
import WorkersTable from '../src/components/WorkersTable.vue';
import { useApps } from '../src/stores/apps.js';
import { useAppConfig } from '../src/stores/app-config.js';
import { useLogs } from '../src/stores/logs.js';
import { useToasts } from '../src/stores/toasts.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected, settle } from './setup.js';
import { configView, setting, summary, worker } from './samples.js';
import type { BerthBridge } from '../../core/shared/bridge.js';
import type { LogLine } from '../../core/control/protocol.js';

afterEach(() => {
  document.body.innerHTML = '';
  delete (window as { berth?: BerthBridge }).berth;
});

async function appsEngine(apps = [summary()]) {
  const engine = new FakeEngine().on('apps.list', () => apps.map((a) => ({ ...a })));
  const { pinia } = await connected(engine);
  const store = useApps();
  store.attach();
  await until(() => store.loaded);
  return { engine, pinia, store, apps };
}

describe('Apps view', () => {
  it('explains what to do when there are no apps', async () => {
    const { pinia } = await appsEngine([]);
    const wrapper = mount(AppsView, { global: { plugins: [pinia] } });
    await settle();
    const empty = wrapper.get('[data-testid="empty-state"]');
    expect(empty.text()).toMatch(/Drop a project folder anywhere on this window/);
    expect(empty.find('button').text()).toMatch(/Add folder/);
  });

  it('lists each app with its state, address, workers, memory; stop and remove act on the engine', async () => {
    const { pinia, engine } = await appsEngine([summary(), summary({ name: 'api', state: 'stopped', workers: 0, readyWorkers: 0, rss: 0, url: 'http://api.localhost:8080/' })]);
    engine.on('apps.stop', ({ app }) => summary({ name: app, state: 'stopped' })).on('apps.remove', ({ app }) => ({ app, persisted: true }));
    const wrapper = mount(AppsView, { global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    const rows = wrapper.findAll('tbody tr');
    expect(rows).toHaveLength(2);
    const shop = wrapper.get('tr[data-app="shop"]');
    expect(shop.text()).toContain('Running');
    expect(shop.text()).toContain('shop.localhost:8080');
    expect(shop.get('[data-col="workers"]').text()).toBe('2/2');
    expect(shop.get('[data-col="memory"]').text()).toBe('80.0 MB');
    expect(wrapper.get('tr[data-app="api"] [data-col="memory"]').text()).toBe('—');
    expect(wrapper.find('tr[data-app="api"] [data-action="start"]').exists()).toBe(true);

    await shop.get('[data-action="stop"]').trigger('click');
    await until(() => engine.calls.some((c) => c.method === 'apps.stop'));
    await until(() => !useApps().busy.shop);

    await shop.get('[data-action="remove"]').trigger('click');
    await settle();
    expect(document.body.textContent).toMatch(/The folder \/home\/me\/shop and its files stay as they are/);
    (document.querySelector('[data-testid="confirm"]') as HTMLButtonElement).click();
    await until(() => engine.calls.some((c) => c.method === 'apps.remove' && (c.params as { app: string }).app === 'shop'));
    wrapper.unmount();
  });
});

describe('dropping on the window', () => {
  function drop(files: { name: string; directory: boolean }[]): Event {
    const list = files.map((f) => new File(['x'], f.name));
    const event = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', {
      value: {
        types: ['Files'],
        files: list,
        items: files.map((f) => ({ kind: 'file', webkitGetAsEntry: () => ({ isDirectory: f.directory, isFile: !f.directory }) })),
      },
    });
    return event;
  }

  it('shows the drop target while files are dragged over the window', async () => {
    const { pinia } = await appsEngine();
    const wrapper = mount(App, { global: { plugins: [pinia] }, attachTo: document.body });
    const enter = new Event('dragenter', { bubbles: true, cancelable: true });
    Object.defineProperty(enter, 'dataTransfer', { value: { types: ['Files'] } });
    window.dispatchEvent(enter);
    await settle();
    expect(document.querySelector('[data-testid="drop-overlay"]')).not.toBeNull();
    window.dispatchEvent(drop([]));
    await settle();
    expect(document.querySelector('[data-testid="drop-overlay"]')).toBeNull();
    wrapper.unmount();
  });

  it('says that a dropped file is not a folder', async () => {
    const { pinia, engine } = await appsEngine();
    const wrapper = mount(App, { global: { plugins: [pinia] }, attachTo: document.body });
    const event = drop([{ name: 'notes.txt', directory: false }]);
    window.dispatchEvent(event);
    await settle();
    expect(event.defaultPrevented).toBe(true);
    expect(useToasts().toasts.at(-1)).toMatchObject({ kind: 'error', title: 'Only folders can be added', detail: expect.stringMatching(/^notes.txt is a file, not a folder/) });
    expect(engine.calls.some((c) => c.method === 'apps.add')).toBe(false);
    wrapper.unmount();
  });

  it('in the desktop app, adds dropped folders by the paths the preload resolves', async () => {
    const paths = new Map([['shop', 'C:\\work\\shop'], ['api', 'C:\\work\\api']]);
    (window as { berth?: Partial<BerthBridge> }).berth = { pathsForDropped: (files) => files.map((f) => paths.get(f.name) ?? '') };
    const { pinia, engine } = await appsEngine([]);
    engine.on('apps.add', ({ folder }) => summary({ name: folder.split('\\').pop()!, folder }));
    const wrapper = mount(App, { global: { plugins: [pinia] }, attachTo: document.body });
    window.dispatchEvent(drop([{ name: 'shop', directory: true }, { name: 'api', directory: true }]));
    await until(() => engine.calls.filter((c) => c.method === 'apps.add').length === 2);
    expect(engine.calls.filter((c) => c.method === 'apps.add').map((c) => (c.params as { folder: string }).folder)).toEqual(['C:\\work\\shop', 'C:\\work\\api']);
    wrapper.unmount();
  });

  it('in a browser, asks for the path of a dropped folder', async () => {
    const { pinia } = await appsEngine();
    const wrapper = mount(App, { global: { plugins: [pinia] }, attachTo: document.body });
    window.dispatchEvent(drop([{ name: 'shop', directory: true }]));
    await settle();
    expect(document.querySelector('[data-testid="add-folder-form"]')).not.toBeNull();
    expect(useToasts().toasts.at(-1)?.detail).toMatch(/A browser cannot tell Berth where shop is/);
    wrapper.unmount();
  });
});

describe('log list', () => {
  it('renders only the visible rows of a large buffer, and highlights the search text', async () => {
    const { pinia } = await connected();
    const logs = useLogs();
    const lines: LogLine[] = [];
    for (let i = 0; i < 10_000; i++) lines.push({ seq: i, time: 0, pid: 7, stream: i % 2 ? 'stderr' : 'stdout', text: `line ${i} GET /item` });
    logs.receive(lines);
    const wrapper = mount(LogList, { global: { plugins: [pinia] } });
    await settle();
    const rows = wrapper.findAll('.row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    // The DOM holds a window of rows, not the buffer (following to the end is checked in a real browser, e2e).
    expect(wrapper.find('[data-seq="0"]').exists()).toBe(true);
    expect(wrapper.find('[data-seq="9999"]').exists()).toBe(false);
    expect(wrapper.get('.spacer').attributes('style')).toContain('height: 200000px');
    logs.setFilter({ search: 'get /' });
    await settle();
    expect(wrapper.find('mark').text()).toBe('GET /');
  });
});

describe('settings field', () => {
  it('shows the value, default and source, and puts edits in the draft', async () => {
    const { pinia } = await connected(new FakeEngine().on('config.get', () => configView()));
    const store = useAppConfig();
    await store.open('shop');
    const count = store.config!.settings[0]!;
    const wrapper = mount(SettingField, { props: { setting: count }, global: { plugins: [pinia] } });
    expect(wrapper.get('label').text()).toBe('nodeProcessCountPerApplication');
    expect(wrapper.get('[data-testid="setting-source"]').text()).toBe('berth.yml:3');
    expect(wrapper.text()).toContain('Default: 1');
    const input = wrapper.get('input');
    expect((input.element as HTMLInputElement).value).toBe('2');
    await input.setValue('4');
    expect(store.draft).toEqual({ nodeProcessCountPerApplication: 4 });
    store.fieldErrors = { nodeProcessCountPerApplication: 'Must be at most 64.' };
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toBe('Must be at most 64.');
    expect(input.attributes('aria-invalid')).toBe('true');
  });

  it('marks settings Berth ignores, shows ranges, and keeps environment-only settings read-only', async () => {
    const { pinia } = await connected(new FakeEngine().on('config.get', () => configView()));
    const ignored = mount(SettingField, { props: { setting: setting({ name: 'debuggerVirtualDir', kind: 'string', support: 'ignored', note: 'node-inspector is gone.' }) }, global: { plugins: [pinia] } });
    expect(ignored.text()).toContain('no effect in Berth: node-inspector is gone.');
    const ranged = mount(SettingField, { props: { setting: setting({ name: 'maxLogFiles', kind: 'uint', min: 1, max: 1000 }) }, global: { plugins: [pinia] } });
    expect(ranged.text()).toContain('Range: 1–1000');
    const envOnly = mount(SettingField, { props: { setting: setting({ name: 'configOverrides', kind: 'string', value: 'iisnode.yml', notInFile: true }) }, global: { plugins: [pinia] } });
    expect(envOnly.get('input').attributes('disabled')).toBeDefined();
    expect(envOnly.text()).toContain('set through the environment only');
  });

  it('uses a checkbox for booleans and a list for enums', async () => {
    const { pinia } = await connected(new FakeEngine().on('config.get', () => configView()));
    const store = useAppConfig();
    await store.open('shop');
    const bool = mount(SettingField, { props: { setting: store.config!.settings[1]! }, global: { plugins: [pinia] } });
    await bool.get('input[type="checkbox"]').setValue(false);
    const choice = mount(SettingField, { props: { setting: store.config!.settings[2]! }, global: { plugins: [pinia] } });
    expect(choice.findAll('option').map((o) => o.text())).toEqual(['roundRobin', 'leastBusy']);
    await choice.get('select').setValue('leastBusy');
    expect(store.draft).toEqual({ loggingEnabled: false, loadBalancing: 'leastBusy' });
  });
});

describe('debugging panel', () => {
  it('shows the inspector URL and a VS Code entry when debugging is on', async () => {
    const engine = new FakeEngine()
      .on('apps.list', () => [summary()])
      .on('debug.info', ({ app }) => ({ app, active: true, pid: 9, port: 5058, webSocketUrl: 'ws://127.0.0.1:5058/abc', devtoolsUrl: 'devtools://devtools/bundled/js_app.html?ws=127.0.0.1:5058/abc' }));
    const { pinia } = await connected(engine);
    useApps().attach();
    const wrapper = mount(DebugPanel, { props: { app: 'shop' }, global: { plugins: [pinia] } });
    await until(() => wrapper.find('[data-testid="inspector-url"]').exists());
    expect(wrapper.get('[data-testid="inspector-url"]').text()).toBe('ws://127.0.0.1:5058/abc');
    expect(JSON.parse(wrapper.get('[data-testid="vscode-config"]').text())).toMatchObject({ type: 'node', request: 'attach', port: 5058 });
    expect(wrapper.get('[data-testid="debug-toggle"]').attributes('aria-checked')).toBe('true');
  });

  it('says so when the engine cannot debug through the API yet', async () => {
    const { pinia } = await connected();
    const wrapper = mount(DebugPanel, { props: { app: 'shop' }, global: { plugins: [pinia] } });
    await until(() => wrapper.find('[data-testid="debug-unavailable"]').exists());
    expect(wrapper.get('[data-testid="debug-toggle"]').attributes('disabled')).toBeDefined();
  });
});

describe('small parts', () => {
  it('tabs move with the arrow keys', async () => {
    const wrapper = mount(TabBar, { props: { tabs: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }], selected: 'a', label: 'x' }, attachTo: document.body });
    await wrapper.get('[data-tab="a"]').trigger('keydown', { key: 'ArrowRight' });
    await wrapper.get('[data-tab="a"]').trigger('keydown', { key: 'End' });
    await wrapper.get('[data-tab="a"]').trigger('keydown', { key: 'ArrowLeft' });
    expect(wrapper.emitted('select')).toEqual([['b'], ['b'], ['b']]);
    expect(wrapper.get('[data-tab="a"]').attributes('tabindex')).toBe('0');
    expect(wrapper.get('[data-tab="b"]').attributes('tabindex')).toBe('-1');
    wrapper.unmount();
  });

  it('flags a worker whose heap keeps growing, in the table and on its chart', () => {
    const leaking = { ...worker({ pid: 77 }), leak: { suspected: true, growth: 0.35, heapAfterGc: [1, 2, 3, 4, 5] } };
    const table = mount(WorkersTable, { props: { workers: [leaking, worker({ pid: 78 })] } });
    expect(table.get('tr[data-pid="77"]').text()).toContain('possible leak');
    expect(table.get('tr[data-pid="78"]').text()).not.toContain('possible leak');
    const now = Date.now();
    const samples = [0, 1, 2].map((i) => ({ t: now - (2 - i) * 1000, rss: (40 + i) * 1048576, heapUsed: (8 + i) * 1048576, heapTotal: 1, external: 0, cpuPercent: 0, eventLoopP50: 0, eventLoopP99: 0, activeRequests: 0, requestsPerSecond: 0, totalRequests: 0, status4xx: 0, status5xx: 0, latencyP50: 0, latencyP99: 0 }));
    const chart = mount(MemoryChart, { props: { worker: leaking, samples } });
    expect(chart.text()).toMatch(/The heap keeps growing after garbage collection \(\+35% over the last 5\): a possible leak/);
    expect(chart.get('path.line.rss').attributes('d')).toMatch(/^M[\d.]+,[\d.]+L/);
    expect(chart.get('svg').attributes('aria-label')).toBe('Worker 77: 42.0 MB resident, 10.0 MB heap used');
  });
});
