import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { closeAction, MainWindow, windowOptions, type WindowLike } from '../../electron/main-window.js';
import { restoreWindowState, type Rect, type WindowState } from '../../electron/window-state.js';

const screen: Rect = { x: 0, y: 0, width: 1920, height: 1040 };

describe('window state', () => {
  test('a saved place still on a screen is used as it is', () => {
    const saved: WindowState = { bounds: { x: 100, y: 80, width: 1300, height: 820 }, maximized: true };
    assert.deepEqual(restoreWindowState(saved, [screen], screen), saved);
  });

  test('a place on a monitor that was unplugged falls back to the centre of the primary screen, keeping the size', () => {
    const saved = { bounds: { x: 2500, y: 100, width: 1300, height: 820 }, maximized: false };
    assert.deepEqual(restoreWindowState(saved, [screen], screen), { bounds: { x: 310, y: 110, width: 1300, height: 820 }, maximized: false });
  });

  test('nothing saved, or garbage: 1280×800 centred; never smaller than the minimum', () => {
    assert.deepEqual(restoreWindowState(undefined, [screen], screen).bounds, { x: 320, y: 120, width: 1280, height: 800 });
    assert.deepEqual(restoreWindowState({ bounds: { x: 'a' } }, [screen], screen).bounds, { x: 320, y: 120, width: 1280, height: 800 });
    assert.deepEqual(restoreWindowState({ bounds: { x: 10, y: 10, width: 200, height: 100 } }, [screen], screen).bounds, { x: 10, y: 10, width: 960, height: 600 });
    const small: Rect = { x: 0, y: 0, width: 1024, height: 700 };
    assert.deepEqual(restoreWindowState(undefined, [small], small).bounds, { x: 0, y: 0, width: 1024, height: 700 });
  });
});

class FakeWindow extends EventEmitter implements WindowLike {
  visible = false;
  destroyed = false;
  loaded = '';
  sent: [string, unknown][] = [];
  webContents = { send: (channel: string, payload: unknown) => void this.sent.push([channel, payload]) };
  constructor(readonly options: Record<string, unknown>) {
    super();
  }
  async loadURL(url: string) {
    this.loaded = url;
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  restore() {}
  maximize() {}
  isMinimized() {
    return false;
  }
  isMaximized() {
    return false;
  }
  isVisible() {
    return this.visible;
  }
  isDestroyed() {
    return this.destroyed;
  }
  getNormalBounds(): Rect {
    return { x: 1, y: 2, width: 1111, height: 777 };
  }
  /** What Electron does when the user clicks the close button. */
  userCloses(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return !prevented;
  }
}

function setup(closeToTray: boolean) {
  const windows: FakeWindow[] = [];
  const saved: WindowState[] = [];
  let hides = 0;
  const controller = new MainWindow({
    create: (options) => {
      const w = new FakeWindow(options as Record<string, unknown>);
      windows.push(w);
      return w;
    },
    url: 'berth://app/index.html',
    preload: '/app/dist/electron/preload.cjs',
    backgroundColor: () => '#14171c',
    displays: () => ({ workAreas: [screen], primary: screen }),
    savedState: () => undefined,
    saveState: (s) => void saved.push(s),
    closeToTray: () => closeToTray,
    onFirstHide: () => void hides++,
  });
  return { controller, windows, saved, hides: () => hides };
}

describe('main window', () => {
  test('is created hardened and hidden, loads the page, and shows when its first paint is ready', () => {
    const { controller, windows } = setup(true);
    controller.create(true);
    const w = windows[0]!;
    const prefs = w.options.webPreferences as Record<string, unknown>;
    assert.deepEqual(
      { contextIsolation: prefs.contextIsolation, sandbox: prefs.sandbox, nodeIntegration: prefs.nodeIntegration, webSecurity: prefs.webSecurity, webviewTag: prefs.webviewTag },
      { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false },
    );
    assert.equal(prefs.preload, '/app/dist/electron/preload.cjs');
    assert.equal(w.options.show, false);
    assert.equal(w.loaded, 'berth://app/index.html');
    assert.equal(w.visible, false);
    w.emit('ready-to-show');
    assert.equal(w.visible, true);
  });

  test('closing hides it into the tray (once saying so), and the same window comes back', () => {
    const { controller, windows, saved, hides } = setup(true);
    controller.create(true);
    const w = windows[0]!;
    w.visible = true;
    assert.equal(w.userCloses(), false);
    assert.equal(w.visible, false);
    assert.equal(w.userCloses(), false);
    assert.equal(hides(), 1, 'told once');
    assert.deepEqual(saved.at(-1), { bounds: { x: 1, y: 2, width: 1111, height: 777 }, maximized: false });
    controller.show();
    assert.equal(windows.length, 1);
    assert.equal(w.visible, true);
  });

  test('with close-to-tray off, or while quitting, closing closes', () => {
    const off = setup(false);
    off.controller.create(true);
    assert.equal(off.windows[0]!.userCloses(), true);
    assert.equal(off.controller.window, undefined);
    off.controller.show();
    assert.equal(off.windows.length, 2, 'a new window after the old one closed');

    const quitting = setup(true);
    quitting.controller.create(true);
    quitting.controller.quitting = true;
    assert.equal(quitting.windows[0]!.userCloses(), true);
    assert.equal(closeAction({ quitting: false, closeToTray: true }), 'hide');
    assert.equal(closeAction({ quitting: true, closeToTray: true }), 'close');
  });

  test('a start at login creates the window without showing it', () => {
    const { controller, windows } = setup(true);
    controller.create(false);
    windows[0]!.emit('ready-to-show');
    assert.equal(windows[0]!.visible, false);
  });

  test('messages to the page go to the live window only', () => {
    const { controller, windows } = setup(false);
    controller.send('berth:show-app', 'shop');
    controller.create(true);
    controller.send('berth:show-app', 'shop');
    assert.deepEqual(windows[0]!.sent, [['berth:show-app', 'shop']]);
    assert.equal(windowOptions({ bounds: screen, maximized: false }, 'p', '#fff').minWidth, 960);
  });
});
