import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { buildTrayMenu, trayHeadline, trayState, trayTooltip, type TrayActions, type TraySnapshot } from '../../electron/tray-menu.js';
import { TrayController, trayIcon } from '../../electron/tray.js';

function app(name: string, state: string) {
  return { name, state: state as 'running', url: `http://${name}.localhost:8080/`, folder: `/w/${name}` };
}

function snapshot(overrides: Partial<TraySnapshot> = {}): TraySnapshot {
  return { apps: [app('shop', 'running'), app('api', 'stopped')], debugging: new Set(), startAtLogin: false, engine: { state: 'running' }, ...overrides };
}

function recorder(): { actions: TrayActions; calls: string[] } {
  const calls: string[] = [];
  const actions: TrayActions = {
    openWindow: (a) => calls.push(`open-window ${a ?? ''}`.trim()),
    openInBrowser: (u) => calls.push(`browser ${u}`),
    appAction: (a, action) => calls.push(`${action} ${a}`),
    setDebugging: (a, on) => calls.push(`debug ${a} ${on}`),
    openLogs: (a) => calls.push(`logs ${a}`),
    startAll: () => calls.push('start-all'),
    stopAll: () => calls.push('stop-all'),
    setStartAtLogin: (on) => calls.push(`login ${on}`),
    quit: () => calls.push('quit'),
  };
  return { actions, calls };
}

function find(items: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions {
  for (const item of items) {
    if (item.id === id) return item;
    if (Array.isArray(item.submenu)) {
      const inner = item.submenu.find((i) => i.id === id);
      if (inner) return inner;
    }
  }
  throw new Error(`no item ${id}`);
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('tray menu', () => {
  test('lists each app with its state, then start all / stop all, open, start at login, quit', () => {
    const { actions } = recorder();
    const items = buildTrayMenu(snapshot(), actions);
    const labels = items.map((i) => (i.type === 'separator' ? '---' : i.label));
    assert.deepEqual(labels, ['Berth: 1 of 2 apps running', '---', 'shop: Running', 'api: Stopped', '---', 'Start all', 'Stop all', '---', 'Open Berth', 'Start Berth at login', '---', 'Quit Berth']);
    assert.equal(find(items, 'start-all').enabled, true, 'api is stopped');
    assert.equal(find(items, 'stop-all').enabled, true, 'shop runs');
  });

  test('each app has a submenu: open in browser, restart, stop or start, debugging, logs folder', () => {
    const { actions, calls } = recorder();
    const items = buildTrayMenu(snapshot({ debugging: new Set(['shop']) }), actions);
    const shop = find(items, 'app:shop');
    assert.equal(shop.label, 'shop: Running (debugging)');
    const sub = (shop.submenu as MenuItemConstructorOptions[]).filter((i) => i.type !== 'separator').map((i) => i.label);
    assert.deepEqual(sub, ['Open in browser', 'Show in Berth', 'Restart', 'Stop', 'Debugging', 'Open logs folder']);
    assert.equal(find(items, 'debug:shop').checked, true);
    click(find(items, 'open:shop'));
    click(find(items, 'stop:shop'));
    click(find(items, 'debug:shop'));
    click(find(items, 'logs:shop'));
    click(find(items, 'start:api'));
    assert.equal(find(items, 'open:api').enabled, false, 'a stopped app has nothing to open');
    assert.deepEqual(calls, ['browser http://shop.localhost:8080/', 'stop shop', 'debug shop false', 'logs shop', 'start api']);
  });

  test('start at login is a checkbox that flips the setting; quit quits', () => {
    const { actions, calls } = recorder();
    const items = buildTrayMenu(snapshot({ startAtLogin: true }), actions);
    assert.equal(find(items, 'login').checked, true);
    click(find(items, 'login'));
    click(find(items, 'quit'));
    click(find(items, 'open'));
    assert.deepEqual(calls, ['login false', 'quit', 'open-window']);
  });

  test('while the engine is down, app items are disabled and the reason is shown', () => {
    const { actions } = recorder();
    const items = buildTrayMenu(snapshot({ engine: { state: 'failed', message: 'Port 8080 is in use by nginx.exe (pid 42).' } }), actions);
    assert.equal(items[0]!.label, 'Berth: the engine cannot start');
    assert.equal(find(items, 'engine-problem').label, 'Port 8080 is in use by nginx.exe (pid 42).');
    assert.equal(find(items, 'app:shop').enabled, false);
    assert.equal(find(items, 'start-all').enabled, false);
  });

  test('the icon state: failed beats starting beats running; the engine comes first', () => {
    assert.equal(trayState(snapshot()), 'running');
    assert.equal(trayState(snapshot({ apps: [app('a', 'running'), app('b', 'starting')] })), 'starting');
    assert.equal(trayState(snapshot({ apps: [app('a', 'starting'), app('b', 'errored')] })), 'failed');
    assert.equal(trayState(snapshot({ engine: { state: 'starting' } })), 'starting');
    assert.equal(trayState(snapshot({ apps: [] })), 'empty');
    assert.equal(trayHeadline(snapshot({ apps: [] })), 'Berth: no apps yet');
  });

  test('a sleeping app (onDemand, idle) is calm: the icon stays running, the headline counts it, its menu can open and stop it', () => {
    const sleepy = snapshot({ apps: [app('a', 'sleeping'), app('b', 'stopped')] });
    assert.equal(trayState(sleepy), 'running');
    assert.equal(trayState(snapshot({ apps: [app('a', 'sleeping')] })), 'running');
    assert.equal(trayHeadline(snapshot({ apps: [app('a', 'running'), app('b', 'sleeping')] })), 'Berth: 1 of 2 apps running, 1 sleeping');
    assert.equal(trayTooltip(sleepy), 'Berth: 0 of 2 apps running, 1 sleeping');
    const items = buildTrayMenu(sleepy, recorder().actions);
    assert.equal(find(items, 'app:a').label, 'a: Sleeping');
    assert.equal(find(items, 'open:a').enabled, true);
    assert.ok(find(items, 'stop:a'));
    assert.equal(find(items, 'stop-all').enabled, true);
  });

  test('the tooltip names apps that need attention, within Windows\' 127 characters', () => {
    const tip = trayTooltip(snapshot({ apps: [app('shop', 'errored'), app('api', 'running')] }));
    assert.equal(tip, 'Berth: 1 of 2 apps running\nshop: Errored');
    const many = trayTooltip(snapshot({ apps: Array.from({ length: 20 }, (_, i) => app(`app-number-${i}`, 'errored')) }));
    assert.ok(many.length <= 127);
  });
});

describe('tray controller', () => {
  function fakeTray() {
    const calls: string[] = [];
    let onClick: () => void = () => undefined;
    const tray = {
      setImage: (p: string) => calls.push(`image ${p}`),
      setToolTip: (t: string) => calls.push(`tooltip ${t.split('\n')[0]}`),
      setContextMenu: () => calls.push('menu'),
      on: (_e: 'click', l: () => void) => (onClick = l),
      destroy: () => calls.push('destroy'),
    };
    return { tray, calls, click: () => onClick() };
  }

  test('shows the state as an icon, rebuilds once per burst of changes, and opens the window on click', async () => {
    const fake = fakeTray();
    let current = snapshot({ engine: { state: 'starting' }, apps: [] });
    const { actions, calls } = recorder();
    let built = 0;
    let onBuilt: (() => void) | undefined;
    const rebuilt = () => new Promise<void>((resolve) => (onBuilt = resolve));
    const debounceMs = 10;
    const controller = new TrayController({
      createTray: (icon) => {
        fake.calls.push(`create ${icon}`);
        return fake.tray;
      },
      buildMenu: (template) => {
        built++;
        onBuilt?.();
        return template;
      },
      iconDir: '/icons',
      snapshot: () => current,
      actions,
      debounceMs,
    });
    assert.equal(fake.calls[0], `create ${trayIcon('/icons', 'starting')}`);
    assert.equal(built, 1);
    current = snapshot({ apps: [app('shop', 'errored')] });
    let next = rebuilt();
    controller.update();
    controller.update();
    controller.update();
    await next;
    assert.equal(built, 2);
    assert.ok(fake.calls.includes(`image ${trayIcon('/icons', 'failed')}`));
    assert.match(controller.template[0]!.label!, /0 of 1 app running/);
    // One more update after the burst rebuilds once more: had the burst scheduled a second rebuild, its timer (same
    // delay, set earlier) would have fired first and made this 4.
    next = rebuilt();
    controller.update();
    await next;
    assert.equal(built, 3, 'three updates, one rebuild');
    fake.click();
    assert.deepEqual(calls, ['open-window']);
    controller.dispose();
    controller.update();
    // Proving an absence: a timer of the same delay set after update() fires after any rebuild it could have scheduled.
    await new Promise((r) => setTimeout(r, debounceMs));
    assert.equal(built, 3, 'nothing after dispose');
    assert.ok(fake.calls.includes('destroy'));
  });

  test('icon files per state', () => {
    assert.match(trayIcon('/i', 'running'), /tray-running\.png$/);
    assert.match(trayIcon('/i', 'failed'), /tray-failed\.png$/);
    assert.match(trayIcon('/i', 'empty'), /tray-idle\.png$/);
    assert.match(trayIcon('/i', 'stopped'), /tray-idle\.png$/);
  });
});
