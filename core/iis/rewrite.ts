/**
 * URL Rewrite (`<system.webServer><rewrite>`), as the IIS URL Rewrite module applied it in front of iisnode:
 * reading the rules from web.config, and a pure engine that runs them for one request.
 *
 * Supported: `<rules>` with `<clear/>` and `<remove name>`; `<rule name enabled stopProcessing patternSyntax>`
 * (ECMAScript, Wildcard, ExactMatch); `<match url ignoreCase negate>`; `<conditions logicalGrouping
 * trackAllCaptures>` with `<add input matchType pattern ignoreCase negate>` (matchType Pattern, IsFile,
 * IsDirectory); actions Rewrite, Redirect (redirectType, appendQueryString), CustomResponse, AbortRequest and None;
 * back-references `{R:n}` and `{C:n}`; server variables; the functions ToLower, UrlEncode, UrlDecode and
 * EscapeDataString; and `<rewriteMaps>`. Not supported (reported as warnings where they are read): outbound rules,
 * providers, `<serverVariables>` assignments, and Rewrite to another server (ARR reverse proxy).
 *
 * The engine never touches the file system itself: IsFile and IsDirectory go through a probe function, and a probe
 * is only ever asked about paths inside the site folder.
 */
import path from 'node:path';
import type { ConfigIssue } from '../config/load.js';
import type { Platform } from '../platform/platform.js';
import type { Where } from './iisnode-settings.js';
import { belowScope, isWithin, joinRel, physicalPath, removeDotSegments, scopeCovers } from './paths.js';
import { attribute, childrenNamed, type XmlElement } from './xml.js';

export type FileKind = 'file' | 'directory' | 'none';
/** Tells what an absolute path is. May answer synchronously or with a promise. */
export type FileProbe = (absolutePath: string) => FileKind | Promise<FileKind>;

export type PatternSyntax = 'ECMAScript' | 'Wildcard' | 'ExactMatch';
export type MatchType = 'Pattern' | 'IsFile' | 'IsDirectory';
export type RedirectType = 'Permanent' | 'Found' | 'SeeOther' | 'Temporary';

export const REDIRECT_STATUS: Record<RedirectType, 301 | 302 | 303 | 307> = { Permanent: 301, Found: 302, SeeOther: 303, Temporary: 307 };

/** A compiled pattern: `exec` returns the captures (index 0 = whole match) or null. */
export interface Matcher {
  source: string;
  syntax: PatternSyntax;
  ignoreCase: boolean;
  exec(input: string): string[] | null;
}

export interface RewriteCondition {
  input: string;
  matchType: MatchType;
  /** For matchType Pattern. */
  matcher?: Matcher;
  negate: boolean;
  at: Where;
}

export type RewriteAction =
  | { type: 'Rewrite'; url: string; appendQueryString: boolean }
  | { type: 'Redirect'; url: string; appendQueryString: boolean; redirectType: RedirectType }
  | { type: 'CustomResponse'; statusCode: number; subStatusCode: number; statusReason: string; statusDescription: string }
  | { type: 'AbortRequest' }
  | { type: 'None' };

export interface RewriteRule {
  name: string;
  /** Site-relative folder (or file) the rule's web.config or `<location>` applies to; URLs are matched relative to it. */
  scope: string;
  at: Where;
  enabled: boolean;
  stopProcessing: boolean;
  match: Matcher;
  negate: boolean;
  logicalGrouping: 'MatchAll' | 'MatchAny';
  trackAllCaptures: boolean;
  conditions: RewriteCondition[];
  action: RewriteAction;
}

export interface RewriteMap {
  name: string;
  defaultValue: string;
  ignoreCase: boolean;
  entries: Map<string, string>;
  at: Where;
}

/** One change to a rule collection, in document order. */
export type RuleOp = { op: 'add'; rule: RewriteRule } | { op: 'remove'; name: string; at: Where } | { op: 'clear'; at: Where };

export interface RewriteSection {
  rules: RuleOp[];
  maps: RewriteMap[];
  /** Problems that make requests under the scope fail (as the URL Rewrite module failed them). */
  errors: ConfigIssue[];
  /** Parts Berth does not support; listed once with the file's other unsupported elements. */
  unsupported: { element: string; line: number; detail?: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Reading web.config

interface ReadContext {
  file: string;
  scope: string;
}

function where(ctx: ReadContext, node: { line: number; column: number }): Where {
  return { file: ctx.file, line: node.line, column: node.column };
}

function issue(ctx: ReadContext, node: { line: number; column: number }, message: string, fix?: string): ConfigIssue {
  return { severity: 'error', ...where(ctx, node), message, ...(fix ? { fix } : {}) };
}

function readBool(ctx: ReadContext, el: XmlElement, name: string, fallback: boolean, errors: ConfigIssue[]): boolean {
  const a = attribute(el, name);
  if (!a) return fallback;
  const v = a.value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  errors.push(issue(ctx, a, `<${el.name} ${name}="${a.value}"> is not true or false.`));
  return fallback;
}

function readChoice<T extends string>(ctx: ReadContext, el: XmlElement, name: string, choices: readonly T[], fallback: T, errors: ConfigIssue[]): T {
  const a = attribute(el, name);
  if (!a) return fallback;
  const found = choices.find((c) => c.toLowerCase() === a.value.trim().toLowerCase());
  if (found) return found;
  errors.push(issue(ctx, a, `<${el.name} ${name}="${a.value}"> is not one of ${choices.join(', ')}.`));
  return fallback;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles a pattern of the given syntax; throws with the regular expression engine's message. */
export function compilePattern(source: string, syntax: PatternSyntax, ignoreCase: boolean): Matcher {
  if (syntax === 'ExactMatch') {
    const wanted = ignoreCase ? source.toLowerCase() : source;
    return { source, syntax, ignoreCase, exec: (input) => ((ignoreCase ? input.toLowerCase() : input) === wanted ? [input] : null) };
  }
  const regex =
    syntax === 'Wildcard'
      ? new RegExp(`^${source.split('*').map(escapeRegExp).join('(.*)')}$`, ignoreCase ? 'is' : 's')
      : new RegExp(source, ignoreCase ? 'i' : '');
  return {
    source,
    syntax,
    ignoreCase,
    exec: (input) => {
      const m = regex.exec(input);
      return m ? Array.from(m, (g) => g ?? '') : null;
    },
  };
}

const ACTIONS = ['Rewrite', 'Redirect', 'CustomResponse', 'AbortRequest', 'None'] as const;
const REDIRECT_TYPES = ['Permanent', 'Found', 'SeeOther', 'Temporary'] as const;
const SYNTAXES = ['ECMAScript', 'Wildcard', 'ExactMatch'] as const;
const MATCH_TYPES = ['Pattern', 'IsFile', 'IsDirectory'] as const;

function compileAt(ctx: ReadContext, node: { line: number; column: number }, source: string, syntax: PatternSyntax, ignoreCase: boolean, errors: ConfigIssue[], what: string): Matcher | undefined {
  try {
    return compilePattern(source, syntax, ignoreCase);
  } catch (error) {
    errors.push(issue(ctx, node, `${what} "${source}" is not a valid ${syntax} pattern: ${(error as Error).message}.`, 'Fix the regular expression (URL Rewrite uses ECMAScript syntax, as JavaScript does).'));
    return undefined;
  }
}

function isAbsoluteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

function readRule(ctx: ReadContext, el: XmlElement, errors: ConfigIssue[], unsupported: RewriteSection['unsupported']): RewriteRule | undefined {
  const before = errors.length;
  const nameAttr = attribute(el, 'name');
  if (!nameAttr || nameAttr.value.trim() === '') {
    errors.push(issue(ctx, el, '<rule> has no name.', 'Give every rule a unique name attribute.'));
    return undefined;
  }
  const name = nameAttr.value;
  const enabled = readBool(ctx, el, 'enabled', true, errors);
  const stopProcessing = readBool(ctx, el, 'stopProcessing', false, errors);
  const syntax = readChoice(ctx, el, 'patternSyntax', SYNTAXES, 'ECMAScript', errors);

  const matchEl = childrenNamed(el, 'match')[0];
  let match: Matcher | undefined;
  let negate = false;
  if (matchEl) {
    const urlAttr = attribute(matchEl, 'url');
    const ignoreCase = readBool(ctx, matchEl, 'ignoreCase', true, errors);
    negate = readBool(ctx, matchEl, 'negate', false, errors);
    match = compileAt(ctx, urlAttr ?? matchEl, urlAttr?.value ?? '', syntax, ignoreCase, errors, `Rule "${name}": <match url>`);
  } else {
    // A rule without <match> matches every URL (the Azure iisnode template's "StaticContent" rule relies on it).
    match = compilePattern(syntax === 'ECMAScript' ? '' : '*', syntax === 'ExactMatch' ? 'Wildcard' : syntax, true);
  }

  const conditionsEl = childrenNamed(el, 'conditions')[0];
  const conditions: RewriteCondition[] = [];
  let logicalGrouping: 'MatchAll' | 'MatchAny' = 'MatchAll';
  let trackAllCaptures = false;
  if (conditionsEl) {
    logicalGrouping = readChoice(ctx, conditionsEl, 'logicalGrouping', ['MatchAll', 'MatchAny'] as const, 'MatchAll', errors);
    trackAllCaptures = readBool(ctx, conditionsEl, 'trackAllCaptures', false, errors);
    for (const c of conditionsEl.children) {
      if (c.name === 'clear') continue;
      if (c.name !== 'add') {
        unsupported.push({ element: `conditions/${c.name}`, line: c.line });
        continue;
      }
      const input = attribute(c, 'input');
      if (!input) {
        errors.push(issue(ctx, c, `Rule "${name}": a condition has no input.`, 'For example input="{REQUEST_FILENAME}".'));
        continue;
      }
      const matchType = readChoice(ctx, c, 'matchType', MATCH_TYPES, 'Pattern', errors);
      const condNegate = readBool(ctx, c, 'negate', false, errors);
      const ignoreCase = readBool(ctx, c, 'ignoreCase', true, errors);
      const cond: RewriteCondition = { input: input.value, matchType, negate: condNegate, at: where(ctx, c) };
      if (matchType === 'Pattern') {
        const patternAttr = attribute(c, 'pattern');
        const matcher = compileAt(ctx, patternAttr ?? c, patternAttr?.value ?? '', syntax, ignoreCase, errors, `Rule "${name}": condition pattern`);
        if (matcher) cond.matcher = matcher;
      }
      conditions.push(cond);
    }
  }

  for (const c of el.children) {
    if (c.name === 'serverVariables') unsupported.push({ element: 'rule/serverVariables', line: c.line, detail: `rule "${name}" sets server variables` });
    else if (c.name !== 'match' && c.name !== 'conditions' && c.name !== 'action') unsupported.push({ element: `rule/${c.name}`, line: c.line });
  }

  const actionEl = childrenNamed(el, 'action')[0];
  let action: RewriteAction = { type: 'None' };
  if (actionEl) {
    const type = readChoice(ctx, actionEl, 'type', ACTIONS, 'None', errors);
    const url = attribute(actionEl, 'url')?.value ?? '';
    const appendQueryString = readBool(ctx, actionEl, 'appendQueryString', true, errors);
    if (type === 'Rewrite') {
      if (isAbsoluteUrl(url)) unsupported.push({ element: 'rule/action', line: actionEl.line, detail: `rule "${name}" rewrites to another server (reverse proxy through ARR)` });
      action = { type, url, appendQueryString };
    } else if (type === 'Redirect') {
      action = { type, url, appendQueryString, redirectType: readChoice(ctx, actionEl, 'redirectType', REDIRECT_TYPES, 'Permanent', errors) };
    } else if (type === 'CustomResponse') {
      const statusAttr = attribute(actionEl, 'statusCode');
      const status = statusAttr ? Number(statusAttr.value.trim()) : NaN;
      if (!statusAttr || !Number.isInteger(status) || status < 200 || status > 999) {
        errors.push(issue(ctx, statusAttr ?? actionEl, `Rule "${name}": a CustomResponse needs a statusCode from 200 to 999${statusAttr ? `, not "${statusAttr.value}"` : ''}.`, 'For example statusCode="403".'));
      }
      const subAttr = attribute(actionEl, 'subStatusCode');
      const sub = subAttr ? Number(subAttr.value.trim()) : 0;
      if (subAttr && (!Number.isInteger(sub) || sub < 0 || sub > 999)) errors.push(issue(ctx, subAttr, `Rule "${name}": subStatusCode "${subAttr.value}" is not a number from 0 to 999.`));
      action = {
        type,
        statusCode: Number.isInteger(status) ? status : 500,
        subStatusCode: Number.isInteger(sub) ? sub : 0,
        statusReason: printable(attribute(actionEl, 'statusReason')?.value ?? ''),
        statusDescription: attribute(actionEl, 'statusDescription')?.value ?? '',
      };
    } else {
      action = { type };
    }
  }
  if (errors.length > before || !match) return undefined;
  return { name, scope: ctx.scope, at: where(ctx, el), enabled, stopProcessing, match, negate, logicalGrouping, trackAllCaptures, conditions, action };
}

/** A reason phrase safe for a status line: printable ASCII only. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').trim();
}

/** Reads a `<rewrite>` element of a web.config (or of a `<location>` in it) whose scope is `scope`. */
export function readRewriteSection(el: XmlElement, file: string, scope: string): RewriteSection {
  const ctx: ReadContext = { file, scope };
  const section: RewriteSection = { rules: [], maps: [], errors: [], unsupported: [] };
  for (const child of el.children) {
    if (child.name === 'rules') {
      const names = new Set<string>();
      for (const r of child.children) {
        if (r.name === 'clear') section.rules.push({ op: 'clear', at: where(ctx, r) });
        else if (r.name === 'remove') section.rules.push({ op: 'remove', name: attribute(r, 'name')?.value ?? '', at: where(ctx, r) });
        else if (r.name === 'rule') {
          const rule = readRule(ctx, r, section.errors, section.unsupported);
          if (!rule) continue;
          if (names.has(rule.name.toLowerCase())) {
            section.errors.push(issue(ctx, r, `Two rules are named "${rule.name}".`, 'Rule names must be unique within <rules>.'));
            continue;
          }
          names.add(rule.name.toLowerCase());
          section.rules.push({ op: 'add', rule });
        } else section.unsupported.push({ element: `rules/${r.name}`, line: r.line });
      }
    } else if (child.name === 'rewriteMaps') {
      for (const m of child.children) {
        if (m.name !== 'rewriteMap') {
          if (m.name !== 'clear') section.unsupported.push({ element: `rewriteMaps/${m.name}`, line: m.line });
          continue;
        }
        const name = attribute(m, 'name')?.value ?? '';
        if (name === '') {
          section.errors.push(issue(ctx, m, '<rewriteMap> has no name.'));
          continue;
        }
        const ignoreCase = readBool(ctx, m, 'ignoreCase', true, section.errors);
        const entries = new Map<string, string>();
        for (const e of m.children) {
          if (e.name !== 'add') continue;
          const key = attribute(e, 'key')?.value ?? '';
          entries.set(ignoreCase ? key.toLowerCase() : key, attribute(e, 'value')?.value ?? '');
        }
        section.maps.push({ name, defaultValue: attribute(m, 'defaultValue')?.value ?? '', ignoreCase, entries, at: where(ctx, m) });
      }
    } else {
      section.unsupported.push({ element: `rewrite/${child.name}`, line: child.line, ...(child.name === 'outboundRules' ? { detail: 'outbound rules (response rewriting)' } : {}) });
    }
  }
  return section;
}

/**
 * The rules in effect, from rule operations of several layers, outermost first: `<clear/>` drops the rules gathered
 * so far, `<remove name>` drops one (names compare case-insensitively).
 */
export function effectiveRules(ops: readonly RuleOp[]): RewriteRule[] {
  let rules: RewriteRule[] = [];
  for (const op of ops) {
    if (op.op === 'clear') rules = [];
    else if (op.op === 'remove') rules = rules.filter((r) => r.name.toLowerCase() !== op.name.toLowerCase());
    else rules = [...rules.filter((r) => r.name.toLowerCase() !== op.rule.name.toLowerCase()), op.rule];
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------------------------
// Running the rules

export interface RewriteRequest {
  method: string;
  /** The request target exactly as received (path and query, percent-encoded), including the mount path. */
  target: string;
  /** Request headers with lower-case names (node's `req.headers` shape). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  https?: boolean;
  httpVersion?: string;
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
}

export interface RewriteContext {
  request: RewriteRequest;
  /** The site's mount path in normal form (`''` or `/a/b`). */
  mountPath: string;
  /** The site folder. */
  siteRoot: string;
  platform: Platform;
  probe: FileProbe;
  /** Rewrite maps by lower-case name. */
  maps: ReadonlyMap<string, RewriteMap>;
}

export type RewriteOutcome =
  /** Go on with this URL: `rel` is the decoded path below the mount (no leading slash), `query` the raw query. */
  | { kind: 'continue'; rel: string; query: string | undefined; rewritten: boolean; applied: string[] }
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307; location: string; rule: string }
  | { kind: 'custom'; status: number; subStatus: number; reason: string; description: string; rule: string }
  | { kind: 'abort'; rule: string }
  | { kind: 'not-found'; rule: string; reason: string }
  | { kind: 'error'; rule: string; issue: ConfigIssue };

interface State {
  rel: string;
  query: string | undefined;
}

function headerValue(headers: RewriteRequest['headers'], name: string): string {
  const v = headers[name];
  if (v === undefined) return '';
  return typeof v === 'string' ? v : v.join(', ');
}

function hostParts(ctx: RewriteContext): { name: string; port: string } {
  const host = headerValue(ctx.request.headers, 'host');
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  const secure = ctx.request.https === true;
  return { name: m?.[1] ?? host, port: m?.[2] ?? (ctx.request.localPort !== undefined ? String(ctx.request.localPort) : secure ? '443' : '80') };
}

/** The value of a server variable for the request in its current (possibly rewritten) state. Unknown ones are ''. */
export function serverVariable(name: string, ctx: RewriteContext, state: State): string {
  const upper = name.toUpperCase();
  const req = ctx.request;
  const url = `${ctx.mountPath}/${state.rel}`;
  const rawQuery = state.query ?? '';
  switch (upper) {
    case 'URL':
    case 'PATH_INFO':
    case 'SCRIPT_NAME':
      return url;
    case 'QUERY_STRING':
      return rawQuery;
    case 'REQUEST_URI':
    case 'UNENCODED_URL':
    case 'HTTP_URL':
      return req.target;
    case 'CACHE_URL': {
      const scheme = req.https ? 'https' : 'http';
      return `${scheme}://${headerValue(req.headers, 'host')}${url}${state.query !== undefined ? `?${rawQuery}` : ''}`;
    }
    case 'HTTPS':
      return req.https ? 'on' : 'off';
    case 'SERVER_PORT_SECURE':
      return req.https ? '1' : '0';
    case 'SERVER_PROTOCOL':
      return `HTTP/${req.httpVersion ?? '1.1'}`;
    case 'REQUEST_METHOD':
      return req.method.toUpperCase();
    case 'REMOTE_ADDR':
    case 'REMOTE_HOST':
      return req.remoteAddress ?? '';
    case 'REMOTE_PORT':
      return req.remotePort !== undefined ? String(req.remotePort) : '';
    case 'LOCAL_ADDR':
      return req.localAddress ?? '';
    case 'SERVER_NAME':
      return hostParts(ctx).name;
    case 'SERVER_PORT':
      return hostParts(ctx).port;
    case 'REQUEST_FILENAME':
      return requestFilename(ctx, state.rel) ?? '';
    case 'APPL_PHYSICAL_PATH': {
      const p = ctx.platform === 'win32' ? path.win32 : path.posix;
      return p.join(ctx.siteRoot, p.sep);
    }
  }
  if (upper.startsWith('HTTP_')) {
    const header = upper.slice(5).toLowerCase().replace(/_/g, '-');
    // A client-sent X-Original-URL is never trusted (iisnode's spoofing hazard); it reads as empty.
    if (header === 'x-original-url') return '';
    return headerValue(req.headers, header);
  }
  return '';
}

/** The file a site-relative URL path maps to (REQUEST_FILENAME), or undefined when it cannot name one. */
function requestFilename(ctx: RewriteContext, rel: string): string | undefined {
  return physicalPath(ctx.siteRoot, rel, ctx.platform);
}

interface Captures {
  r: string[];
  c: string[];
}

class ExpansionError extends Error {}

/** Finds the `}` closing the `{` at `open`, with nesting; -1 when unbalanced. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function urlDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function urlEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '';
  }
}

/**
 * Expands `{R:n}`, `{C:n}`, `{SERVER_VARIABLE}`, `{Function:...}` and `{MapName:...}` in a rule's text.
 * An unbalanced `{` is kept as written. Throws ExpansionError for a map that does not exist.
 */
export function expand(text: string, ctx: RewriteContext, state: State, captures: Captures): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    const close = closingBrace(text, open);
    if (close < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, open);
    const inner = text.slice(open + 1, close);
    const colon = inner.indexOf(':');
    if (colon < 0) out += serverVariable(inner.trim(), ctx, state);
    else {
      const name = inner.slice(0, colon).trim();
      const arg = inner.slice(colon + 1);
      const upper = name.toUpperCase();
      if ((upper === 'R' || upper === 'C') && /^\s*\d+\s*$/.test(arg)) {
        out += (upper === 'R' ? captures.r : captures.c)[Number(arg)] ?? '';
      } else {
        const value = expand(arg, ctx, state, captures);
        switch (upper) {
          case 'TOLOWER':
            out += value.toLowerCase();
            break;
          case 'URLENCODE':
          case 'ESCAPEDATASTRING':
            out += urlEncode(value);
            break;
          case 'URLDECODE':
            out += urlDecode(value);
            break;
          default: {
            const map = ctx.maps.get(name.toLowerCase());
            if (!map) throw new ExpansionError(`{${name}:...} names no function and no rewrite map`);
            out += map.entries.get(map.ignoreCase ? value.toLowerCase() : value) ?? map.defaultValue;
          }
        }
      }
    }
    i = close + 1;
  }
  return out;
}

/** Characters that may not appear raw in a Location header are percent-encoded (no header splitting). */
export function safeLocation(location: string): string {
  return location.replace(/[\u0000-\u0020\u007f-\uffff]/g, (c) => urlEncode(c));
}

function appendQuery(base: string | undefined, extra: string | undefined): string | undefined {
  if (base === undefined || base === '') return extra === undefined || extra === '' ? base : extra;
  if (extra === undefined || extra === '') return base;
  return `${base}&${extra}`;
}

function splitUrl(url: string): { path: string; query: string | undefined } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: undefined } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Where a Rewrite action's path leads, below the mount; undefined when it climbs out. */
function rewriteTarget(targetPath: string, rule: RewriteRule, ctx: RewriteContext): string | undefined {
  let rel: string;
  if (targetPath.startsWith('/')) {
    // Site-absolute. Under IIS that meant the web site's root; a Berth site is its mount, so a path that starts
    // with the mount is taken below it, and any other `/x` as `<mount>/x`.
    const lower = targetPath.toLowerCase();
    const mount = ctx.mountPath.toLowerCase();
    rel = mount !== '' && (lower === mount || lower.startsWith(`${mount}/`)) ? targetPath.slice(ctx.mountPath.length) : targetPath;
  } else rel = `/${joinRel(rule.scope, targetPath)}`;
  const normal = removeDotSegments(rel);
  return normal === undefined ? undefined : normal.slice(1);
}

async function probeInside(ctx: RewriteContext, target: string): Promise<FileKind> {
  const p = ctx.platform === 'win32' ? path.win32 : path.posix;
  if (target === '' || target.includes('\0')) return 'none';
  const abs = p.resolve(ctx.siteRoot, target);
  // Only the site folder is ever looked at: a condition cannot be used to learn about other files.
  if (!isWithin(ctx.siteRoot, abs, ctx.platform)) return 'none';
  try {
    return await ctx.probe(abs);
  } catch {
    return 'none';
  }
}

async function conditionsHold(rule: RewriteRule, ctx: RewriteContext, state: State, captures: Captures): Promise<boolean> {
  if (rule.conditions.length === 0) return true;
  const any = rule.logicalGrouping === 'MatchAny';
  const tracked: string[] = [];
  for (const cond of rule.conditions) {
    const input = expand(cond.input, ctx, state, captures);
    let holds: boolean;
    let groups: string[] | null = null;
    if (cond.matchType === 'Pattern') {
      groups = cond.matcher ? cond.matcher.exec(input) : null;
      holds = groups !== null;
    } else {
      const kind = await probeInside(ctx, input);
      holds = cond.matchType === 'IsFile' ? kind === 'file' : kind === 'directory';
    }
    if (cond.negate) holds = !holds;
    if (holds && groups && !cond.negate) {
      if (rule.trackAllCaptures) {
        tracked.push(...groups);
        captures.c = [...tracked];
      } else captures.c = groups;
    }
    if (any && holds) return true;
    if (!any && !holds) return false;
  }
  return !any;
}

function reasonFor(status: number): string {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 410: 'Gone', 500: 'Internal Server Error', 503: 'Service Unavailable' };
  return reasons[status] ?? 'Custom Response';
}

/**
 * Runs rules for one request. `start` is the request's decoded, normalized path below the mount (no leading slash)
 * and its raw query. Rules whose scope does not cover the current URL are passed over; a Rewrite without
 * stopProcessing hands its result to the following rules, as the URL Rewrite module did.
 */
export async function applyRewriteRules(rules: readonly RewriteRule[], start: State, ctx: RewriteContext): Promise<RewriteOutcome> {
  const state: State = { rel: start.rel, query: start.query };
  const applied: string[] = [];
  let rewritten = false;
  for (const rule of rules) {
    if (!rule.enabled || !scopeCovers(rule.scope, state.rel)) continue;
    const input = belowScope(rule.scope, state.rel);
    const groups = rule.match.exec(input);
    const matched = rule.negate ? groups === null : groups !== null;
    if (!matched) continue;
    const captures: Captures = { r: rule.negate ? [] : (groups ?? []), c: [] };
    let url: string;
    try {
      if (!(await conditionsHold(rule, ctx, state, captures))) continue;
      url = 'url' in rule.action ? expand(rule.action.url, ctx, state, captures) : '';
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      return {
        kind: 'error',
        rule: rule.name,
        issue: { severity: 'error', ...rule.at, message: `Rule "${rule.name}": ${error.message}.`, fix: 'Define the rewrite map in <rewriteMaps>, or fix the name.' },
      };
    }
    applied.push(rule.name);
    const action = rule.action;
    switch (action.type) {
      case 'Rewrite': {
        if (isAbsoluteUrl(url)) {
          return {
            kind: 'error',
            rule: rule.name,
            issue: { severity: 'error', ...rule.at, message: `Rule "${rule.name}" rewrites to another server (${url}), which needs IIS's Application Request Routing; Berth does not proxy to other servers.`, fix: 'Use a Redirect, or let the node app make that request.' },
          };
        }
        const target = splitUrl(url);
        const rel = rewriteTarget(target.path, rule, ctx);
        if (rel === undefined) return { kind: 'not-found', rule: rule.name, reason: `rule "${rule.name}" rewrites to ${url}, above the site's root` };
        state.rel = rel;
        state.query = action.appendQueryString ? appendQuery(target.query, state.query) : target.query;
        rewritten = true;
        break;
      }
      case 'Redirect': {
        const target = splitUrl(url);
        let location = target.path;
        if (!isAbsoluteUrl(location) && !location.startsWith('/')) location = `${ctx.mountPath}/${joinRel(rule.scope, location)}`;
        const query = action.appendQueryString ? appendQuery(target.query, state.query) : target.query;
        return { kind: 'redirect', status: REDIRECT_STATUS[action.redirectType], location: safeLocation(query !== undefined ? `${location}?${query}` : location), rule: rule.name };
      }
      case 'CustomResponse':
        return { kind: 'custom', status: action.statusCode, subStatus: action.subStatusCode, reason: action.statusReason || reasonFor(action.statusCode), description: action.statusDescription, rule: rule.name };
      case 'AbortRequest':
        return { kind: 'abort', rule: rule.name };
      case 'None':
        break;
    }
    if (rule.stopProcessing) break;
  }
  return { kind: 'continue', rel: state.rel, query: state.query, rewritten, applied };
}
