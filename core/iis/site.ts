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
 *
 * The parts: site-model.ts (what a site is), site-layers.ts (what is in effect at a path), site-apps.ts (apps keyed by
 * script), site-resolve.ts (one request), probes.ts (the file system); this file loads a site from its folder.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigIssue } from '../config/load.js';
import type { Platform } from '../platform/platform.js';
import { normalizeMountPath } from './paths.js';
import { readWebConfig, WEB_CONFIG, type WebConfig } from './web-config.js';
import type { Site } from './site-model.js';
import { declaredLogFolders } from './site-apps.js';

export type { LogFolder, Site, SiteApp } from './site-model.js';
export * from './site-layers.js';
export { declaredApps, siteApp } from './site-apps.js';
export { cachedProbe, fsProbe } from './probes.js';
export { resolveSiteRequest, type SiteRequest, type SiteResolution } from './site-resolve.js';

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
