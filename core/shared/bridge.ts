/**
 * The one object the desktop app's preload (electron/preload.cts) exposes to the page, as `window.berth`, and the IPC channels behind it. Types only:
 * the preload (preload.cts), the main process (ipc.ts) and the renderer all import this file, and nothing in it runs.
 *
 * Everything about apps, logs, metrics, settings files and debugging goes through the engine's control API; the
 * bridge only gives the page what a web page cannot do itself: find the engine, native dialogs and shell actions,
 * the paths of dropped folders, and the desktop's own settings.
 */

/** Where the engine's control API listens, and its token. */
export interface EngineEndpoint {
  /** ws://127.0.0.1:<port>/control */
  url: string;
  token: string;
}

/** Settings that belong to the desktop app (the engine knows nothing of them). */
export interface DesktopSettings {
  /** Closing the window keeps Berth running in the tray (false: closing the window quits). */
  closeToTray: boolean;
  /** Start Berth when the user signs in (hidden, in the tray). */
  startAtLogin: boolean;
  /** The front server's port (the engine restarts to apply a change). */
  frontPort: number;
  /** Default command that starts workers (`nodeProcessCommandLine` for apps that do not set it); '' = node on PATH. */
  nodePath: string;
  /** Show a notification when an app crashes, enters errored, or an upgrade fails. */
  notifications: boolean;
}

/** Main's answer to every invoke: failures travel as data (Error objects lose their fields in structured clone). */
export type BridgeResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** Every renderer → main call: its arguments and result. */
export interface InvokeChannels {
  'berth:engine-endpoint': { args: []; result: EngineEndpoint };
  'berth:pick-folders': { args: []; result: string[] };
  'berth:open-external': { args: [url: string]; result: void };
  'berth:reveal': { args: [path: string]; result: void };
  'berth:open-folder': { args: [path: string]; result: void };
  'berth:get-settings': { args: []; result: DesktopSettings };
  'berth:set-settings': { args: [patch: Partial<DesktopSettings>]; result: DesktopSettings };
}
export type InvokeChannel = keyof InvokeChannels;

/** Every main → renderer message and its payload. */
export interface EventChannels {
  /** The engine restarted (its port and token changed): reconnect to this endpoint. */
  'berth:engine-restarted': EngineEndpoint;
  /** Show this screen, as a route: `#/apps/<name>` (a tray item or a notification was clicked; renderer/src/util/route.ts). */
  'berth:show-app': string;
}
export type EventChannel = keyof EventChannels;

/** `window.berth`: present in the desktop app, absent in a plain browser. */
export interface BerthBridge {
  readonly platform: string;
  /** The engine's endpoint; waits while the engine starts or restarts. */
  engine(): Promise<EngineEndpoint>;
  onEngineRestarted(listener: (endpoint: EngineEndpoint) => void): () => void;
  /** The screen to show, as a route (`#/apps/<name>`, `#/apps/<name>/logs`). */
  onShowApp(listener: (route: string) => void): () => void;
  /** The native folder picker (several folders at once); [] when cancelled. */
  pickFolders(): Promise<string[]>;
  /** The full path of each dropped file or folder (webUtils.getPathForFile), in order; '' when one has no path. */
  pathsForDropped(files: readonly File[]): string[];
  /** Opens an http(s) or devtools URL in the user's browser. */
  openExternal(url: string): Promise<void>;
  /** Shows a file or folder in Explorer (Finder, the file manager). */
  reveal(path: string): Promise<void>;
  /** Opens a folder in Explorer. */
  openFolder(path: string): Promise<void>;
  settings(): Promise<DesktopSettings>;
  saveSettings(patch: Partial<DesktopSettings>): Promise<DesktopSettings>;
}
