/**
 * The main window: created hardened and hidden, shown when its first paint is ready, placed where it was last time,
 * and closed into the tray unless the user turned that off or Berth is quitting. Electron's BrowserWindow is injected.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { MIN_SIZE, restoreWindowState, type Rect, type WindowState } from './window-state.js';

export interface WindowLike {
  loadURL(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  maximize(): void;
  isMinimized(): boolean;
  isMaximized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
  getNormalBounds(): Rect;
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'closed' | 'ready-to-show' | 'resize' | 'move' | 'maximize' | 'unmaximize', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
  webContents: { send(channel: string, payload: unknown): void };
}

export type CloseAction = 'hide' | 'close';

/** What closing the window does (pure): hide into the tray unless quitting or close-to-tray is off. */
export function closeAction(options: { quitting: boolean; closeToTray: boolean }): CloseAction {
  return !options.quitting && options.closeToTray ? 'hide' : 'close';
}

export function windowOptions(state: WindowState, preload: string, backgroundColor: string, icon?: string): BrowserWindowConstructorOptions {
  return {
    ...state.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Berth',
    backgroundColor,
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: true,
    },
  };
}

export interface MainWindowDeps {
  create(options: BrowserWindowConstructorOptions): WindowLike;
  url: string;
  preload: string;
  icon?: string;
  backgroundColor(): string;
  /** Screens: work areas and the primary one. */
  displays(): { workAreas: Rect[]; primary: Rect };
  savedState(): WindowState | undefined;
  saveState(state: WindowState): void;
  closeToTray(): boolean;
  /** The first time the window hides into the tray, say so (people look for it in the taskbar). */
  onFirstHide?(): void;
  saveDelayMs?: number;
}

export class MainWindow {
  window: WindowLike | undefined;
  quitting = false;
  private hiddenOnce = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: MainWindowDeps) {}

  /** Shows the window, creating it when needed (second launch, tray click, notification click). */
  show(): WindowLike {
    const win = this.window && !this.window.isDestroyed() ? this.window : this.create(true);
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    return win;
  }

  /** Creates the window; `visible: false` for a start at login (it stays in the tray). */
  create(visible: boolean): WindowLike {
    const { workAreas, primary } = this.deps.displays();
    const state = restoreWindowState(this.deps.savedState(), workAreas, primary);
    const win = this.deps.create(windowOptions(state, this.deps.preload, this.deps.backgroundColor(), this.deps.icon));
    this.window = win;
    win.once('ready-to-show', () => {
      if (state.maximized) win.maximize();
      if (visible) win.show();
    });
    const save = () => this.scheduleSave(win);
    for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event, save);
    win.on('close', (event) => {
      this.saveNow(win);
      if (closeAction({ quitting: this.quitting, closeToTray: this.deps.closeToTray() }) === 'hide') {
        event.preventDefault();
        win.hide();
        if (!this.hiddenOnce) {
          this.hiddenOnce = true;
          this.deps.onFirstHide?.();
        }
      }
    });
    win.on('closed', () => {
      if (this.window === win) this.window = undefined;
    });
    void win.loadURL(this.deps.url);
    return win;
  }

  send(channel: string, payload: unknown): void {
    const win = this.window;
    if (win && !win.isDestroyed()) win.webContents.send(channel, payload);
  }

  private scheduleSave(win: WindowLike): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveNow(win), this.deps.saveDelayMs ?? 500);
  }

  private saveNow(win: WindowLike): void {
    clearTimeout(this.saveTimer);
    if (win.isDestroyed()) return;
    this.deps.saveState({ bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  }
}
