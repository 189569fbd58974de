/**
 * The tray icon: its picture shows the overall state (all running / something starting / something failed), its
 * tooltip says it in words, its menu is rebuilt (debounced) whenever the apps, the engine or the settings change, and
 * a left click opens the window. Electron's Tray and Menu are injected.
 */
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { buildTrayMenu, trayState, trayTooltip, type TrayActions, type TraySnapshot } from './tray-menu.js';
import type { OverallState } from '../core/shared/overall-state.js';

export interface TrayLike {
  setImage(image: string): void;
  setToolTip(text: string): void;
  setContextMenu(menu: unknown): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface TrayDeps {
  createTray(iconPath: string): TrayLike;
  buildMenu(template: MenuItemConstructorOptions[]): unknown;
  /** Folder of tray-<state>.png (and @2x) icons. */
  iconDir: string;
  snapshot(): TraySnapshot;
  actions: TrayActions;
  debounceMs?: number;
}

export function trayIcon(iconDir: string, state: OverallState): string {
  const name = state === 'failed' ? 'failed' : state === 'starting' ? 'starting' : state === 'running' ? 'running' : 'idle';
  return path.join(iconDir, `tray-${name}.png`);
}

export class TrayController {
  private readonly tray: TrayLike;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private icon = '';
  private disposed = false;
  /** The last menu template (tests read it; it is what the user sees). */
  template: MenuItemConstructorOptions[] = [];

  constructor(private readonly deps: TrayDeps) {
    this.tray = deps.createTray(trayIcon(deps.iconDir, 'starting'));
    this.tray.on('click', () => deps.actions.openWindow());
    this.render();
  }

  /** Something changed: rebuild soon (a burst of engine events gives one rebuild). */
  update(): void {
    if (this.disposed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, this.deps.debounceMs ?? 100);
  }

  render(): void {
    if (this.disposed) return;
    const snapshot = this.deps.snapshot();
    const icon = trayIcon(this.deps.iconDir, trayState(snapshot));
    if (icon !== this.icon) {
      this.tray.setImage(icon);
      this.icon = icon;
    }
    this.tray.setToolTip(trayTooltip(snapshot));
    this.template = buildTrayMenu(snapshot, this.deps.actions);
    this.tray.setContextMenu(this.deps.buildMenu(this.template));
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.tray.destroy();
  }
}
