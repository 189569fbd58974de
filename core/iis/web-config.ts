/**
 * Reading one web.config into configuration layers: the file's own `<system.webServer>` and `<appSettings>`, and
 * one more layer per `<location path="...">`. Each layer has a scope (the site-relative folder or file it applies
 * to); site.ts stacks the layers of all web.config files that cover a URL, outermost first, as IIS configuration
 * inheritance did.
 *
 * What Berth reads: `<iisnode>` (iisnode-settings.ts), `<handlers>` entries with modules="iisnode",
 * `<appSettings>`, `<defaultDocument>`, `<rewrite>` (rewrite.ts), `<webSocket>`, `<staticContent><mimeMap>`,
 * `<security><requestFiltering><hiddenSegments>`. Everything else is listed once per file in one warning, never a
 * failure. A file that is not well-formed XML gets one error with the parser's line and column.
 */
import { readFile } from 'node:fs/promises';
import { deepXmlNesting, oversizeIssue } from '../config/file-guard.js';
import type { ConfigIssue } from '../config/load.js';
import { readIisnodeElement, type IisnodeSection, type Where } from './iisnode-settings.js';
import { joinRel, segmentsOf } from './paths.js';
import { readRewriteSection, type RewriteSection } from './rewrite.js';
import { attribute, decodeXmlBytes, parseXml, type XmlElement } from './xml.js';

export const WEB_CONFIG = 'web.config';

/** One change to a keyed IIS collection, in document order. Keys compare case-insensitively. */
export type CollectionOp<T> = { op: 'add'; key: string; value: T; at: Where } | { op: 'remove'; key: string; at: Where } | { op: 'clear'; at: Where };

/** A `<handlers><add modules="iisnode">` entry. */
export interface HandlerEntry {
  name: string;
  /** As written: a file name (`hello.js`), a wildcard (`*.js`, `*.njs`), or a relative path (`server/app.js`). */
  path: string;
  /** `*` or a comma-separated list of methods. */
  verb: string;
  at: Where;
}

export interface ConfigLayer {
  /** The web.config file. */
  file: string;
  /** Site-relative folder or file the layer applies to (`''` = the whole site), `/`-separated. */
  scope: string;
  /** How deep the web.config's folder is below the site root (for ordering layers of the same scope). */
  fileDepth: number;
  /** Document order within the file (the file's own layer is 0). */
  index: number;
  iisnode?: IisnodeSection;
  handlers: CollectionOp<HandlerEntry>[];
  /** Values carry the key as written (collection keys are lower-cased for matching). */
  appSettings: CollectionOp<{ key: string; value: string }>[];
  defaultDocument: { enabled?: boolean; files: CollectionOp<string>[] };
  hiddenSegments: CollectionOp<string>[];
  /** Key: extension with its dot, lower case; value: MIME type. */
  mimeMaps: CollectionOp<string>[];
  rewrite?: RewriteSection;
  webSocketEnabled?: boolean;
  /** Problems that make every request under the scope fail (IIS answered such requests with a 500.19). */
  errors: ConfigIssue[];
}

export interface WebConfig {
  file: string;
  /** Site-relative folder of the file (`''` for the site root). */
  folder: string;
  layers: ConfigLayer[];
  /** The file is not well-formed XML (or has no `<configuration>` root): nothing under `folder` can be served. */
  fatal?: ConfigIssue;
  /** At most one: the elements Berth ignores. */
  warnings: ConfigIssue[];
}

export interface ParseOptions {
  file: string;
  /** Site-relative folder of the file; default `''`. */
  folder?: string;
  /** Environment for `%VAR%` expansion in `<iisnode>` attributes; default process.env. */
  env?: NodeJS.ProcessEnv;
}

interface Unsupported {
  element: string;
  line: number;
  detail?: string;
}

/** Elements that have no effect in Berth and need none: accepted without a warning. */
const QUIET_TOP = new Set(['configSections']);
const QUIET_WEBSERVER = new Set(['validation']);

function at(file: string, node: { line: number; column: number }): Where {
  return { file, line: node.line, column: node.column };
}

function newLayer(file: string, scope: string, fileDepth: number, index: number): ConfigLayer {
  return { file, scope, fileDepth, index, handlers: [], appSettings: [], defaultDocument: { files: [] }, hiddenSegments: [], mimeMaps: [], errors: [] };
}

function collection<T>(
  el: XmlElement,
  file: string,
  keyAttr: string,
  value: (add: XmlElement) => T | undefined,
  unsupported: Unsupported[],
  prefix: string,
): CollectionOp<T>[] {
  const ops: CollectionOp<T>[] = [];
  for (const child of el.children) {
    if (child.name === 'clear') ops.push({ op: 'clear', at: at(file, child) });
    else if (child.name === 'remove') ops.push({ op: 'remove', key: (attribute(child, keyAttr)?.value ?? '').toLowerCase(), at: at(file, child) });
    else if (child.name === 'add') {
      const v = value(child);
      if (v !== undefined) ops.push({ op: 'add', key: (attribute(child, keyAttr)?.value ?? '').toLowerCase(), value: v, at: at(file, child) });
    } else unsupported.push({ element: `${prefix}/${child.name}`, line: child.line });
  }
  return ops;
}

function boolAttr(el: XmlElement, name: string, file: string, errors: ConfigIssue[]): boolean | undefined {
  const a = attribute(el, name);
  if (!a) return undefined;
  const v = a.value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  errors.push({ severity: 'error', ...at(file, a), message: `<${el.name} ${name}="${a.value}"> is not true or false.` });
  return undefined;
}

/** A handler path as Berth uses it: `/` separators, no leading `./` or `/`; undefined when it climbs out. */
export function normalizeHandlerPath(raw: string): string | undefined {
  const p = raw.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (p === '' || segmentsOf(p).some((s) => s === '..' || s === '.')) return undefined;
  return segmentsOf(p).join('/');
}

function readHandlers(el: XmlElement, layer: ConfigLayer, unsupported: Unsupported[]): void {
  const file = layer.file;
  for (const child of el.children) {
    if (child.name === 'clear') layer.handlers.push({ op: 'clear', at: at(file, child) });
    else if (child.name === 'remove') layer.handlers.push({ op: 'remove', key: (attribute(child, 'name')?.value ?? '').toLowerCase(), at: at(file, child) });
    else if (child.name === 'add') {
      const name = attribute(child, 'name')?.value ?? '';
      const modules = attribute(child, 'modules')?.value ?? '';
      const isIisnode = modules.split(',').some((m) => m.trim().toLowerCase() === 'iisnode');
      if (!isIisnode) {
        unsupported.push({ element: 'handlers/add', line: child.line, detail: `handler "${name}"${modules ? ` (modules="${modules}")` : ''}` });
        continue;
      }
      const pathAttr = attribute(child, 'path');
      const normal = pathAttr ? normalizeHandlerPath(pathAttr.value) : undefined;
      if (!pathAttr || normal === undefined) {
        layer.errors.push({
          severity: 'error',
          ...at(file, pathAttr ?? child),
          message: pathAttr ? `The iisnode handler "${name}" has path="${pathAttr.value}", which does not name a script in the site.` : `The iisnode handler "${name}" has no path.`,
          fix: 'Set path to the script file, for example path="server.js", or a wildcard such as path="*.js".',
        });
        continue;
      }
      if (name === '') {
        layer.errors.push({ severity: 'error', ...at(file, child), message: `The iisnode handler for "${pathAttr.value}" has no name.`, fix: 'Add name="iisnode" (IIS requires a name).' });
        continue;
      }
      layer.handlers.push({ op: 'add', key: name.toLowerCase(), value: { name, path: normal, verb: attribute(child, 'verb')?.value.trim() || '*', at: at(file, child) }, at: at(file, child) });
    } else unsupported.push({ element: `handlers/${child.name}`, line: child.line });
  }
}

function readWebServer(el: XmlElement, layer: ConfigLayer, env: NodeJS.ProcessEnv, unsupported: Unsupported[]): void {
  const file = layer.file;
  for (const child of el.children) {
    switch (child.name) {
      case 'iisnode': {
        if (layer.iisnode) {
          layer.errors.push({ severity: 'error', ...at(file, child), message: '<iisnode> appears twice in the same place.', fix: 'Merge the two elements into one.' });
          break;
        }
        layer.iisnode = readIisnodeElement(child, file, env);
        break;
      }
      case 'handlers':
        readHandlers(child, layer, unsupported);
        break;
      case 'defaultDocument': {
        const enabled = boolAttr(child, 'enabled', file, layer.errors);
        if (enabled !== undefined) layer.defaultDocument.enabled = enabled;
        for (const files of child.children) {
          if (files.name !== 'files') {
            unsupported.push({ element: `defaultDocument/${files.name}`, line: files.line });
            continue;
          }
          layer.defaultDocument.files.push(...collection(files, file, 'value', (add) => attribute(add, 'value')?.value.trim() || undefined, unsupported, 'defaultDocument/files'));
        }
        break;
      }
      case 'rewrite': {
        const section = readRewriteSection(child, file, layer.scope);
        layer.rewrite = section;
        layer.errors.push(...section.errors);
        unsupported.push(...section.unsupported.map((u) => ({ ...u, element: u.element.startsWith('rewrite') ? u.element : `rewrite/${u.element}` })));
        break;
      }
      case 'webSocket': {
        const enabled = boolAttr(child, 'enabled', file, layer.errors);
        if (enabled !== undefined) layer.webSocketEnabled = enabled;
        break;
      }
      case 'staticContent':
        for (const s of child.children) {
          const ext = (attribute(s, 'fileExtension')?.value.trim().toLowerCase() ?? '').replace(/^(?!\.)/, '.');
          if (s.name === 'clear') layer.mimeMaps.push({ op: 'clear', at: at(file, s) });
          else if (s.name === 'remove') layer.mimeMaps.push({ op: 'remove', key: ext, at: at(file, s) });
          else if (s.name === 'mimeMap') {
            const type = attribute(s, 'mimeType')?.value.trim();
            if (type && ext !== '.') layer.mimeMaps.push({ op: 'add', key: ext, value: type, at: at(file, s) });
            else layer.errors.push({ severity: 'error', ...at(file, s), message: '<mimeMap> needs a fileExtension and a mimeType.', fix: 'For example <mimeMap fileExtension=".json" mimeType="application/json" />.' });
          } else unsupported.push({ element: `staticContent/${s.name}`, line: s.line, ...(s.name === 'clientCache' ? { detail: 'cache headers for static files' } : {}) });
        }
        break;
      case 'security':
        for (const s of child.children) {
          if (s.name !== 'requestFiltering') {
            unsupported.push({ element: `security/${s.name}`, line: s.line, ...(s.name === 'authentication' || s.name === 'authorization' ? { detail: 'IIS authentication and authorization' } : {}) });
            continue;
          }
          for (const r of s.children) {
            if (r.name === 'hiddenSegments') layer.hiddenSegments.push(...collection(r, file, 'segment', (add) => attribute(add, 'segment')?.value.trim() || undefined, unsupported, 'hiddenSegments'));
            else unsupported.push({ element: `requestFiltering/${r.name}`, line: r.line });
          }
        }
        break;
      case 'httpErrors':
        // existingResponse="PassThrough" is what Berth always does: the app's own error responses pass unchanged.
        if ((attribute(child, 'existingResponse')?.value ?? '').toLowerCase() !== 'passthrough' || child.children.length) {
          unsupported.push({ element: 'httpErrors', line: child.line, detail: 'IIS custom error pages (Berth passes the app\'s responses through)' });
        }
        break;
      case 'directoryBrowse':
        if ((attribute(child, 'enabled')?.value ?? 'false').toLowerCase() !== 'false') unsupported.push({ element: 'directoryBrowse', line: child.line, detail: 'directory listings (Berth never lists folders)' });
        break;
      case 'modules':
        if (child.children.length) unsupported.push({ element: 'modules', line: child.line, detail: 'IIS modules' });
        break;
      default:
        if (!QUIET_WEBSERVER.has(child.name)) unsupported.push({ element: `system.webServer/${child.name}`, line: child.line });
    }
  }
}

function readAppSettings(el: XmlElement, layer: ConfigLayer, unsupported: Unsupported[]): void {
  for (const name of ['file', 'configSource']) {
    if (attribute(el, name)) unsupported.push({ element: `appSettings ${name}=`, line: el.line, detail: 'settings in another file (iisnode did not read them either)' });
  }
  // iisnode test 108: an empty key is skipped; an empty value is defined as an empty string.
  layer.appSettings.push(
    ...collection(el, layer.file, 'key', (add) => {
      const key = attribute(add, 'key')?.value ?? '';
      return key === '' ? undefined : { key, value: attribute(add, 'value')?.value ?? '' };
    }, unsupported, 'appSettings'),
  );
}

/** A `<location path>` value as a scope below the file's folder; undefined when it is not a path inside the site. */
function locationScope(folder: string, raw: string): string | undefined {
  const p = raw.trim().replace(/\\/g, '/').replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '' || p === '.') return folder;
  const segments = segmentsOf(p);
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  return joinRel(folder, segments.join('/')).replace(/\/$/, '');
}

function readContainer(el: XmlElement, layer: ConfigLayer, env: NodeJS.ProcessEnv, unsupported: Unsupported[], prefix: string): void {
  for (const child of el.children) {
    if (child.name === 'system.webServer') readWebServer(child, layer, env, unsupported);
    else if (child.name === 'appSettings') readAppSettings(child, layer, unsupported);
    else if (child.name === 'location' && prefix === '') continue; // read by parseWebConfig
    else if (prefix === '' && QUIET_TOP.has(child.name)) continue;
    else unsupported.push({ element: `${prefix}${child.name}`, line: child.line });
  }
}

/** Parses one web.config's text. Never throws: problems are in `fatal`, the layers' `errors`, and `warnings`. */
export function parseWebConfig(text: string, options: ParseOptions): WebConfig {
  const file = options.file;
  const folder = options.folder ?? '';
  const env = options.env ?? process.env;
  const result: WebConfig = { file, folder, layers: [], warnings: [] };
  // The XML tree is built recursively: absurd nesting is refused before it could exhaust the stack.
  const deep = deepXmlNesting(file, text);
  if (deep) {
    result.fatal = deep;
    return result;
  }
  const xml = parseXml(text);
  if (!xml.ok) {
    result.fatal = {
      severity: 'error',
      file,
      line: xml.error.line,
      column: xml.error.column,
      message: `is not well-formed XML: ${xml.error.message}.`,
      fix: 'Make sure the web.config file syntax is correct (every element closed, attribute values in quotes).',
    };
    return result;
  }
  const root = xml.root;
  if (root.name !== 'configuration') {
    result.fatal = { severity: 'error', file, line: root.line, column: root.column, message: `has <${root.name}> as its root element instead of <configuration>.`, fix: 'A web.config starts with <configuration> and ends with </configuration>.' };
    return result;
  }
  const depth = segmentsOf(folder).length;
  const unsupported: Unsupported[] = [];
  const main = newLayer(file, folder, depth, 0);
  readContainer(root, main, env, unsupported, '');
  result.layers.push(main);
  let index = 0;
  for (const loc of root.children) {
    if (loc.name !== 'location') continue;
    index++;
    const pathAttr = attribute(loc, 'path');
    const scope = locationScope(folder, pathAttr?.value ?? '');
    const layer = newLayer(file, scope ?? folder, depth, index);
    if (scope === undefined) {
      main.errors.push({ severity: 'error', ...at(file, pathAttr ?? loc), message: `<location path="${pathAttr?.value ?? ''}"> does not name a folder or file inside the site.`, fix: 'Use a path relative to the web.config\'s folder, without "..".' });
      continue;
    }
    readContainer(loc, layer, env, unsupported, 'location/');
    result.layers.push(layer);
  }
  if (unsupported.length) {
    const seen = new Set<string>();
    const items: string[] = [];
    for (const u of unsupported) {
      const text = `<${u.element}>${u.detail ? ` (${u.detail})` : ''} at line ${u.line}`;
      const key = `${u.element}|${u.detail ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(text);
    }
    result.warnings.push({
      severity: 'warning',
      file,
      line: unsupported[0]!.line,
      message: `Berth ignores ${items.length === 1 ? 'this element, which it does not support' : 'these elements, which it does not support'}: ${items.join('; ')}.`,
      fix: 'They only had an effect under IIS; docs/IISNODE-COMPAT.md lists what Berth reads from web.config.',
    });
  }
  return result;
}

/** Reads and parses a web.config file. Undefined when it does not exist; an unreadable file is a fatal problem. */
export async function readWebConfig(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<WebConfig | undefined> {
  let bytes: Buffer;
  const oversize = await oversizeIssue(file); // a huge file is never read, let alone parsed
  if (oversize) return { file, folder: options.folder ?? '', layers: [], warnings: [], fatal: oversize };
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { file, folder: options.folder ?? '', layers: [], warnings: [], fatal: { severity: 'error', file, message: `cannot be read (${code ?? String(error)}).`, fix: 'Check its permissions.' } };
  }
  return parseWebConfig(decodeXmlBytes(bytes), { ...options, file });
}
