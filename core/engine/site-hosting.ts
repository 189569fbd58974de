/**
 * Hosting a folder with a web.config: an IIS-style site whose handler scripts are apps of their own (iisnode's
 * model). The site is routed by its host; each script app is named `<site>-<script>` and is created on first use,
 * as iisnode did, or when the site loads for handlers it declares.
 */
import type { App, AppOptions } from '../app/app.js';
import { hostFor, toDnsLabel, uniqueLabel } from '../util/host-names.js';
import { SiteHost } from '../app/site-host.js';
import { loadConfig } from '../config/load.js';
import type { EngineEvent } from '../events.js';
import type { SiteApp } from '../iis/index.js';
import type { Platform } from '../platform/platform.js';
import { createAppWatcher } from '../watch/index.js';
import type { AppRecord } from './app-records.js';
import type { HostTable } from './host-table.js';

/** What hosting a site needs from the engine. */
export interface SiteHostingContext {
  hosts: HostTable;
  platform: Platform;
  watchFiles: boolean;
  report(event: EngineEvent): void;
  /** Names no new app may take (every record's and hosted app's). */
  takenNames(): Set<string>;
  /** `:port`, or '' on port 80. */
  portSuffix(): string;
  newApp(folder: string, name: string, env: NodeJS.ProcessEnv, options: AppOptions): App;
}

/** Hosts the record's folder as a site. Resolves with the site's first script app (made stopped if it has none). */
export async function hostSite(ctx: SiteHostingContext, record: AppRecord, start: boolean): Promise<App> {
  let settings;
  try {
    settings = (await loadConfig(record.folder, { env: record.env })).settings;
  } catch {
    settings = undefined; // the script apps report configuration errors themselves
  }
  const site: SiteHost = new SiteHost(record.folder, record.name, {
    mountPath: settings?.mountPath ?? '',
    env: record.env,
    platform: ctx.platform,
    createApp: (siteApp): Promise<App> => hostSiteApp(ctx, record, site, siteApp, start),
    updateApp: (app, siteApp) => (app.options = siteAppOptions(site, siteApp)),
  });
  site.host = hostFor(record.name, settings?.hostname ?? '');
  if (ctx.hosts.hostTaken(site.host)) site.host = hostFor(record.name, '');
  const watcher = ctx.watchFiles ? createAppWatcher({ root: record.folder, watchedFiles: 'web.config;**/web.config', env: record.env, platform: ctx.platform }) : undefined;
  ctx.hosts.sites.set(record.name, { site, watcher });
  watcher?.on('change', (trigger) => void reloadSite(site, trigger.reason));
  await site.load();
  ctx.hosts.routesChanged();
  if (site.warnings.length) ctx.report({ type: 'config-warnings', app: record.name, warnings: site.warnings });
  ctx.report({ type: 'app-added', app: record.name, folder: record.folder, url: `http://${site.host}${ctx.portSuffix()}${site.mountPath}/` });
  const apps = await site.startedApps();
  return apps[0] ?? (await hostSiteApp(ctx, record, site, undefined, false));
}

/** The app of one script of a site (or, without a script, a stopped stand-in named `<site>-site`). */
async function hostSiteApp(ctx: SiteHostingContext, record: AppRecord, site: SiteHost, siteApp: SiteApp | undefined, start: boolean): Promise<App> {
  const label = siteApp ? toDnsLabel(`${record.name}-${siteApp.scriptRel.replace(/\.[^./]+$/, '')}`) : `${record.name}-site`;
  const name = uniqueLabel(label, ctx.takenNames());
  const app = ctx.newApp(siteApp?.folder ?? record.folder, name, record.env, siteApp ? siteAppOptions(site, siteApp) : {});
  app.host = site.host;
  ctx.hosts.addApp(app, true);
  if (!siteApp) return app;
  const loaded = await app.load();
  if (start && loaded) {
    await app.start();
    if (ctx.watchFiles) await app.watch();
  }
  return app;
}

function siteAppOptions(site: SiteHost, siteApp: SiteApp): AppOptions {
  const urlPath = `${site.mountPath}/${siteApp.scriptRel.split('/').map(encodeURIComponent).join('/')}`;
  return { script: siteApp.script, webConfig: siteApp.settings, extraEnv: siteApp.env, urlPath };
}

/** A web.config changed: read the site again and recycle its apps with what it now says. */
async function reloadSite(site: SiteHost, reason: string): Promise<void> {
  await site.load();
  for (const app of await site.startedApps()) void app.recycle(`${reason} (web.config)`);
}
