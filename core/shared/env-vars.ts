/**
 * Per-app environment variables (`env:` in berth.yml): which names an app may set, how values are read, and how a
 * value is shown anywhere outside the file (never: a mask). Browser-safe: the config loader, the settings writer,
 * the control API's views and the window's settings form all use these rules, so they agree.
 */

/** What every view shows instead of a variable's value (events, history, API answers, the CLI, the window). */
export const ENV_MASK = '••••';

/** The key in berth.yml. */
export const ENV_KEY = 'env';

/** A portable variable name: letters, digits and `_`, not starting with a digit. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names Berth sets for every worker (exact, compared case-insensitively as on Windows), and why. */
const OWNED: Readonly<Record<string, { why: string; fix: string }>> = {
  PORT: {
    why: "PORT is set by Berth: it is each worker's pipe (or port) that Berth sends requests to",
    fix: 'Remove it; the app must listen on process.env.PORT as Berth gives it (set `portMode: tcp` if the app needs a port number).',
  },
  NODE_EXTRA_CA_CERTS: {
    why: "NODE_EXTRA_CA_CERTS is set by Berth so the app trusts Berth's local HTTPS certificates",
    fix: 'Remove it and set NODE_EXTRA_CA_CERTS in the environment Berth runs in instead: Berth passes your certificates on together with its own.',
  },
};

/** Prefixes Berth keeps for itself: BERTH_* and IISNODE_* configure Berth and are set by it for the workers. */
const OWNED_PREFIXES = ['BERTH_', 'IISNODE_'];

export interface EnvNameProblem {
  /** Says what is wrong, naming the variable (no value). */
  problem: string;
  fix: string;
}

/** Why `name` cannot be one of an app's variables, or undefined when it can. */
export function envNameProblem(name: string): EnvNameProblem | undefined {
  if (name === '') return { problem: 'a variable has no name', fix: 'Write the variable name before the colon, for example `API_URL: https://example.com`.' };
  if (!NAME.test(name)) {
    return {
      problem: `"${name}" is not a valid environment variable name`,
      fix: 'Use letters, digits and _ only, not starting with a digit (for example API_URL).',
    };
  }
  const upper = name.toUpperCase();
  const owned = OWNED[upper];
  if (owned) return { problem: `${name}: ${owned.why}`, fix: owned.fix };
  const prefix = OWNED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) {
    return {
      problem: `${name}: names starting with ${prefix} are Berth's own (BERTH_* and IISNODE_* variables configure Berth and its workers)`,
      fix: 'Use another name; to change a Berth setting, set the setting itself in berth.yml.',
    };
  }
  return undefined;
}

/**
 * A variable's value as a string: text as it is, numbers and true/false as written (`0123` stays `0123` when the
 * caller passes the source text), no value as empty. Undefined for a list or a map, which a variable cannot hold.
 */
export function envValueText(raw: unknown, sourceText?: string): string | undefined {
  if (raw === null || raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return sourceText !== undefined && sourceText !== '' ? sourceText : String(raw);
  return undefined;
}
