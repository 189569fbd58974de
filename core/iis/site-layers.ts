/**
 * What is in effect at a path of a site: its configuration layers, merged outermost first (configuration errors,
 * appSettings, default documents, hidden segments, MIME map, URL Rewrite rules, handlers).
 */
import type { ConfigIssue } from '../config/load.js';
import { mimeMapWith } from './mime.js';
import { joinRel, scopeCovers, segmentsOf } from './paths.js';
import { effectiveRules, type RewriteMap, type RewriteRule, type RuleOp } from './rewrite.js';
import { IIS_DEFAULT_DOCUMENTS, IIS_HIDDEN_SEGMENTS } from './static.js';
import type { CollectionOp, ConfigLayer, HandlerEntry } from './web-config.js';
import type { Site } from './site-model.js';

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

export interface ActiveHandler {
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

export function verbAllows(verb: string, method: string): boolean {
  const v = verb.trim();
  if (v === '' || v === '*') return true;
  return v.split(',').some((m) => m.trim().toUpperCase() === method.toUpperCase());
}
