/**
 * What every remote command shares (remote.ts, events-command.ts): exit codes, the error that carries one, where
 * output goes, argument parsing that finds usage errors before looking for an engine, and the command's shape.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { NodeControlClient as ControlClient } from '../control/client.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, noEngine: 3 } as const;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

type Values = Record<string, string | boolean | string[] | undefined>;

export function parse(command: string, args: string[], options: ParseArgsConfig['options'], positionals: [min: number, max: number, names: string]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(EXIT.usage, `berth ${command}: ${(error as Error).message}`);
  }
  const [min, max, names] = positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new CliError(EXIT.usage, `berth ${command}: expected ${names}${parsed.positionals.length > max ? `, not ${parsed.positionals.slice(max).map((p) => `"${p}"`).join(' ')} as well` : ''}.`);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/** A command: parses its arguments first (usage errors need no engine), then connects. */
export type Command = (connect: () => Promise<ControlClient>, args: string[], output: Output) => Promise<number>;
