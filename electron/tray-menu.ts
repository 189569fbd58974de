/**
 * The tray menu as data (pure): one entry per app with its state and a submenu, then start all / stop all, open Berth,
 * start at login, quit. The tray controller turns it into a native menu; tests read it as it is.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { AppSummary } from '../core/control/protocol.js';
import { overallState, STATE_WORDS, type OverallState } from '../core/shared/overall-state.js';

export interface TraySnapshot {
  apps: readonly Pick<AppSummary, 'name' | 'state' | 'url' | 'folder'>[];
  /** Apps with a debug session. */
  debugging: ReadonlySet<string>;
  startAtLogin: boolean;
  /** The engine itself: running, (re)starting, or failed with a reason. */
  engine: { state: 'running' | 'starting' | 'failed'; message?: string };
}

/** What the menu's items do (wired to the engine link and the window by the controller). */
export interface TrayActions {
  openWindow(app?: string): void;
  openInBrowser(url: string): void;
  appAction(app: string, action: 'start' | 'stop' | 'restart'): void;
  setDebugging(app: string, on: boolean): void;
  openLogs(app: string): void;
  startAll(): void;
  stopAll(): void;
  setStartAtLogin(on: boolean): void;
  quit(): void;
}

export function trayHeadline(snapshot: TraySnapshot): string {
  if (snapshot.engine.state === 'starting') return 'Berth: starting the engine…';
  if (snapshot.engine.state === 'failed') return 'Berth: the engine cannot start';
  const running = snapshot.apps.filter((a) => a.state === 'running').length;
  if (!snapshot.apps.length) return 'Berth: no apps yet';
  const sleeping = snapshot.apps.filter((a) => a.state === 'sleeping').length;
  return `Berth: ${running} of ${snapshot.apps.length} ${snapshot.apps.length === 1 ? 'app' : 'apps'} running${sleeping ? `, ${sleeping} sleeping` : ''}`;
}

/** The tray icon's state: the engine's trouble first, then the apps'. */
export function trayState(snapshot: TraySnapshot): OverallState {
  if (snapshot.engine.state === 'failed') return 'failed';
  if (snapshot.engine.state === 'starting') return 'starting';
  return overallState(snapshot.apps);
}

export function buildTrayMenu(snapshot: TraySnapshot, actions: TrayActions): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [{ id: 'headline', label: trayHeadline(snapshot), enabled: false }];
  if (snapshot.engine.state === 'failed' && snapshot.engine.message) {
    items.push({ id: 'engine-problem', label: truncate(snapshot.engine.message, 80), enabled: false });
  }
  const connected = snapshot.engine.state === 'running';
  if (snapshot.apps.length) items.push({ type: 'separator' });
  for (const app of snapshot.apps) {
    const running = app.state === 'running' || app.state === 'starting' || app.state === 'errored' || app.state === 'sleeping';
    const debugging = snapshot.debugging.has(app.name);
    items.push({
      id: `app:${app.name}`,
      label: `${app.name}: ${STATE_WORDS[app.state] ?? app.state}${debugging ? ' (debugging)' : ''}`,
      enabled: connected,
      submenu: [
        { id: `open:${app.name}`, label: 'Open in browser', enabled: app.state === 'running' || app.state === 'sleeping', click: () => actions.openInBrowser(app.url) },
        { id: `show:${app.name}`, label: 'Show in Berth', click: () => actions.openWindow(app.name) },
        { type: 'separator' },
        { id: `restart:${app.name}`, label: 'Restart', enabled: app.state !== 'missing', click: () => actions.appAction(app.name, 'restart') },
        running
          ? { id: `stop:${app.name}`, label: 'Stop', click: () => actions.appAction(app.name, 'stop') }
          : { id: `start:${app.name}`, label: 'Start', enabled: app.state !== 'missing', click: () => actions.appAction(app.name, 'start') },
        { id: `debug:${app.name}`, label: 'Debugging', type: 'checkbox', checked: debugging, enabled: app.state === 'running' || debugging, click: () => actions.setDebugging(app.name, !debugging) },
        { type: 'separator' },
        { id: `logs:${app.name}`, label: 'Open logs folder', enabled: app.state !== 'missing', click: () => actions.openLogs(app.name) },
      ],
    });
  }
  items.push({ type: 'separator' });
  const anyStopped = snapshot.apps.some((a) => a.state === 'stopped');
  const anyRunning = snapshot.apps.some((a) => a.state === 'running' || a.state === 'starting' || a.state === 'errored' || a.state === 'sleeping');
  items.push({ id: 'start-all', label: 'Start all', enabled: connected && anyStopped, click: () => actions.startAll() });
  items.push({ id: 'stop-all', label: 'Stop all', enabled: connected && anyRunning, click: () => actions.stopAll() });
  items.push({ type: 'separator' });
  items.push({ id: 'open', label: 'Open Berth', click: () => actions.openWindow() });
  items.push({ id: 'login', label: 'Start Berth at login', type: 'checkbox', checked: snapshot.startAtLogin, click: () => actions.setStartAtLogin(!snapshot.startAtLogin) });
  items.push({ type: 'separator' });
  items.push({ id: 'quit', label: 'Quit Berth', click: () => actions.quit() });
  return items;
}

/** The tooltip: the headline, then the apps that need attention. */
export function trayTooltip(snapshot: TraySnapshot): string {
  const lines = [trayHeadline(snapshot)];
  for (const app of snapshot.apps) if (app.state === 'errored' || app.state === 'missing') lines.push(`${app.name}: ${STATE_WORDS[app.state]}`);
  // Windows cuts tooltips at 127 characters.
  return truncate(lines.join('\n'), 127);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
