import { INFINITE, type SettingDef, type UintSetting } from './schema.js';

/** The result of turning one raw value (from YAML or an environment variable) into a setting's value. */
export type Coerced = { ok: true; value: number | boolean | string } | { ok: false; problem: string; expected: string };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function describeExpected(def: SettingDef): string {
  switch (def.kind) {
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${def.values.join(', ')}`;
    case 'string':
      return def.expected ?? 'a text value';
    case 'uint':
      return describeUint(def);
  }
}

function describeUint(def: UintSetting): string {
  const min = def.min ?? 0;
  const range = def.max !== undefined ? `from ${min} to ${def.max}` : `of at least ${min}`;
  const unit = def.unit ? ` (${def.unit})` : '';
  return `a whole number ${range}${unit}${def.allowInfinite ? ', or infinite' : ''}`;
}

/**
 * Coerces a raw value. YAML gives numbers and booleans already typed; environment variables give strings.
 * Never turns garbage into 0 (iisnode's `atol` did, and 0 processes meant "one per CPU").
 */
export function coerce(def: SettingDef, raw: unknown): Coerced {
  const expected = describeExpected(def);
  const fail = (problem: string): Coerced => ({ ok: false, problem, expected });
  switch (def.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 1 || raw === 0) return { ok: true, value: raw === 1 };
      if (typeof raw === 'string') {
        const word = raw.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return { ok: true, value: true };
        if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      }
      return fail('is not true or false');
    }
    case 'uint': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) n = Number(raw.trim());
      else if (typeof raw === 'string' && def.allowInfinite && raw.trim().toLowerCase() === 'infinite') n = INFINITE;
      else return fail(typeof raw === 'string' && /^\s*-/.test(raw) ? 'is negative' : 'is not a whole number');
      if (!Number.isInteger(n)) return fail('is not a whole number');
      if (n < 0) return fail('is negative');
      if (n > INFINITE) return fail('is too large');
      if (def.min !== undefined && n < def.min) return fail(`is below ${def.min}`);
      if (def.max !== undefined && n > def.max && !(def.allowInfinite && n === INFINITE)) return fail(`is above ${def.max}`);
      return { ok: true, value: n };
    }
    case 'enum': {
      const value = typeof raw === 'string' ? def.values.find((v) => v.toLowerCase() === raw.trim().toLowerCase()) : undefined;
      return value === undefined ? fail('is not an allowed value') : { ok: true, value };
    }
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return fail('is not a text value');
      const value = String(raw);
      const problem = value === '' || !def.check ? undefined : def.check(value);
      return problem ? fail(problem) : { ok: true, value };
    }
  }
}

/**
 * Expands `%NAME%` references from the environment, as IIS did for "expanded" attributes. Unknown names stay as
 * written. Names are matched case-insensitively, as on Windows.
 */
export function expandPercentVars(value: string, env: NodeJS.ProcessEnv): string {
  if (!value.includes('%')) return value;
  let byUpper: Map<string, string> | undefined;
  return value.replace(/%([^%\s]+)%/g, (whole, name: string) => {
    const direct = env[name];
    if (direct !== undefined) return direct;
    byUpper ??= new Map(Object.entries(env).map(([k, v]) => [k.toUpperCase(), v ?? '']));
    return byUpper.get(name.toUpperCase()) ?? whole;
  });
}

/** Edit distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The closest known name, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  const allowed = Math.max(2, Math.floor(lower.length / 4));
  return bestDistance <= allowed ? best : undefined;
}
