/**
 * The end-to-end setting: a real Berth engine (the same service `berth serve` and the desktop app's utility process
 * run, with its control API) in a fresh Berth home, the renderer's production build served by that engine as the web
 * dashboard on the control API's own port, and Debian's Chromium driven by playwright-core. Nothing of Berth is faked;
 * only Electron is absent (the page then uses its browser mode: the token comes in the address's fragment).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startService, type Service } from '../../core/control/service.js';
import { readToken } from '../../core/control/token.js';
import { Dashboard, dashboardUrl } from '../../core/ui/dashboard.js';
import { BROWSER_FIX, chromiumPath, CHROMIUM_ARGS } from '../helpers/browser.js';
import { copyFixture, REPO } from '../helpers/paths.js';

export interface Desk {
  service: Service;
  home: string;
  appsDir: string;
  page: Page;
  browser: Browser;
  /** Problems the page reported (uncaught errors, console errors): a test ends by checking there were none. */
  pageErrors: string[];
  /** Copies a fixture app into the apps folder; returns its folder. */
  fixture(name: string, as?: string): Promise<string>;
  /** An HTTP request to an app through the front server, by its host name. */
  request(app: string, urlPath?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

/**
 * `desktop: true` gives the page a stand-in for the preload's `window.berth` (the real endpoint and token, desktop
 * settings kept in the page), so it shows what the desktop window shows; only the screenshots use it.
 */
export interface DeskOptions {
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
  desktop?: boolean;
  /** The browser to launch (default: chromiumPath()); the harness's own test points it at one that does not exist. */
  browserPath?: string;
  /** Called with the service as soon as it runs, before the browser starts (the harness's own test checks it stops). */
  onService?: (service: Service) => void;
}

export async function startDesk(options: DeskOptions = {}): Promise<Desk> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'berth-e2e-home-'));
  const appsDir = await mkdtemp(path.join(os.tmpdir(), 'berth-e2e-apps-'));
  const dashboard = await Dashboard.load(path.join(REPO, 'dist', 'renderer'));
  if (!dashboard) throw new Error('dist/renderer is missing: run `npm run build` first.');
  const service = await startService({
    home,
    mode: 'registry',
    host: '127.0.0.1',
    port: 0,
    env: { ...process.env, BERTH_HOME: home, NODE_PATH: path.join(REPO, 'node_modules') },
    serveHttp: (req, res) => dashboard.handle(req, res),
  });
  options.onService?.(service);
  const removeFolders = async () => {
    await rm(home, { recursive: true, force: true });
    await rm(appsDir, { recursive: true, force: true });
  };
  const pageErrors: string[] = [];
  // Starting the browser can fail (none there, one that will not start, a page that will not load): stop the engine
  // then, or its sockets and workers keep the test process alive and the run hangs instead of failing.
  let opened: { browser: Browser; page: Page };
  try {
    opened = await openDashboard(service, (await readToken(home))!, options, pageErrors);
  } catch (error) {
    await service.stop(2000);
    await removeFolders();
    throw error;
  }
  const { browser, page } = opened;
  const frontPort = service.engine.port;
  return {
    service,
    home,
    appsDir,
    page,
    browser,
    pageErrors,
    fixture: (name, as) => copyFixture(name, appsDir, as),
    request: (app, urlPath = '/') =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: frontPort, path: urlPath, headers: { host: `${app}.localhost:${frontPort}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
      }),
    async stop() {
      await browser.close().catch(() => undefined);
      await service.stop(2000);
      await removeFolders();
    },
  };
}

/** Starts the browser and opens the dashboard in it; closes the browser again when a later step fails. */
async function openDashboard(service: Service, token: string, options: DeskOptions, pageErrors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchBrowser(options.browserPath ?? chromiumPath());
  try {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.colorScheme ?? 'light' });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    if (options.desktop) await page.addInitScript(desktopStandIn(service.control!.url, token));
    await page.goto(dashboardUrl(service.control!.url, token));
    return { browser, page };
  } catch (error) {
    await browser.close().catch(() => undefined);
    throw error;
  }
}

/** Launches Chromium at `executablePath`; a failure names the path and what to do about it. */
async function launchBrowser(executablePath: string): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`Chromium could not start from ${executablePath}: ${reason}. ${BROWSER_FIX}`, { cause: error });
  }
}

/** The preload's object as a script for the page (see electron/preload.cts for the real one). */
function desktopStandIn(url: string, token: string): string {
  return `(() => {
    let settings = { closeToTray: true, startAtLogin: true, frontPort: 8080, nodePath: '', notifications: true };
    const none = () => () => undefined;
    window.berth = {
      platform: 'win32',
      engine: async () => ({ url: ${JSON.stringify(url)}, token: ${JSON.stringify(token)} }),
      onEngineRestarted: none,
      onShowApp: none,
      pickFolders: async () => [],
      pathsForDropped: (files) => files.map(() => ''),
      openExternal: async () => undefined,
      reveal: async () => undefined,
      openFolder: async () => undefined,
      settings: async () => settings,
      saveSettings: async (patch) => (settings = { ...settings, ...patch }),
    };
  })();`;
}
