/**
 * Writing berth.yml's `env:` map (the app's environment variables) for the settings writer: checking a patch
 * (name → value, null removes), applying it to the YAML document where the variables stand, and reporting changes
 * with the values masked: a value may be a secret, and changes become events, history and API answers.
 */
import { isMap, isScalar, type Document, type Pair, type YAMLMap } from 'yaml';
import { ENV_KEY, ENV_MASK, envNameProblem, envValueText } from '../shared/env-vars.js';
import type { SettingChange } from './protocol.js';

/** One variable to set (a string) or remove (null). */
export interface PlannedEnvChange {
  name: string;
  value: string | null;
}

export type EnvErrorFactory = (message: string, details: Record<string, unknown>) => Error;

/** Checks an env patch: valid names Berth does not own, one text value each (numbers and true/false as text). */
export function planEnvChanges(patch: Record<string, unknown>, fail: EnvErrorFactory): PlannedEnvChange[] {
  const planned: PlannedEnvChange[] = [];
  const seen = new Map<string, string>();
  for (const [given, value] of Object.entries(patch)) {
    const name = given.trim();
    const problem = envNameProblem(name);
    if (problem) throw fail(`env: ${problem.problem}. ${problem.fix}`, { setting: ENV_KEY, variable: given });
    const other = seen.get(name.toUpperCase());
    if (other !== undefined) throw fail(`env: ${other} and ${name} are the same variable on Windows (names ignore case there); give it once.`, { setting: ENV_KEY, variable: name });
    seen.set(name.toUpperCase(), name);
    if (value === null) {
      planned.push({ name, value: null });
      continue;
    }
    const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? envValueText(value) : undefined;
    if (text === undefined) {
      throw fail(`env: ${name} must be one text value (or null to remove it), not ${Array.isArray(value) ? 'a list' : typeof value}.`, { setting: ENV_KEY, variable: name });
    }
    planned.push({ name, value: text });
  }
  return planned;
}

/** Applies the planned changes to the document's root map; returns the changes that change something, masked. */
export function applyEnvChanges(doc: Document, root: YAMLMap<unknown, unknown>, planned: readonly PlannedEnvChange[], removePair: (map: YAMLMap<unknown, unknown>, pair: Pair<unknown, unknown>) => void): SettingChange[] {
  if (!planned.length) return [];
  let envPair = root.items.find((pair) => isScalar(pair.key) && String(pair.key.value).trim().toLowerCase() === ENV_KEY);
  if (envPair && !isMap(envPair.value)) envPair.value = doc.createNode({});
  if (!envPair) {
    if (planned.every((c) => c.value === null)) return [];
    envPair = doc.createPair(ENV_KEY, {}) as Pair<unknown, unknown>;
    root.add(envPair);
  }
  const env = envPair.value as YAMLMap<unknown, unknown>;
  const changes: SettingChange[] = [];
  for (const change of planned) {
    const upper = change.name.toUpperCase();
    const same = env.items.filter((pair) => isScalar(pair.key) && String(pair.key.value).trim().toUpperCase() === upper);
    const current = same[0] ? currentText(same[0]) : null;
    const exact = same.length === 1 && isScalar(same[0]!.key) && String(same[0]!.key.value).trim() === change.name;
    if (change.value === current && exact) continue; // already so: the line stays as written
    if (change.value === null) {
      if (!same.length) continue;
      for (const pair of same) removePair(env, pair);
    } else if (same.length) {
      for (const pair of same.slice(1)) removePair(env, pair);
      const pair = same[0]!;
      (pair.key as { value: unknown }).value = change.name;
      if (isScalar(pair.value)) {
        // Changed in place, so a comment after the value stays; the writer picks the quoting for the new text.
        pair.value.value = change.value;
        delete pair.value.type;
        delete pair.value.format;
      } else pair.value = doc.createNode(change.value);
    } else {
      env.add(doc.createPair(change.name, change.value));
    }
    changes.push({ setting: `${ENV_KEY}.${change.name}`, key: `${ENV_KEY}.${change.name}`, from: same.length ? ENV_MASK : null, to: change.value === null ? null : ENV_MASK, secret: true });
  }
  if (env.items.length === 0) removePair(root, envPair);
  return changes;
}

function currentText(pair: Pair<unknown, unknown>): string | null {
  if (pair.value === null) return '';
  if (!isScalar(pair.value)) return null;
  return envValueText(pair.value.value, pair.value.type === 'PLAIN' ? pair.value.source : undefined) ?? null;
}

/** Whether the file as loaded reads every planned variable as intended (undefined) or what it reads instead. */
export function envMismatch(loaded: Record<string, string>, planned: readonly PlannedEnvChange[]): string | undefined {
  for (const change of planned) {
    const read = loaded[change.name];
    if (change.value === null ? read !== undefined : read !== change.value) return `env.${change.name} would read ${read === undefined ? 'as not set' : 'differently'}`;
  }
  return undefined;
}
