/**
 * "Start Berth at login": a per-user login item (the registry's Run key on Windows, set by Electron; no admin
 * rights) that starts Berth with --hidden, so it comes up in the tray and hosts the apps without opening a window.
 */
import { HIDDEN_FLAG } from './launch-args.js';

export interface LoginApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[]; path?: string }): void;
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
}

export function applyStartAtLogin(app: LoginApp, enabled: boolean): void {
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
}

/** What the system says (the user may have turned it off in Task Manager's Startup apps). */
export function startsAtLogin(app: LoginApp): boolean {
  return app.getLoginItemSettings({ args: [HIDDEN_FLAG] }).openAtLogin;
}
