/**
 * What one request to a site is, decided in IIS's order: mount, configuration errors, hidden segments, URL Rewrite
 * rules, handler scripts, static files and default documents. The file system is only read through the probe given.
 */
import path from 'node:path';
import type { ConfigIssue } from '../config/load.js';
import { belowMount, decodeUrlPath, endsWithSlash, isWithin, joinRel, physicalPath, removeDotSegments, segmentsOf, splitTarget } from './paths.js';
import { applyRewriteRules, type FileKind, type FileProbe, type RewriteRequest } from './rewrite.js';
import { neverServedReason, type ProtectionOptions } from './static.js';
import type { Site, SiteApp } from './site-model.js';
import { configErrorsFor, defaultDocumentsFor, handlerMatches, handlersFor, hiddenSegmentsFor, mimeMapFor, rewriteRulesFor, verbAllows, type ActiveHandler } from './site-layers.js';
import { siteApp } from './site-apps.js';
import { fsProbe } from './probes.js';

export type SiteRequest = RewriteRequest;

export type SiteResolution =
  /** Proxy to the app of `app.script`; the app sees `originalUrl` (the target as received: iisnode's X-Original-URL). */
  | { kind: 'app'; app: SiteApp; script: string; originalUrl: string; pathInfo: string; rewritten: boolean; rules: string[] }
  /**
   * A URL of an app's log folder: serve it with core/logs/serve.ts serveLogRequest({ logDir, urlPrefix }) when the
   * app logs and the caller may read logs (loopback, or logsForRemote); otherwise answer 404.
   */
  | { kind: 'logs'; app: SiteApp; logDir: string; urlPrefix: string }
  /** Serve a file with core/iis/static.ts serveStaticFile (`protection` goes with it). */
  | { kind: 'static'; file: string; contentType: string; protection: ProtectionOptions; rewritten: boolean; rules: string[] }
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307; location: string; rule?: string }
  | { kind: 'custom'; status: number; subStatus: number; reason: string; description: string; rule: string }
  /** Close the connection without an answer (URL Rewrite's AbortRequest). */
  | { kind: 'abort'; rule: string }
  | { kind: 'not-found'; reason: string }
  | { kind: 'bad-request'; reason: string }
  | { kind: 'method-not-allowed'; allow: string[]; reason: string }
  /** web.config (or the `<iisnode>` section of a script) cannot be used: answer with pages.ts's configuration error page. */
  | { kind: 'config-error'; issues: ConfigIssue[] };


async function probeRel(site: Site, rel: string, probe: FileProbe): Promise<{ file: string | undefined; kind: FileKind }> {
  const file = physicalPath(site.root, rel, site.platform);
  if (!file) return { file, kind: 'none' };
  try {
    return { file, kind: await probe(file) };
  } catch {
    return { file, kind: 'none' };
  }
}

function toRequest(request: SiteRequest | string): SiteRequest {
  return typeof request === 'string' ? { method: 'GET', target: request, headers: {} } : request;
}

/** Resolves one request against a site. Never throws for anything a client can send. */
export async function resolveSiteRequest(site: Site, input: SiteRequest | string, probe: FileProbe = fsProbe): Promise<SiteResolution> {
  const request = toRequest(input);
  const target = request.target;
  const { path: rawPath, query } = splitTarget(target);
  if (!rawPath.startsWith('/')) return { kind: 'bad-request', reason: 'the request target is not a path' };
  // http.sys decoded the path and read a backslash as a slash; so does Berth, before dot segments are removed.
  const decoded = decodeUrlPath(rawPath)?.replace(/\\/g, '/');
  if (decoded === undefined) return { kind: 'bad-request', reason: 'malformed percent-encoding' };
  if (decoded.includes('\0')) return { kind: 'bad-request', reason: 'a NUL byte in the path' };
  const normal = removeDotSegments(decoded);
  if (normal === undefined) return { kind: 'bad-request', reason: 'the path climbs above the root' };
  const rel = belowMount(normal, site.mountPath);
  if (rel === undefined) return { kind: 'not-found', reason: `the path is not under the site's mount path ${site.mountPath}` };
  if (rel === '' && site.mountPath !== '' && !normal.endsWith('/')) {
    return { kind: 'redirect', status: 301, location: `${rawPath}/${query !== undefined ? `?${query}` : ''}` };
  }

  const lowerPath = normal.toLowerCase();
  for (const folder of site.logFolders) {
    const prefix = folder.urlPrefix?.toLowerCase();
    if (prefix && (lowerPath === prefix || lowerPath.startsWith(`${prefix}/`))) {
      return { kind: 'logs', app: folder.app, logDir: folder.dir, urlPrefix: folder.urlPrefix! };
    }
  }

  let errors = configErrorsFor(site, rel);
  if (errors.length) return { kind: 'config-error', issues: errors };
  if (hiddenHit(segmentsOf(rel), hiddenSegmentsFor(site, rel))) {
    return { kind: 'not-found', reason: 'the URL contains a hidden segment' };
  }

  let current = rel;
  let rewritten = false;
  let rules: string[] = [];
  const { rules: active, maps } = rewriteRulesFor(site, rel);
  if (active.length) {
    const outcome = await applyRewriteRules(active, { rel, query }, { request, mountPath: site.mountPath, siteRoot: site.root, platform: site.platform, probe, maps });
    switch (outcome.kind) {
      case 'redirect':
        return { kind: 'redirect', status: outcome.status, location: outcome.location, rule: outcome.rule };
      case 'custom':
        return outcome;
      case 'abort':
        return outcome;
      case 'not-found':
        return { kind: 'not-found', reason: outcome.reason };
      case 'error':
        return { kind: 'config-error', issues: [outcome.issue] };
      case 'continue':
        current = outcome.rel;
        rewritten = outcome.rewritten;
        rules = outcome.applied;
    }
    if (rewritten) {
      errors = configErrorsFor(site, current);
      if (errors.length) return { kind: 'config-error', issues: errors };
    }
  }

  // Handler scripts: the first segment, from the left, that a handler maps (the rest is path info).
  const segments = segmentsOf(current);
  for (let i = 0; i < segments.length; i++) {
    const candidate = segments.slice(0, i + 1).join('/');
    // A wildcard never makes an app of a file in node_modules or a dot-folder (IIS would have started any module
    // file there as a server); a script named explicitly is the author's choice.
    const protectedPath = neverServedReason(segments.slice(0, i + 1)) !== undefined;
    const handlers = handlersFor(site, candidate).filter((h) => handlerMatches(h, candidate) && !(protectedPath && h.entry.path.includes('*')));
    if (!handlers.length) continue;
    const { kind } = await probeRel(site, candidate, probe);
    if (kind === 'directory') continue;
    if (kind !== 'file') return { kind: 'not-found', reason: `the script ${candidate} does not exist` };
    return appResolution(site, request, candidate, segments.slice(i + 1), current.endsWith('/'), handlers, rewritten, rules);
  }

  const here = await probeRel(site, current, probe);
  if (here.kind === 'file') {
    if (current.endsWith('/')) return { kind: 'not-found', reason: `${current.slice(0, -1)} is a file, not a folder` };
    return staticResolution(site, current, here.file!, rewritten, rules);
  }
  if (here.kind !== 'directory') return { kind: 'not-found', reason: `nothing at ${current === '' ? '/' : current}` };
  if (!endsWithSlash(current) && !rewritten) {
    return { kind: 'redirect', status: 301, location: `${rawPath}/${query !== undefined ? `?${query}` : ''}` };
  }
  const dir = segments.join('/');
  for (const name of defaultDocumentsFor(site, dir)) {
    const candidate = joinRel(dir, name);
    const docSegments = segmentsOf(candidate);
    const handlers = handlersFor(site, candidate).filter((h) => handlerMatches(h, candidate));
    const found = await probeRel(site, candidate, probe);
    if (found.kind !== 'file') continue;
    if (handlers.length) return appResolution(site, request, docSegments.join('/'), [], false, handlers, rewritten, rules);
    const resolution = staticResolution(site, docSegments.join('/'), found.file!, rewritten, rules);
    if (resolution.kind === 'static') return resolution;
  }
  return { kind: 'not-found', reason: `the folder ${dir === '' ? '/' : `${dir}/`} has no default document` };
}

function hiddenHit(segments: readonly string[], hidden: readonly string[]): boolean {
  const set = new Set(hidden.map((h) => h.toLowerCase()));
  return segments.some((s) => set.has(s.toLowerCase()));
}

function appResolution(
  site: Site,
  request: SiteRequest,
  scriptRel: string,
  rest: readonly string[],
  trailingSlash: boolean,
  handlers: readonly ActiveHandler[],
  rewritten: boolean,
  rules: string[],
): SiteResolution {
  if (!handlers.some((h) => verbAllows(h.entry.verb, request.method))) {
    const allow = [...new Set(handlers.flatMap((h) => h.entry.verb.split(',').map((v) => v.trim().toUpperCase())))].filter((v) => v !== '');
    // Never fall back to serving the script as a file: that would publish the app's source.
    return { kind: 'method-not-allowed', allow, reason: `the iisnode handler for ${scriptRel} accepts ${allow.join(', ')} only` };
  }
  const app = siteApp(site, scriptRel);
  if (app.settings.errors.length) return { kind: 'config-error', issues: app.settings.errors };
  const pathInfo = rest.length ? `/${rest.join('/')}${trailingSlash ? '/' : ''}` : '';
  return { kind: 'app', app, script: app.script, originalUrl: request.target, pathInfo, rewritten, rules };
}

function staticResolution(site: Site, rel: string, file: string, rewritten: boolean, rules: string[]): SiteResolution {
  const protection: ProtectionOptions = { hiddenSegments: hiddenSegmentsFor(site, rel), protectedDirs: site.protectedDirs };
  const why = neverServedReason(segmentsOf(rel), protection);
  if (why) return { kind: 'not-found', reason: why };
  if (site.protectedDirs.some((dir) => isWithin(dir, file, site.platform))) return { kind: 'not-found', reason: `${rel} is in a log folder` };
  const contentType = mimeMapFor(site, rel).get(path.posix.extname(rel).toLowerCase());
  if (!contentType) return { kind: 'not-found', reason: `${path.posix.basename(rel)} has no MIME type, so it is not served` };
  return { kind: 'static', file, contentType, protection, rewritten, rules };
}
