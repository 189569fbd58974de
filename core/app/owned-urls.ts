/**
 * The URLs Berth answers itself on an app's host: iisnode's debugger URL (`/<entry>/debug/`), the log folder, and
 * `/__berth/` (the iisnode-debug header's page). Everything else goes to the app's workers.
 */
import path from 'node:path';
import { logUrlPrefix } from '../logs/naming.js';
import { isLogRequestPath, serveLogRequest } from '../logs/serve.js';
import type { Platform } from '../platform/platform.js';
import { headerValue } from '../proxy/forwarding.js';
import { DEBUG_PAGE_PATH, renderDebugPage } from '../proxy/debug-header.js';
import type { LocalResponse } from '../proxy/front-server.js';
import type { RequestHead } from '../proxy/http-parse.js';
import { renderDebugSessionPage } from '../debug/page.js';
import { DEBUG_COOKIE, type DebugMode, type DebugSession } from './debug-session.js';
import type { AppVersion, Generation } from './generation.js';

/** What the owned URLs need from the app: the serving generation, and the debug session's three controls. */
export interface OwnedUrlsHost {
  app: string;
  folder: string;
  platform: Platform;
  /** The script's URL path in a web.config site (the debugger URL sits under it). */
  urlPath(): string | undefined;
  serving(): Generation | undefined;
  debug: {
    readonly session: DebugSession | undefined;
    start(options: { brk: boolean; mode: DebugMode }): Promise<DebugSession>;
    stop(): Promise<boolean>;
  };
}

interface Prefixes {
  generation: Generation | undefined;
  logPrefix: string | undefined;
  lowerPrefixes: string[];
  shortest: number;
}

/** iisnode's debugger URL of a version: `/<entry>/<debuggerPathSegment>` (entry relative to the app folder). */
export function debuggerPath(folder: string, version: AppVersion | undefined, urlPath: string | undefined): string | undefined {
  if (!version || !version.config.settings.debuggingEnabled) return undefined;
  if (urlPath) return `${urlPath}/${version.config.settings.debuggerPathSegment}`;
  const entry = path.relative(folder, version.entry.file).split(path.sep).map(encodeURIComponent).join('/');
  return `/${entry}/${version.config.settings.debuggerPathSegment}`;
}

export class OwnedUrls {
  private cache: Prefixes | undefined;

  constructor(private readonly host: OwnedUrlsHost) {}

  /** Berth's answer for a URL it owns, or undefined for the app's own URLs. */
  answer(head: RequestHead, loopback: boolean): LocalResponse | Promise<LocalResponse> | undefined {
    const paths = this.prefixes();
    // The common case, checked without allocating: the URL is none of Berth's.
    const lowerStart = head.target.slice(0, paths.shortest).toLowerCase();
    if (!paths.lowerPrefixes.some((p) => lowerStart === p.slice(0, paths.shortest))) return undefined;
    const debug = this.debugRequest(head, loopback);
    if (debug) return debug;
    const serving = this.host.serving();
    const logs = serving?.logs;
    if (logs?.enabled && (head.method === 'GET' || head.method === 'HEAD')) {
      const settings = serving!.version.config.settings;
      const platform = this.host.platform;
      const prefix = paths.logPrefix;
      if (prefix && isLogRequestPath(prefix, head.target, platform)) {
        if (!loopback && !settings.logsForRemote) {
          return {
            status: 403,
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
            body: 'The log files are shown to callers on this computer only. Set logsForRemote: true in berth.yml to show them to others.\n',
          };
        }
        return serveLogRequest({
          logDir: logs.dir,
          urlPrefix: prefix,
          urlPath: head.target,
          method: head.method,
          rangeHeader: headerValue(head, 'range'),
          platform,
        });
      }
    }
    if (head.target.startsWith(DEBUG_PAGE_PATH) && (head.method === 'GET' || head.method === 'HEAD')) {
      const rest = head.target.slice(DEBUG_PAGE_PATH.length);
      if (rest === '' || rest.startsWith('?') || rest === '/') {
        return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body: renderDebugPage() };
      }
    }
    return undefined;
  }

  /** The prefixes of the owned URLs, worked out once per generation rather than per request. */
  private prefixes(): Prefixes {
    const generation = this.host.serving();
    if (this.cache?.generation !== generation || !this.cache) {
      const settings = generation?.version.config.settings;
      const logPrefix = settings && generation?.logs?.enabled ? logUrlPrefix(settings.logDirectory, '', this.host.platform) : undefined;
      const prefixes = [DEBUG_PAGE_PATH, this.debugPath(), logPrefix].filter((p): p is string => p !== undefined).map((p) => p.toLowerCase());
      this.cache = { generation, logPrefix, lowerPrefixes: prefixes, shortest: Math.min(...prefixes.map((p) => p.length)) };
    }
    return this.cache;
  }

  private debugPath(): string | undefined {
    return debuggerPath(this.host.folder, this.host.serving()?.version, this.host.urlPath());
  }

  /** `/<entry>/debug[/]?brk|kill|cookie`: iisnode's debugger URLs, for callers on this computer. */
  private debugRequest(head: RequestHead, loopback: boolean): LocalResponse | Promise<LocalResponse> | undefined {
    const base = this.debugPath();
    if (!base) return undefined;
    const query = head.target.indexOf('?');
    const pathPart = (query === -1 ? head.target : head.target.slice(0, query)).toLowerCase();
    const command = query === -1 ? '' : head.target.slice(query + 1).toLowerCase();
    const lowerBase = base.toLowerCase();
    if (pathPart !== lowerBase && pathPart !== `${lowerBase}/`) return undefined;
    const text = (status: number, body: string, headers: Record<string, string> = {}): LocalResponse => ({
      status,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
      body,
    });
    if (!loopback) return text(403, 'The debugger is available to callers on this computer only.\n');
    if (pathPart === lowerBase) return text(301, '', { Location: `${base}/${query === -1 ? '' : head.target.slice(query)}` });
    const debug = this.host.debug;
    if (command === 'kill') {
      return debug.stop().then((stopped) =>
        text(
          200,
          stopped
            ? 'The debugger and debugee processes have been killed. (Debugging stopped; the app is back on its normal workers.)\n'
            : 'The debugger for the application is not running.\n',
        ),
      );
    }
    const options = { brk: command === 'brk', mode: (command === 'cookie' ? 'cookie' : (debug.session?.mode ?? 'exclusive')) as DebugMode };
    if (command === '' && debug.session) options.brk = debug.session.brk;
    return debug.start(options).then(
      (session) => ({
        status: 200,
        headers: {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          ...(session.mode === 'cookie' ? { 'Set-Cookie': `${DEBUG_COOKIE}=${session.cookie}; Path=/; HttpOnly; SameSite=Lax` } : {}),
        },
        body: renderDebugSessionPage({
          app: this.host.app,
          mode: session.mode,
          brk: session.brk,
          pid: session.generation.workers()[0]?.pid,
          info: session.info,
          path: `${base}/`,
        }),
      }),
      (error: Error) => text(503, `Debugging could not start: ${error.message}\n`),
    );
  }
}
