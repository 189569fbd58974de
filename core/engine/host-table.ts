/**
 * Which app answers which Host: the engine's hosted apps and IIS-style sites, the host name each answers on, and the
 * router the front server asks. A site's script apps are hosted (they run, have logs and metrics) but not routed
 * directly: requests reach them through their site.
 */
import type { App } from '../app/app.js';
import { hostFor } from '../util/host-names.js';
import type { SiteHost } from '../app/site-host.js';
import type { ProxyApp } from '../proxy/front-server.js';
import type { HostedApp } from '../proxy/pages.js';
import { HostRouter } from '../routing.js';
import { endEngineStartUp } from './v8-flags.js';
import type { AppWatcher } from '../watch/index.js';

export interface HostedSite {
  site: SiteHost;
  /** Follows the site's web.config files (when the engine watches files). */
  watcher: AppWatcher | undefined;
}

export class HostTable {
  /** Every hosted app by name, site script apps included. */
  readonly apps = new Map<string, App>();
  /** Folders with a web.config, by their record's name. */
  readonly sites = new Map<string, HostedSite>();
  private readonly siteApps = new Set<App>();
  private readonly router = new HostRouter<ProxyApp & { host: string }>();

  /** `warn` is told when an app cannot have the host name its configuration asks for. */
  constructor(private readonly warn: (app: string, warning: string) => void) {}

  route(host: string | undefined): ProxyApp | undefined {
    endEngineStartUp(); // the engine serves: V8 may optimize what is hot from now on (v8-flags.ts)
    return this.router.route(host);
  }

  /** Adds an app; a site's script app (`ofSite`) is not routed by its own host. Call `routesChanged` after. */
  addApp(app: App, ofSite = false): void {
    this.apps.set(app.name, app);
    if (ofSite) this.siteApps.add(app);
  }

  removeApp(name: string): void {
    const app = this.apps.get(name);
    if (!app) return;
    this.apps.delete(name);
    this.siteApps.delete(app);
  }

  /** Whether a site or an app already answers on `host`. */
  hostTaken(host: string): boolean {
    return [...this.sites.values()].some((s) => s.site.host === host) || [...this.apps.values()].some((a) => a.host === host);
  }

  /** Gives the app the host its configuration asks for, unless another app has it (then its own name's). */
  assignHost(app: App): void {
    const wanted = hostFor(app.name, app.settings.hostname);
    const owner = [...this.apps.values()].find((other) => other !== app && other.host === wanted);
    app.host = owner ? hostFor(app.name, '') : wanted;
    if (owner) this.warn(app.name, `hostname ${wanted} is already used by ${owner.name}; this app answers on ${app.host}.`);
  }

  /** Call after apps are added or removed or their hosts change. */
  routesChanged(): void {
    const routed = [...this.apps.values()].filter((app) => !this.siteApps.has(app));
    this.router.update([...routed, ...[...this.sites.values()].map((s) => s.site)]);
  }

  /** The apps as the unknown-host page lists them. */
  hostedApps(urlOf: (app: App) => string): HostedApp[] {
    return [...this.apps.values()].map((app) => ({ name: app.name, url: urlOf(app), state: app.state }));
  }
}
