/**
 * The text of rules at request time: the request as the rules see it, server variables (`{HTTP_HOST}`,
 * `{REQUEST_FILENAME}` ...), back-references `{R:n}` and `{C:n}`, the functions ToLower, UrlEncode, UrlDecode and
 * EscapeDataString, and rewrite maps.
 */
import path from 'node:path';
import type { Platform } from '../platform/platform.js';
import { physicalPath } from './paths.js';
import type { FileProbe, RewriteMap } from './rewrite-rules.js';

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
/** The request's URL as the rules have left it so far. */
export interface RewriteState {
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
export function serverVariable(name: string, ctx: RewriteContext, state: RewriteState): string {
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

/** Back-references: `{R:n}` from the rule's match, `{C:n}` from its conditions. */
export interface Captures {
  r: string[];
  c: string[];
}

export class ExpansionError extends Error {}

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
export function expand(text: string, ctx: RewriteContext, state: RewriteState, captures: Captures): string {
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

