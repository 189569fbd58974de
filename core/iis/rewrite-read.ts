/**
 * Reading URL Rewrite's `<rewrite>` section of a web.config (or of a `<location>` in it): rules with their match,
 * conditions and action, rewrite maps, and what Berth does not support; every problem with file, line and column.
 */
import type { ConfigIssue } from '../config/load.js';
import type { Where } from './iisnode-settings.js';
import {
  compilePattern,
  isAbsoluteUrl,
  type Matcher,
  type PatternSyntax,
  type RewriteAction,
  type RewriteCondition,
  type RewriteRule,
  type RewriteSection,
  type RuleOp,
} from './rewrite-rules.js';
import { attribute, childrenNamed, type XmlElement } from './xml.js';

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
