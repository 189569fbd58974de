/**
 * The `env:` map of berth.yml: the app's own environment variables. Names are checked (portable, not one Berth sets),
 * values become strings (numbers and true/false as written). Problems name the file, line and variable, never the
 * value: a value may be a secret, and config errors reach events, history and logs.
 */
import { isMap, isScalar, type Node as YamlNode } from 'yaml';
import { ENV_KEY, ENV_MASK, envNameProblem, envValueText } from '../shared/env-vars.js';
import type { ConfigIssue } from './issues.js';

/** The variables read from a file, and the line each one is on. */
export interface EnvRead {
  env: Record<string, string>;
  envLines: Record<string, number>;
}

type At = (node: YamlNode | null | undefined) => { line: number; column: number };

const EXAMPLE = '`env:` then one indented `NAME: value` line per variable, for example\n  env:\n    API_URL: https://example.com';

/** Reads an `env:` value node into `into`; problems go to `errors`. */
export function readEnvMap(file: string, keyNode: YamlNode, valueNode: YamlNode | null, iisnodeDialect: boolean, at: At, into: EnvRead, errors: ConfigIssue[]): void {
  const where = { file, ...at(keyNode) };
  if (iisnodeDialect) {
    errors.push({
      severity: 'error',
      ...where,
      key: ENV_KEY,
      message: 'env (the app\'s environment variables) is read from berth.yml only, not from iisnode.yml.',
      fix: 'Rename iisnode.yml to berth.yml (Berth reads the same settings there) and keep env in it.',
    });
    return;
  }
  if (valueNode === null || (isScalar(valueNode) && (valueNode.value === null || valueNode.value === ''))) return; // `env:` with nothing under it
  if (!isMap(valueNode)) {
    errors.push({ severity: 'error', ...where, key: ENV_KEY, value: ENV_MASK, message: 'env must be a map of variable names to values.', fix: `Write ${EXAMPLE}` });
    return;
  }
  const seen = new Map<string, string>();
  for (const pair of valueNode.items) {
    const nameNode = isScalar(pair.key) ? pair.key : undefined;
    const name = nameNode && nameNode.value !== null ? String(nameNode.value).trim() : '';
    const at2 = { file, ...at((pair.key ?? pair.value) as YamlNode) };
    const key = `${ENV_KEY}.${name}`;
    const nameProblem = envNameProblem(name);
    if (nameProblem) {
      errors.push({ severity: 'error', ...at2, key, value: ENV_MASK, message: `env: ${nameProblem.problem}.`, fix: nameProblem.fix });
      continue;
    }
    const other = seen.get(name.toUpperCase());
    if (other !== undefined) {
      errors.push({
        severity: 'error',
        ...at2,
        key,
        value: ENV_MASK,
        message: `env: ${name} is given twice (${other === name ? 'also' : `as ${other}`} on line ${into.envLines[other]}; Windows does not tell names apart by case).`,
        fix: 'Keep one of the two lines.',
      });
      continue;
    }
    const value = pair.value as YamlNode | null;
    const scalar = value === null ? undefined : isScalar(value) ? value : undefined;
    const text = value === null ? '' : scalar ? envValueText(scalar.value, scalar.type === 'PLAIN' ? scalar.source : undefined) : undefined;
    if (text === undefined) {
      const kind = isMap(value) ? 'a map' : 'a list';
      errors.push({
        severity: 'error',
        ...at2,
        key,
        value: kind,
        message: `env: ${name} is ${kind}; an environment variable holds one text value.`,
        fix: `Write it on one line (\`${name}: value\`), quoted if it contains special characters; for structured data, put JSON in quotes.`,
      });
      continue;
    }
    seen.set(name.toUpperCase(), name);
    into.env[name] = text;
    into.envLines[name] = at2.line;
  }
}
