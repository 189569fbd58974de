/**
 * A folder with a web.config, hosted the way IIS and iisnode host it: every handler script is its own app (its own
 * workers and log folder), other files are static, URL Rewrite rules decide first, and the whole site may sit under
 * a mount path. The proxy asks the site per request; the site answers itself (static files, redirects, errors) or
 * names the app that takes the request, which still sees the URL as the client sent it (iisnode's X-Original-URL).
 */
import {
  cachedProbe,
  configErrorPage,
  customResponsePage,
  declaredApps,
  fsProbe,
  loadSite,
  resolveSiteRequest,
  serveStaticFile,
  siteApp,
  type Site,
  type SiteApp,
} from '../iis/index.js';
import { serveLogRequest } from '../logs/serve.js';
import { defaultSettings } from '../config/schema.js';
import type { ClientInfo, ForwardingOptions } from '../proxy/forwarding.js';
import { headersOf } from '../proxy/forwarding.js';
import type { Dispatch, ExchangeFacts, LocalResponse, ProxyApp, Unavailable } from '../proxy/front-server.js';
import type { RequestHead } from '../proxy/http-parse.js';
import { renderErrorPage } from '../proxy/pages.js';
import type { Platform } from '../platform/platform.js';
import type { ProxyWorker } from '../proxy/proxy-app.js';
import type { App } from './app.js';

export interface SiteHostOptions {
  mountPath: string;
  env: NodeJS.ProcessEnv;
  platform: Platform;
  /** Creates (and registers with the engine) the app of one script. */
  createApp(siteApp: SiteApp): Promise<App>;
  /** Gives an existing app what a reloaded web.config now says about its script. */
  updateApp(app: App, siteApp: SiteApp): void;
}

const DEFAULTS = defaultSettings();

export class SiteHost implements ProxyApp {
  /** The host name it answers on, set by the engine. */
  host = '';
  private site: Site | undefined;
  private readonly apps = new Map<string, { scriptRel: string; app: Promise<App> }>();
  private readonly probe = cachedProbe(fsProbe);

  // Limits for the request head before a script app is known: the defaults (each app applies its own after).
  readonly maxRequestBufferSize = DEFAULTS.maxRequestBufferSize;
  readonly connectRetries = DEFAULTS.maxNamedPipeConnectionRetry;
  readonly connectRetryDelayMs = DEFAULTS.namedPipeConnectionRetryDelay;
  readonly requestTimeoutMs = 0;
  readonly forwarding: ForwardingOptions = { enableXFF: false, promoteServerVars: [] };
  readonly debugHeaderEnabled = false;

  constructor(
    readonly folder: string,
    readonly name: string,
    private readonly options: SiteHostOptions,
  ) {}

  /** Reads the site's web.config files and starts the apps its handlers name (iisnode started them on first use). */
  async load(): Promise<void> {
    const reloading = this.site !== undefined;
    this.site = await loadSite(this.folder, { mountPath: this.options.mountPath, env: this.options.env, platform: this.options.platform });
    if (reloading) {
      for (const entry of this.apps.values()) this.options.updateApp(await entry.app, siteApp(this.site, entry.scriptRel));
    }
    for (const declared of await declaredApps(this.site, this.probe)) void this.appFor(declared);
  }

  get mountPath(): string {
    return this.site?.mountPath ?? '';
  }

  get warnings(): string[] {
    return (this.site?.warnings ?? []).map((w) => `${w.file ? `${w.file}${w.line ? `:${w.line}` : ''}: ` : ''}${w.message}`);
  }

  /** The apps started so far. */
  async startedApps(): Promise<App[]> {
    return Promise.all([...this.apps.values()].map((entry) => entry.app));
  }

  private appFor(found: SiteApp): Promise<App> {
    let entry = this.apps.get(found.key);
    if (!entry) {
      entry = { scriptRel: found.scriptRel, app: this.options.createApp(found) };
      this.apps.set(found.key, entry);
    }
    return entry.app;
  }

  showErrorDetails(loopback: boolean): boolean {
    return loopback;
  }

  intercept(head: RequestHead, client: ClientInfo, loopback: boolean): Promise<LocalResponse | ProxyApp> {
    return this.resolve(head, client, loopback);
  }

  private async resolve(head: RequestHead, client: ClientInfo, loopback: boolean): Promise<LocalResponse | ProxyApp> {
    const site = this.site;
    if (!site) return page(503, 'The site is still loading.', loopback);
    const headers = headersOf(head);
    const r = await resolveSiteRequest(
      site,
      {
        method: head.method,
        target: head.target,
        headers,
        https: client.secure,
        httpVersion: `1.${head.minor}`,
        remoteAddress: client.remoteAddress,
        remotePort: client.remotePort,
        localAddress: client.localAddress,
        localPort: client.localPort,
      },
      this.probe,
    );
    switch (r.kind) {
      case 'app':
        return this.appFor(r.app);
      case 'logs': {
        const app = await this.appFor(r.app);
        const settings = app.generation?.version.config.settings;
        if (!settings?.loggingEnabled) return page(404, 'There is no such file.', loopback);
        if (!loopback && !settings.logsForRemote) return page(403, 'The log files are shown to callers on this computer only.', loopback);
        return serveLogRequest({
          logDir: app.logDirectory ?? r.logDir,
          urlPrefix: r.urlPrefix,
          urlPath: head.target,
          method: head.method,
          rangeHeader: headers.range,
          platform: this.options.platform,
        });
      }
      case 'static':
        return serveStaticFile({
          root: site.root,
          file: r.file,
          contentType: r.contentType,
          method: head.method,
          headers: { range: headers.range, ifNoneMatch: headers['if-none-match'], ifModifiedSince: headers['if-modified-since'], ifRange: headers['if-range'] },
          platform: this.options.platform,
          ...r.protection,
        });
      case 'redirect':
        return { status: r.status, headers: { Location: r.location, 'Content-Type': 'text/plain; charset=utf-8' }, body: `Moved to ${r.location}\n` };
      case 'custom': {
        const custom = customResponsePage(r);
        return { status: custom.status, ...(custom.reason ? { reason: custom.reason } : {}), headers: custom.headers, body: custom.body };
      }
      case 'abort':
        return { status: 0, headers: {}, abort: true };
      case 'not-found':
        return page(404, `Not found: ${r.reason}.`, loopback);
      case 'bad-request':
        return page(400, `Bad request: ${r.reason}.`, loopback);
      case 'method-not-allowed':
        return { ...page(405, `This URL does not accept ${head.method}: ${r.reason}.`, loopback), headers: { Allow: r.allow.join(', '), 'Content-Type': 'text/html; charset=utf-8' } };
      case 'config-error': {
        const error = configErrorPage(r.issues, loopback);
        return { status: error.status, headers: error.headers, body: error.body };
      }
    }
  }

  pick(_head: RequestHead): Dispatch | Unavailable {
    // Requests are routed by intercept(); nothing reaches the site itself.
    return { unavailable: true, status: 500, title: 'The site did not route this request.', advice: 'This is a bug in Berth.', app: this.name };
  }

  debugHeader(_worker: ProxyWorker, _facts: ExchangeFacts): string | undefined {
    return undefined;
  }

  describeWorkerExit(): Record<string, string | number | undefined> {
    return {};
  }
}

function page(status: number, title: string, details: boolean): LocalResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body: renderErrorPage({ status, title, advice: '' }, details),
  };
}
