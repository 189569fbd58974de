/**
 * A site's apps, keyed by script as in iisnode: what web.config says about each script's app (settings, appSettings,
 * log folder), and the apps its handlers declare.
 */
import path from 'node:path';
import { SETTINGS } from '../config/schema.js';
import { logUrlPrefix, resolveLogDirectory } from '../logs/naming.js';
import { mergeIisnodeSections } from './iisnode-settings.js';
import { joinRel, physicalPath, segmentsOf } from './paths.js';
import type { FileProbe } from './rewrite-rules.js';
import type { LogFolder, Site, SiteApp } from './site-model.js';
import { appSettingsFor, handlerMatches, handlersFor, layersFor } from './site-layers.js';
import { fsProbe } from './probes.js';

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
export function declaredLogFolders(site: Site): LogFolder[] {
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
