/**
 * `berth trust` / `berth untrust`: adds the local CA (the one behind Berth's HTTPS front, made at first use in the
 * Berth home) to this user's trusted roots, or removes it. Nothing is trusted silently: on Windows Berth runs certutil
 * on the current user's Root store (no admin rights), and Windows asks the user to confirm; on macOS and Linux Berth
 * prints the exact commands and the user runs them. `--print` only prints, on every system.
 */
import { readFile } from 'node:fs/promises';
import { defaultBerthHome } from '../home.js';
import { LocalCa } from '../tls/local-ca.js';
import { certutilArgs, describePlan, runCertutil, trustPlan } from '../tls/trust.js';

export interface TrustOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit codes as the other commands use them: 0 done, 1 failed, 2 wrong usage. */
export async function trust(action: 'trust' | 'untrust', args: string[], output: TrustOutput, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const printOnly = args.length === 1 && args[0] === '--print';
  if (args.length && !printOnly) {
    output.err(`berth ${action}: expected no arguments (or --print), not ${args.map((a) => `"${a}"`).join(' ')}.\n`);
    return 2;
  }
  const home = defaultBerthHome(env);
  let ca: LocalCa;
  try {
    ca = await LocalCa.open(home);
  } catch (error) {
    output.err(`berth ${action}: ${(error as Error).message}\n`);
    return 1;
  }
  const plan = trustPlan(process.platform, ca.certPath, await readFile(ca.certPath, 'utf8'));
  if (plan.canInstall && !printOnly) {
    output.out(`${action === 'trust' ? 'Adding' : 'Removing'} Berth's local CA (${ca.certPath}) ${action === 'trust' ? 'to' : 'from'} your Root certificate store; Windows asks you to confirm.\n`);
    const result = await runCertutil(certutilArgs(plan, action));
    if (result.code !== 0) {
      output.err(`berth ${action}: certutil failed (exit code ${result.code}):\n${result.output}\n`);
      return 1;
    }
    output.out(action === 'trust' ? 'Done: browsers trust https://<app>.localhost once restarted (Firefox: set security.enterprise_roots.enabled).\n' : 'Done.\n');
    return 0;
  }
  const verb = action === 'trust' ? 'trust' : 'stop trusting';
  output.out(`Berth's local CA is ${ca.certPath} (SHA-1 ${plan.thumbprint}).\nTo ${verb} it, run the commands for your system (Berth does not change trust stores on its own):\n${describePlan(plan, action)}`);
  return 0;
}
