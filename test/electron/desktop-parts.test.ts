import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { engineEnvironment } from '../../electron/engine-env.js';
import { parseLaunchArgs } from '../../electron/launch-args.js';
import { applyStartAtLogin, startsAtLogin } from '../../electron/login-item.js';
import { notificationFor, Notifier, type NotificationContent } from '../../electron/notifications.js';
import { DEFAULT_SETTINGS, normalizeSettings, SettingsStore, validatePatch } from '../../electron/settings-store.js';
import { claimSingleInstance } from '../../electron/single-instance.js';
import type { EngineEvent } from '../../core/events.js';

const crash = (app = 'shop', stderr = ['TypeError: x is undefined']): EngineEvent => ({ type: 'worker-exit', app, pid: 9, generation: 1, slot: 0, code: 1, signal: null, expected: false, beforeReady: false, uptimeMs: 900, stderr, restartInMs: 150 });

describe('launch arguments and single instance', () => {
  test('folders on the command line are resolved from the working directory; flags are not folders', () => {
    assert.deepEqual(parseLaunchArgs(['C:\\Berth\\Berth.exe', 'shop', 'C:\\work\\api', '--hidden', '--inspect=9229'], { packaged: true, cwd: 'C:\\work', platform: 'win32' }), {
      folders: ['C:\\work\\shop', 'C:\\work\\api'],
      hidden: true,
    });
    // Development: `electron . <folder>` has the app path second.
    assert.deepEqual(parseLaunchArgs(['/usr/bin/electron', '.', 'shop'], { packaged: false, cwd: '/w', platform: 'linux' }), { folders: ['/w/shop'], hidden: false });
  });

  test('a second launch hands its command line to the first and quits', () => {
    const handlers: ((e: unknown, argv: string[], cwd: string) => void)[] = [];
    let quits = 0;
    const app = (lock: boolean) => ({ requestSingleInstanceLock: () => lock, on: (_: 'second-instance', l: (e: unknown, argv: string[], cwd: string) => void) => handlers.push(l), quit: () => void quits++ });
    const seen: string[] = [];
    assert.equal(claimSingleInstance(app(true), (argv, cwd) => seen.push(`${argv.join(' ')} @ ${cwd}`)), true);
    handlers[0]!({}, ['Berth.exe', 'shop'], 'C:\\work');
    assert.deepEqual(seen, ['Berth.exe shop @ C:\\work']);
    assert.equal(claimSingleInstance(app(false), () => assert.fail('not the first')), false);
    assert.equal(quits, 1);
  });

  test('start at login registers Berth to start hidden', () => {
    let settings: { openAtLogin: boolean; args?: string[] } | undefined;
    const app = { setLoginItemSettings: (s: { openAtLogin: boolean; args?: string[] }) => (settings = s), getLoginItemSettings: () => ({ openAtLogin: settings?.openAtLogin ?? false }) };
    applyStartAtLogin(app, true);
    assert.deepEqual(settings, { openAtLogin: true, args: ['--hidden'] });
    assert.equal(startsAtLogin(app), true);
  });
});

describe('notifications', () => {
  test('a crash, an errored app and a failed upgrade notify; expected exits and routine events do not', () => {
    assert.deepEqual(notificationFor(crash()), { app: 'shop', kind: 'crash', title: 'shop crashed', body: 'A worker ended with exit code 1. TypeError: x is undefined' });
    assert.equal(notificationFor({ type: 'app-state', app: 'shop', state: 'errored', problem: 'It crashed 10 times in a minute.' })?.body, 'It crashed 10 times in a minute.');
    assert.match(notificationFor({ type: 'recycle-failed', app: 'shop', reason: 'x', title: 'SyntaxError in server.js', detail: '', stillServing: 2 })!.body, /previous version keeps serving/);
    assert.equal(notificationFor({ ...crash(), expected: true } as EngineEvent), undefined);
    assert.equal(notificationFor({ type: 'app-state', app: 'shop', state: 'running' }), undefined);
  });

  test('a crash loop notifies once a minute per app, then once more when the app gives up; clicks open the app', () => {
    let now = 0;
    const shown: NotificationContent[] = [];
    const clicks: string[] = [];
    const notifier = new Notifier({ show: (c, onClick) => (shown.push(c), onClick()), enabled: () => true, onClick: (app) => clicks.push(app), now: () => now });
    assert.equal(notifier.handle(crash()), true);
    now += 1000;
    assert.equal(notifier.handle(crash()), false, 'quiet within a minute');
    assert.equal(notifier.handle(crash('api')), true, 'another app is news');
    assert.equal(notifier.handle({ type: 'app-state', app: 'shop', state: 'errored' }), true);
    now += 60_000;
    assert.equal(notifier.handle(crash()), true);
    assert.deepEqual(shown.map((s) => `${s.app} ${s.kind}`), ['shop crash', 'api crash', 'shop errored', 'shop crash']);
    assert.deepEqual(clicks, ['shop', 'api', 'shop', 'shop']);
  });

  test('turned off in the settings: nothing', () => {
    const notifier = new Notifier({ show: () => assert.fail('off'), enabled: () => false, onClick: () => undefined });
    assert.equal(notifier.handle(crash()), false);
  });
});

describe('desktop settings', () => {
  test('a patch from the window is checked key by key', () => {
    assert.deepEqual(validatePatch({ frontPort: 8081, nodePath: '  C:\\node\\node.exe  ', closeToTray: false }), { frontPort: 8081, nodePath: 'C:\\node\\node.exe', closeToTray: false });
    assert.throws(() => validatePatch({ frontPort: 70000 }), /1 to 65535/);
    assert.throws(() => validatePatch({ frontPort: '80' }), /whole number/);
    assert.throws(() => validatePatch({ startAtLogin: 'yes' }), /true or false/);
    assert.throws(() => validatePatch({ theme: 'dark' }), /"theme" is not a desktop setting/);
    assert.throws(() => validatePatch(null), /must be an object/);
  });

  test('a broken or partial file gives the defaults for what is missing', () => {
    assert.deepEqual(normalizeSettings({ frontPort: 9000, closeToTray: 'no', extra: 1 }), { ...DEFAULT_SETTINGS, frontPort: 9000 });
    assert.deepEqual(normalizeSettings('garbage'), DEFAULT_SETTINGS);
  });

  test('settings and the window place are saved atomically and read back; an unreadable file is not fatal', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-desktop-'));
    try {
      const store = SettingsStore.inFolder(path.join(dir, 'userData'));
      assert.deepEqual((await store.load()).settings, DEFAULT_SETTINGS);
      await store.update({ frontPort: 8090 });
      await store.saveWindow({ bounds: { x: 1, y: 2, width: 1300, height: 900 }, maximized: true });
      const again = SettingsStore.inFolder(path.join(dir, 'userData'));
      const state = await again.load();
      assert.equal(state.settings.frontPort, 8090);
      assert.deepEqual(state.window, { bounds: { x: 1, y: 2, width: 1300, height: 900 }, maximized: true });
      await writeFile(store.file, '{ not json');
      assert.deepEqual((await again.load()).settings, DEFAULT_SETTINGS);
      assert.match(await readFile(store.file, 'utf8'), /not json/, 'a broken file is left for the user, rewritten only on the next change');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('engine process environment', () => {
  test('the desktop node path becomes the default nodeProcessCommandLine; an empty one leaves the environment alone', () => {
    const env = engineEnvironment({ PATH: '/bin', ELECTRON_RUN_AS_NODE: '1' }, { nodePath: ' C:\\node22\\node.exe ' });
    assert.deepEqual(env, { PATH: '/bin', BERTH_NODEPROCESSCOMMANDLINE: 'C:\\node22\\node.exe' });
    assert.deepEqual(engineEnvironment({ BERTH_NODEPROCESSCOMMANDLINE: 'node --max-old-space-size=4096' }, { nodePath: '' }), { BERTH_NODEPROCESSCOMMANDLINE: 'node --max-old-space-size=4096' });
  });

});
