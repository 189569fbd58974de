/**
 * The desktop app's composition root: it only wires the parts (each tested on its own with Electron injected) to
 * Electron's modules. Order matters where Electron says so: the app id, the sandbox and the privileged scheme before
 * `ready`; the single-instance lock before any window.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as ElectronModule from 'electron';
import { connectControl } from '../core/control/client.js';
import { defaultBerthHome } from '../core/home.js';
import type { DesktopSettings } from '../core/shared/bridge.js';
import { EngineLink } from './engine-link.js';
import { EngineSupervisor, type EngineChild } from './engine-supervisor.js';
import { IpcError, registerIpc } from './ipc.js';
import { parseLaunchArgs } from './launch-args.js';
import { logFolder } from '../core/shared/log-folder.js';
import { applyStartAtLogin, startsAtLogin } from './login-item.js';
import { MainWindow, type WindowLike } from './main-window.js';
import { Notifier } from './notifications.js';
import { APP_ORIGIN, APP_SCHEME, APP_URL, isExternalWebUrl, isLoopbackDevtoolsUrl } from './origin.js';
import { APP_ID, appPaths } from './paths.js';
import { assetPath, contentType } from './renderer-files.js';
import { CONTENT_SECURITY_POLICY, hardenContents } from './security.js';
import { SettingsStore, validatePatch } from './settings-store.js';
import { claimSingleInstance } from './single-instance.js';
import { TrayController } from './tray.js';
import type { TraySnapshot } from './tray-menu.js';

type Electron = typeof ElectronModule;

export function runDesktop(electron: Electron): void {
  const { app } = electron;
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  app.enableSandbox();
  electron.protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

  const launch = parseLaunchArgs(process.argv, { packaged: app.isPackaged, cwd: process.cwd() });
  let desktop: Desktop | undefined;
  const pendingFolders: string[] = [...launch.folders];
  const claimed = claimSingleInstance(app, (argv, cwd) => {
    const second = parseLaunchArgs(argv, { packaged: app.isPackaged, cwd });
    if (!desktop) {
      pendingFolders.push(...second.folders);
      return;
    }
    if (!second.hidden) desktop.window.show();
    if (second.folders.length) void desktop.addFolders(second.folders);
  });
  if (!claimed) return;

  app.on('web-contents-created', (_event, contents) => hardenContents(contents, (url) => void electron.shell.openExternal(url)));

  void app.whenReady().then(async () => {
    desktop = await startDesktop(electron, { hidden: launch.hidden });
    if (pendingFolders.length) void desktop.addFolders(pendingFolders.splice(0));
  });
}

interface Desktop {
  window: MainWindow;
  addFolders(folders: string[]): Promise<void>;
}

async function startDesktop(electron: Electron, options: { hidden: boolean }): Promise<Desktop> {
  const { app, BrowserWindow, Menu, Tray, Notification, dialog, shell, ipcMain, nativeTheme, protocol, screen, utilityProcess } = electron;
  const paths = appPaths(app.getAppPath());
  // No File/Edit/View menu bar on Windows and Linux: everything is in the window and the tray (Chromium handles the
  // edit shortcuts itself). Development keeps Electron's menu for its reload and DevTools shortcuts.
  if (app.isPackaged && process.platform !== 'darwin') Menu.setApplicationMenu(null);
  const store = SettingsStore.inFolder(app.getPath('userData'));
  await store.load();
  // The system is the truth for start-at-login (the user may have turned it off in Task Manager).
  if (store.settings.startAtLogin !== startsAtLogin(app)) await store.update({ startAtLogin: startsAtLogin(app) });

  protocol.handle(APP_SCHEME, async (request) => {
    const file = assetPath(paths.renderer, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { 'Content-Type': contentType(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Cache-Control': 'no-cache' } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });

  const home = defaultBerthHome();
  const supervisor = new EngineSupervisor(
    (launch) => {
      const child = utilityProcess.fork(paths.engineEntry, [JSON.stringify(launch)], { serviceName: 'Berth engine', stdio: app.isPackaged ? 'ignore' : 'inherit' });
      return child as unknown as EngineChild;
    },
    { home, port: store.settings.frontPort, nodePath: store.settings.nodePath, allowedOrigin: APP_ORIGIN },
  );
  const link = new EngineLink(async (endpoint) => {
    const client = await connectControl({ url: endpoint.url, token: endpoint.token });
    return {
      call: (method, params) => client.call(method, ...([params] as never)),
      subscribe: (method, params, onPush) => client.subscribe(method, params, onPush),
      onClose: (listener) => client.onClose(listener),
      close: () => client.close(),
    };
  });

  const window = new MainWindow({
    create: (opts) => new BrowserWindow(opts) as unknown as WindowLike,
    url: APP_URL,
    preload: paths.preload,
    icon: paths.windowIcon,
    backgroundColor: () => (nativeTheme.shouldUseDarkColors ? '#14171c' : '#f5f6f8'),
    displays: () => ({ workAreas: screen.getAllDisplays().map((d) => d.workArea), primary: screen.getPrimaryDisplay().workArea }),
    savedState: () => store.state.window,
    saveState: (state) => void store.saveWindow(state).catch(() => undefined),
    closeToTray: () => store.settings.closeToTray,
    onFirstHide: () => notify('Berth is still running', 'Your apps keep running. Open Berth from its icon in the notification area; quit from its menu.'),
  });

  const notify = (title: string, body: string, onClick?: () => void) => {
    if (!Notification.isSupported()) return;
    const n = new Notification({ title, body, icon: paths.windowIcon });
    if (onClick) n.on('click', onClick);
    n.show();
  };

  /** Shows the window at an app's screen (the window's routes: renderer/src/util/route.ts). */
  const showApp = (name?: string, tab?: 'logs') => {
    window.show();
    if (name) window.send('berth:show-app', `#/apps/${encodeURIComponent(name)}${tab ? `/${tab}` : ''}`);
  };

  const notifier = new Notifier({
    enabled: () => store.settings.notifications,
    show: (content, onClick) => notify(content.title, content.body, onClick),
    onClick: (name) => showApp(name),
  });
  link.on('event', (event) => notifier.handle(event));

  const openLogs = async (name: string) => {
    try {
      const detail = await link.call('apps.get', { app: name });
      const folder = logFolder({ folder: detail.folder, entry: detail.entry, logDirectory: String(detail.config.settings.find((s) => s.name === 'logDirectory')?.value ?? '') });
      const problem = await shell.openPath(folder);
      if (problem) notify(`No logs for ${name} yet`, `${folder}: ${problem}`);
    } catch (error) {
      notify(`Cannot open the logs of ${name}`, (error as Error).message);
    }
  };

  const runAction = (label: string, work: () => Promise<unknown>) => {
    void work().catch((error: Error) => notify(label, error.message));
  };

  const traySnapshot = (): TraySnapshot => {
    const s = supervisor.status;
    const engine: TraySnapshot['engine'] =
      s.state === 'running' && link.connected ? { state: 'running' } : s.state === 'failed' ? { state: 'failed', message: s.message } : { state: 'starting' };
    return { apps: link.apps, debugging: link.debugging, startAtLogin: store.settings.startAtLogin, engine };
  };

  const tray = new TrayController({
    createTray: (icon) => new Tray(icon),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    iconDir: paths.assets,
    snapshot: traySnapshot,
    actions: {
      openWindow: (name) => showApp(name),
      openInBrowser: (url) => void shell.openExternal(url),
      appAction: (name, action) => runAction(`Could not ${action} ${name}`, () => link.call(`apps.${action}`, { app: name })),
      setDebugging: (name, on) => runAction('Debugging', () => link.call(on ? 'debug.start' : 'debug.stop', { app: name })),
      openLogs: (name) => void openLogs(name),
      startAll: () => runAction('Start all', () => Promise.all(link.apps.filter((a) => a.state === 'stopped').map((a) => link.call('apps.start', { app: a.name })))),
      stopAll: () => runAction('Stop all', () => Promise.all(link.apps.filter((a) => a.state !== 'stopped' && a.state !== 'missing').map((a) => link.call('apps.stop', { app: a.name })))),
      setStartAtLogin: (on) => void saveSettings({ startAtLogin: on }),
      quit: () => app.quit(),
    },
  });
  link.on('change', () => tray.update());

  let everRan = false;
  supervisor.on('status', (status) => {
    tray.update();
    if (status.state === 'running') {
      void link.connect(status.endpoint).catch((error: Error) => console.error('berth: cannot connect to the engine:', error.message));
      // The window reconnects by itself; telling it saves its retry delay after a restart.
      if (everRan) window.send('berth:engine-restarted', status.endpoint);
      everRan = true;
    } else {
      link.disconnect();
      if (status.state === 'failed') notify('The Berth engine cannot start', status.message, () => showApp());
    }
  });

  const saveSettings = async (patch: Partial<DesktopSettings>): Promise<DesktopSettings> => {
    const before = store.settings;
    const next = await store.update(patch);
    if (patch.startAtLogin !== undefined && patch.startAtLogin !== before.startAtLogin) applyStartAtLogin(app, next.startAtLogin);
    if (next.frontPort !== before.frontPort || next.nodePath !== before.nodePath) void supervisor.restart({ port: next.frontPort, nodePath: next.nodePath });
    tray.update();
    return next;
  };

  registerIpc(
    ipcMain as never,
    {
      'berth:engine-endpoint': () => supervisor.endpoint(),
      'berth:pick-folders': async () => {
        const owner = window.window as unknown as ElectronModule.BrowserWindow | undefined;
        const options: ElectronModule.OpenDialogOptions = { title: 'Add folders to Berth', buttonLabel: 'Add', properties: ['openDirectory', 'multiSelections'] };
        const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options);
        return result.canceled ? [] : result.filePaths;
      },
      'berth:open-external': async (url) => {
        if (isExternalWebUrl(url)) return shell.openExternal(url);
        if (isLoopbackDevtoolsUrl(url)) {
          // Electron ships the DevTools frontend: open it on the worker's inspector in a window of its own.
          const devtools = new BrowserWindow({ width: 1200, height: 800, title: 'DevTools', autoHideMenuBar: true, webPreferences: { sandbox: true, contextIsolation: true } });
          await devtools.loadURL(url);
          return;
        }
        throw new IpcError('REFUSED', 'Berth opens web addresses and DevTools links only.');
      },
      'berth:reveal': async (target) => {
        if (!path.isAbsolute(target)) throw new IpcError('REFUSED', 'Give a full path.');
        shell.showItemInFolder(target);
      },
      'berth:open-folder': async (target) => {
        // Folders only: opening a file would run it with its default program.
        if (!path.isAbsolute(target) || !(await stat(target).then((s) => s.isDirectory(), () => false))) {
          throw new IpcError('NOT_FOUND', `${target} does not exist yet (it is created when the app first writes to it).`);
        }
        const problem = await shell.openPath(target);
        if (problem) throw new IpcError('FAILED', problem);
      },
      'berth:get-settings': () => ({ ...store.settings, startAtLogin: startsAtLogin(app) }),
      'berth:set-settings': (patch) => saveSettings(validatePatch(patch)),
    },
    (channel, url) => console.warn(`berth: refused ${channel} from ${url}`),
  );

  let quitting = false;
  app.on('before-quit', (event) => {
    window.quitting = true;
    if (quitting) return;
    // Stop the engine gracefully first (apps finish their requests), then quit for real.
    event.preventDefault();
    quitting = true;
    tray.dispose();
    link.disconnect();
    void supervisor.stop(10_000).finally(() => app.quit());
  });
  // With close-to-tray the window hides rather than closes; when it does close, Berth is done.
  app.on('window-all-closed', () => app.quit());

  supervisor.start();
  if (!options.hidden) window.create(true);

  return {
    window,
    addFolders: async (folders) => {
      await supervisor.endpoint();
      if (!link.connected) await new Promise<void>((resolve) => link.once('connected', () => resolve()));
      const { added, errors } = await link.addFolders(folders);
      if (added.length) notify(`Added ${added.join(', ')}`, 'Berth hosts and starts it.', () => showApp(added[0]));
      for (const error of errors) notify('Could not add a folder', error);
    },
  };
}

