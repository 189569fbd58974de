/**
 * URL Rewrite (`<system.webServer><rewrite>`), as the IIS URL Rewrite module applied it in front of iisnode: the rules
 * (rewrite-rules.ts), reading them from web.config (rewrite-read.ts), the text of rules at request time
 * (rewrite-variables.ts), and here the pure engine that runs them for one request.
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
import { belowScope, isWithin, joinRel, removeDotSegments, scopeCovers } from './paths.js';
import { isAbsoluteUrl, REDIRECT_STATUS, type FileKind, type RewriteRule } from './rewrite-rules.js';
import { ExpansionError, expand, safeLocation, type Captures, type RewriteContext, type RewriteState } from './rewrite-variables.js';

export * from './rewrite-rules.js';
export { effectiveRules, readRewriteSection } from './rewrite-read.js';
export { expand, safeLocation, serverVariable, type RewriteContext, type RewriteRequest, type RewriteState } from './rewrite-variables.js';


export type RewriteOutcome =
  /** Go on with this URL: `rel` is the decoded path below the mount (no leading slash), `query` the raw query. */
  | { kind: 'continue'; rel: string; query: string | undefined; rewritten: boolean; applied: string[] }
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307; location: string; rule: string }
  | { kind: 'custom'; status: number; subStatus: number; reason: string; description: string; rule: string }
  | { kind: 'abort'; rule: string }
  | { kind: 'not-found'; rule: string; reason: string }
  | { kind: 'error'; rule: string; issue: ConfigIssue };

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

async function conditionsHold(rule: RewriteRule, ctx: RewriteContext, state: RewriteState, captures: Captures): Promise<boolean> {
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
export async function applyRewriteRules(rules: readonly RewriteRule[], start: RewriteState, ctx: RewriteContext): Promise<RewriteOutcome> {
  const state: RewriteState = { rel: start.rel, query: start.query };
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
