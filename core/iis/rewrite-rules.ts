/**
 * URL Rewrite's rules as Berth holds them once read from web.config: rules, conditions, actions, maps, the rule
 * operations of a section (`<clear/>`, `<remove>`, add), and compiled patterns (ECMAScript, Wildcard, ExactMatch).
 */
import type { ConfigIssue } from '../config/load.js';
import type { Where } from './iisnode-settings.js';

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

export function isAbsoluteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}
