/** `berth doctor [--json] [--port <port>]`: checks this machine for Berth (core/doctor/checks.ts) and prints each result. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runChecks, type CheckResult } from '../doctor/checks.js';
import { defaultBerthHome } from '../home.js';

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The package folder: dist/core/cli → three levels up. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warning: 'warn', problem: 'FAIL' };

export function formatResults(results: readonly CheckResult[]): string {
  const lines = results.map((r) => `${MARK[r.status]}  ${r.title}: ${r.detail}\n${r.fix ? `      fix: ${r.fix}\n` : ''}`);
  const problems = results.filter((r) => r.status === 'problem').length;
  const warnings = results.filter((r) => r.status === 'warning').length;
  const summary = problems ? `${problems} problem(s) to fix${warnings ? `, ${warnings} warning(s)` : ''}.` : warnings ? `No problems; ${warnings} warning(s).` : 'Everything Berth needs is in place.';
  return `${lines.join('')}\n${summary}\n`;
}

/** Exit code 0 when no check found a problem (warnings do not fail), 1 otherwise, 2 on wrong usage. */
export async function doctor(args: string[], output: Output): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' }, port: { type: 'string' } }, strict: true }));
  } catch (error) {
    output.err(`berth doctor: ${(error as Error).message}\n`);
    return 2;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    output.err(`berth doctor: --port must be a port number from 1 to 65535, not "${values.port}".\n`);
    return 2;
  }
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  const results = await runChecks({
    home: defaultBerthHome(),
    port,
    platform: process.platform,
    env: process.env,
    nodeVersion: process.versions.node,
    minimumNode: pkg.engines?.node ?? '>=22.12',
    packageRoot: PACKAGE_ROOT,
  });
  const failed = results.some((r) => r.status === 'problem');
  if (values.json) output.out(`${JSON.stringify({ ok: !failed, checks: results }, null, 2)}\n`);
  else output.out(formatResults(results));
  return failed ? 1 : 0;
}
