/**
 * An IIS-style site: a folder with a web.config (and possibly more web.config files in subfolders), mounted at a
 * URL path, holding node apps and static files side by side — what iisnode users dropped into IIS.
 *
 * As in iisnode, applications are keyed by script: every script a `<handlers>` entry with modules="iisnode" maps
 * is its own app, with its own workers, its own configuration (the `<iisnode>` attributes in effect at the script,
 * then the script folder's iisnode.yml / berth.yml) and its own log folder (logDirectory relative to the script's
 * folder). A request for `/<dir>/<script>.js/anything` goes to that script with the URL unchanged; every other file
 * is static; a folder URL gets its default document, which may itself be a script.
 *
 * `resolveSiteRequest` decides what one request is, in IIS's order: mount, configuration errors, hidden segments,
 * URL Rewrite rules, handler scripts, static files and default documents. It only reads the file system through
 * the probe it is given, so it is tested with a fake one.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigIssue } from '../config/load.js';
import { SETTINGS } from '../config/schema.js';
import { logUrlPrefix, resolveLogDirectory } from '../logs/naming.js';
import type { Platform } from '../platform/platform.js';
import { mergeIisnodeSections, type WebConfigSettings } from './iisnode-settings.js';
import { mimeMapWith } from './mime.js';
import {
  belowMount,
  decodeUrlPath,
  endsWithSlash,
  isWithin,
  joinRel,
  normalizeMountPath,
  physicalPath,
  removeDotSegments,
  scopeCovers,
  segmentsOf,
  splitTarget,
} from './paths.js';
import { applyRewriteRules, effectiveRules, type FileKind, type FileProbe, type RewriteMap, type RewriteRequest, type RewriteRule, type RuleOp } from './rewrite.js';
import { IIS_DEFAULT_DOCUMENTS, IIS_HIDDEN_SEGMENTS, neverServedReason, type ProtectionOptions } from './static.js';
import { readWebConfig, WEB_CONFIG, type CollectionOp, type ConfigLayer, type HandlerEntry, type WebConfig } from './web-config.js';

export interface Site {
  /** The site folder (absolute). */
  root: string;
  /** Mount path in normal form: `''` for the root, else `/a/b`. */
  mountPath: string;
  platform: Platform;
  /** The web.config files found, the site root's first, then by depth. */
  configs: WebConfig[];
  /** Every configuration layer, outermost first (see layersFor). */
  layers: ConfigLayer[];
  /** All warnings of all files, plus the folder scan's. */
  warnings: ConfigIssue[];
  /** The log folders of the apps web.config declares, with their URLs (served by core/logs/serve.ts, not as static files). */
  logFolders: LogFolder[];
  /**
   * Folders never served as static files: the declared log folders. A caller that learns of another log folder
   * (an app's iisnode.yml changed logDirectory) adds it here.
   */
  protectedDirs: string[];
  /** Memo of siteApp, by site-relative script path (lower case where file names ignore case). */
  readonly appCache: Map<string, SiteApp>;
}

export interface LogFolder {
  /** The app whose log folder it is (for wildcard handlers: an app in the handler's folder). */
  app: SiteApp;
  dir: string;
  /** URL path of the folder without a trailing slash (e.g. `/node/logging/iisnode`); undefined when it is outside the site. */
  urlPrefix: string | undefined;
}

export interface LoadSiteOptions {
  /** URL path the site is mounted at, like an IIS virtual directory (`/node`); default the root. */
  mountPath?: string;
  /** Environment for `%VAR%` expansion in `<iisnode>`; default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: Platform;
  /** Most folders looked at for nested web.config files (default 2000); node_modules and dot-folders are skipped. */
  maxFolders?: number;
  /** Deepest folder looked at (default 8). */
  maxDepth?: number;
}

/** Whether a folder is an IIS-style site (has a web.config at its root). */
export async function isIisSite(folder: string): Promise<boolean> {
  try {
    return (await stat(path.join(folder, WEB_CONFIG))).isFile();
  } catch {
    return false;
  }
}

async function findNestedWebConfigs(root: string, maxFolders: number, maxDepth: number): Promise<{ folders: string[]; truncated: boolean }> {
  const found: string[] = [];
  let visited = 0;
  let queue: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (queue.length) {
    const next: typeof queue = [];
    for (const { rel, depth } of queue) {
      if (visited >= maxFolders) return { folders: found, truncated: true };
      visited++;
      let entries;
      try {
        entries = await readdir(rel ? path.join(root, ...rel.split('/')) : root, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.isFile() && e.name.toLowerCase() === WEB_CONFIG && rel !== '') found.push(rel);
        // Symbolic links are not followed: a link cannot pull another tree's configuration in.
        if (e.isDirectory() && depth < maxDepth && !e.name.startsWith('.') && e.name.toLowerCase() !== 'node_modules') {
          next.push({ rel: rel ? `${rel}/${e.name}` : e.name, depth: depth + 1 });
        }
      }
    }
    queue = next;
  }
  return { folders: found, truncated: false };
}

/**
 * Reads a site: its web.config, the web.config files of its subfolders, and what follows from them. Never throws
 * for configuration problems: they are in the configs' `fatal`, the layers' `errors`, and `warnings`, and
 * resolveSiteRequest turns them into configuration-error answers for the URLs they concern.
 */
export async function loadSite(root: string, options: LoadSiteOptions = {}): Promise<Site> {
  const platform = options.platform ?? process.platform;
  const mountPath = normalizeMountPath(options.mountPath);
  if (mountPath === undefined) throw new Error(`"${options.mountPath}" is not a mount path: use a URL path such as /node or /shop/api.`);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const folder = p.resolve(root);
  const warnings: ConfigIssue[] = [];
  const configs: WebConfig[] = [];
  const env = options.env ?? process.env;
  const top = await readWebConfig(p.join(folder, WEB_CONFIG), { folder: '', env });
  if (top) configs.push(top);
  const nested = await findNestedWebConfigs(folder, options.maxFolders ?? 2000, options.maxDepth ?? 8);
  if (nested.truncated) {
    warnings.push({ severity: 'warning', file: folder, message: `has more than ${options.maxFolders ?? 2000} folders; web.config files deeper in it were not looked for.`, fix: 'Move large data folders out of the site folder.' });
  }
  for (const rel of nested.folders) {
    const config = await readWebConfig(p.join(folder, ...rel.split('/'), WEB_CONFIG), { folder: rel, env });
    if (config) configs.push(config);
  }
  const layers = configs.flatMap((c) => c.layers);
  for (const c of configs) warnings.push(...c.warnings);
  const site: Site = { root: folder, mountPath, platform, configs, layers, warnings, logFolders: [], protectedDirs: [], appCache: new Map() };
  site.logFolders = declaredLogFolders(site);
  site.protectedDirs = site.logFolders.map((f) => f.dir);
  return site;
}

/** A site built from already-parsed web.config files (for tests and callers that read files themselves). */
export function siteFromConfigs(root: string, configs: WebConfig[], options: { mountPath?: string; platform?: Platform } = {}): Site {
  const mountPath = normalizeMountPath(options.mountPath);
  if (mountPath === undefined) throw new Error(`"${options.mountPath}" is not a mount path.`);
  const site: Site = {
    root,
    mountPath,
    platform: options.platform ?? process.platform,
    configs,
    layers: configs.flatMap((c) => c.layers),
    warnings: configs.flatMap((c) => c.warnings),
    logFolders: [],
    protectedDirs: [],
    appCache: new Map(),
  };
  site.logFolders = declaredLogFolders(site);
  site.protectedDirs = site.logFolders.map((f) => f.dir);
  return site;
}

// ---------------------------------------------------------------------------------------------------------------
// What is in effect at a path

/**
 * The layers that apply to a site-relative path, outermost first: shorter scopes first, then (for the same scope)
 * the outer web.config first (a parent's `<location path="sub">` before sub/web.config), then document order.
 */
export function layersFor(site: Site, rel: string): ConfigLayer[] {
  return site.layers
    .filter((l) => scopeCovers(l.scope, rel))
    .sort((a, b) => segmentsOf(a.scope).length - segmentsOf(b.scope).length || a.fileDepth - b.fileDepth || a.index - b.index);
}

function mergeCollection<T>(opsByLayer: readonly (readonly CollectionOp<T>[])[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const ops of opsByLayer) {
    for (const op of ops) {
      if (op.op === 'clear') map.clear();
      else if (op.op === 'remove') map.delete(op.key);
      else {
        map.delete(op.key); // a redefinition moves to the end, as the later entry wins
        map.set(op.key, op.value);
      }
    }
  }
  return map;
}

/** Configuration problems that make a request for `rel` fail, outermost first; empty when there are none. */
export function configErrorsFor(site: Site, rel: string): ConfigIssue[] {
  const errors: ConfigIssue[] = [];
  for (const c of site.configs) if (c.fatal && scopeCovers(c.folder, rel)) errors.push(c.fatal);
  for (const l of layersFor(site, rel)) errors.push(...l.errors);
  return errors;
}

/** `<appSettings>` in effect at a script, in order: the worker's extra environment variables (iisnode test 108). */
export function appSettingsFor(site: Site, rel: string): Record<string, string> {
  const merged = mergeCollection(layersFor(site, rel).map((l) => l.appSettings));
  return Object.fromEntries([...merged.values()].map((e) => [e.key, e.value]));
}

/** Default documents in effect in a folder (`enabled="false"` gives none). web.config's own come first, as in IIS. */
export function defaultDocumentsFor(site: Site, relDir: string): string[] {
  let docs: string[] = [...IIS_DEFAULT_DOCUMENTS];
  let enabled = true;
  for (const layer of layersFor(site, relDir)) {
    if (layer.defaultDocument.enabled !== undefined) enabled = layer.defaultDocument.enabled;
    let inherited = docs;
    let local: string[] = [];
    for (const op of layer.defaultDocument.files) {
      if (op.op === 'clear') {
        inherited = [];
        local = [];
      } else if (op.op === 'remove') {
        inherited = inherited.filter((d) => d.toLowerCase() !== op.key);
        local = local.filter((d) => d.toLowerCase() !== op.key);
      } else if (!local.some((d) => d.toLowerCase() === op.key)) local.push(op.value);
    }
    // IIS's defaultDocument collection does not append: a web.config's entries go before the inherited ones.
    docs = [...local, ...inherited.filter((d) => !local.some((l) => l.toLowerCase() === d.toLowerCase()))];
  }
  return enabled ? docs : [];
}

/** Hidden segments in effect at a path: IIS's defaults with web.config's `<hiddenSegments>` changes. */
export function hiddenSegmentsFor(site: Site, rel: string): string[] {
  const start: CollectionOp<string>[] = IIS_HIDDEN_SEGMENTS.map((s) => ({ op: 'add', key: s.toLowerCase(), value: s, at: { file: '', line: 0, column: 0 } }));
  return [...mergeCollection([start, ...layersFor(site, rel).map((l) => l.hiddenSegments)]).values()];
}

/** The MIME map in effect at a path. */
export function mimeMapFor(site: Site, rel: string): Map<string, string> {
  return mimeMapWith(layersFor(site, rel).flatMap((l) => l.mimeMaps));
}

/** URL Rewrite rules and maps in effect for a request path. */
export function rewriteRulesFor(site: Site, rel: string): { rules: RewriteRule[]; maps: Map<string, RewriteMap> } {
  const layers = layersFor(site, rel);
  const ops: RuleOp[] = layers.flatMap((l) => l.rewrite?.rules ?? []);
  const maps = new Map<string, RewriteMap>();
  for (const l of layers) for (const m of l.rewrite?.maps ?? []) maps.set(m.name.toLowerCase(), m);
  return { rules: effectiveRules(ops), maps };
}

interface ActiveHandler {
  entry: HandlerEntry;
  /** The scope of the layer that declared it: the handler's base folder. */
  base: string;
}

/** iisnode handlers in effect for a candidate script path. */
export function handlersFor(site: Site, rel: string): ActiveHandler[] {
  const merged = new Map<string, ActiveHandler>();
  for (const layer of layersFor(site, rel)) {
    for (const op of layer.handlers) {
      if (op.op === 'clear') merged.clear();
      else if (op.op === 'remove') merged.delete(op.key);
      else {
        merged.delete(op.key);
        merged.set(op.key, { entry: op.value, base: layer.scope });
      }
    }
  }
  return [...merged.values()];
}

function wildcard(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}$`, 'i').test(text);
}

/**
 * Whether a handler maps a site-relative file path. A bare file name (`hello.js`) means that file in the handler's
 * own folder (IIS matched the name in every subfolder too, so a client-side `js/app.js` ran as a server app —
 * iisnode issue #189; Berth does not). A wildcard (`*.js`, `*.njs`) covers the handler's folder and everything
 * below it, as IIS did. A path with a slash (`server/app.js`), which IIS could not express, names that file.
 */
export function handlerMatches(handler: ActiveHandler, rel: string): boolean {
  const segments = segmentsOf(rel);
  const name = segments[segments.length - 1];
  if (name === undefined) return false;
  const pattern = handler.entry.path;
  const parent = segments.slice(0, -1).join('/');
  const base = segmentsOf(handler.base).join('/');
  if (pattern.includes('/')) {
    const full = segmentsOf(joinRel(handler.base, pattern));
    return full.length === segments.length && full.every((s, i) => wildcard(s, segments[i]!));
  }
  if (!wildcard(pattern, name)) return false;
  if (pattern.includes('*')) return scopeCovers(base, parent) || base.toLowerCase() === segments.join('/').toLowerCase();
  // A handler declared in a <location> that names the file itself also counts.
  return parent.toLowerCase() === base.toLowerCase() || segments.join('/').toLowerCase() === base.toLowerCase();
}

function verbAllows(verb: string, method: string): boolean {
  const v = verb.trim();
  if (v === '' || v === '*') return true;
  return v.split(',').some((m) => m.trim().toUpperCase() === method.toUpperCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Apps keyed by script

export interface SiteApp {
  /** The app's identity: the script's absolute path (iisnode keyed applications by it), lower case where file names ignore case. */
  key: string;
  /** Absolute path of the script. */
  script: string;
  /** Site-relative path of the script. */
  scriptRel: string;
  /** The script's folder: the workers' working directory and where iisnode.yml / berth.yml are read. */
  folder: string;
  /** The script's file name (the app's `entry`, relative to `folder`). */
  entry: string;
  /** The web.config configuration source for this app (to sit between the defaults and the environment). */
  settings: WebConfigSettings;
  /** `<appSettings>` in effect: extra environment variables for the workers. */
  env: Record<string, string>;
  /** The log folder as web.config sets it (absolute); iisnode.yml may still change logDirectory. */
  logDir: string;
  /** URL prefix of the log folder (e.g. `/node/logging/iisnode`), or undefined when it is outside the site. */
  logUrlPrefix: string | undefined;
  /** `<webSocket enabled>` in effect (accepted; Berth tunnels WebSockets to the app either way). */
  webSocketEnabled: boolean;
}

/** The app for a script, with everything web.config says about it. Memoized per site. */
export function siteApp(site: Site, scriptRel: string): SiteApp {
  const clean = segmentsOf(scriptRel).join('/');
  // One file, one app: on Windows and macOS a name in another letter case is the same file.
  const caseless = site.platform === 'win32' || site.platform === 'darwin';
  const cacheKey = caseless ? clean.toLowerCase() : clean;
  const cached = site.appCache.get(cacheKey);
  if (cached) return cached;
  const p = site.platform === 'win32' ? path.win32 : path.posix;
  const segments = segmentsOf(clean);
  const script = p.join(site.root, ...segments);
  const folder = p.dirname(script);
  const layers = layersFor(site, clean);
  const settings = mergeIisnodeSections(layers.flatMap((l) => (l.iisnode ? [l.iisnode] : [])));
  const logDirectory = typeof settings.values.logDirectory === 'string' ? settings.values.logDirectory : SETTINGS.logDirectory.default;
  const folderRel = segments.slice(0, -1).join('/');
  let webSocketEnabled = true;
  for (const l of layers) if (l.webSocketEnabled !== undefined) webSocketEnabled = l.webSocketEnabled;
  const app: SiteApp = {
    key: caseless ? script.toLowerCase() : script,
    script,
    scriptRel: clean,
    folder,
    entry: p.basename(script),
    settings,
    env: appSettingsFor(site, clean),
    logDir: resolveLogDirectory(folder, logDirectory, site.platform),
    logUrlPrefix: logUrlPrefix(logDirectory, `${site.mountPath}${folderRel ? `/${folderRel.split('/').map(encodeURIComponent).join('/')}` : ''}`, site.platform),
    webSocketEnabled,
  };
  site.appCache.set(cacheKey, app);
  return app;
}

/** Log folders of the scripts web.config names, and of the folders its wildcard handlers cover. */
function declaredLogFolders(site: Site): LogFolder[] {
  const folders = new Map<string, LogFolder>();
  for (const layer of site.layers) {
    for (const op of layer.handlers) {
      if (op.op !== 'add') continue;
      const pattern = op.value.path;
      // A representative script of the handler: the file itself, or a file in the wildcard's folder.
      const rel = pattern.includes('*') ? joinRel(layer.scope, pattern.replace(/\*/g, 'x')) : joinRel(layer.scope, pattern);
      const app = siteApp(site, rel);
      if (!folders.has(app.logDir)) folders.set(app.logDir, { app, dir: app.logDir, urlPrefix: app.logUrlPrefix });
    }
  }
  return [...folders.values()];
}

/** The apps web.config names explicitly (not wildcards) whose script exists: the ones worth starting up front. */
export async function declaredApps(site: Site, probe: FileProbe = fsProbe): Promise<SiteApp[]> {
  const apps = new Map<string, SiteApp>();
  for (const layer of site.layers) {
    for (const op of layer.handlers) {
      if (op.op !== 'add' || op.value.path.includes('*')) continue;
      const rel = joinRel(layer.scope, op.value.path);
      if (!handlersFor(site, rel).some((h) => handlerMatches(h, rel))) continue; // removed again further in
      const file = physicalPath(site.root, rel, site.platform);
      if (file && (await probe(file)) === 'file') apps.set(rel.toLowerCase(), siteApp(site, rel));
    }
  }
  return [...apps.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Resolving a request

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

/** A probe on the real file system (follows symbolic links; serveStaticFile checks where they lead). */
export const fsProbe: FileProbe = async (absolutePath) => {
  try {
    const st = await stat(absolutePath);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'none';
  } catch {
    return 'none';
  }
};

/** A probe that remembers answers for `ttlMs` (a request usually asks about the same few paths). */
export function cachedProbe(probe: FileProbe, ttlMs = 1000, maxEntries = 10_000, now: () => number = Date.now): FileProbe {
  const cache = new Map<string, { kind: FileKind; until: number }>();
  return async (absolutePath) => {
    const t = now();
    const hit = cache.get(absolutePath);
    if (hit && hit.until > t) return hit.kind;
    const kind = await probe(absolutePath);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(absolutePath, { kind, until: t + ttlMs });
    return kind;
  };
}

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
