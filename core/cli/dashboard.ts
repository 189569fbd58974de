/**
 * `berth dashboard`: the address of the running engine's web dashboard (the desktop app's UI, served by the engine on
 * its control API's port). The address carries the control API's token in its fragment, so it is printed only when
 * asked for, like the token file it comes from, and never by `berth serve` itself.
 */
import { findEngine } from '../control/discovery.js';
import { readToken } from '../control/token.js';
import { defaultBerthHome, homeFile } from '../home.js';
import { dashboardUrl } from '../ui/dashboard.js';

export interface DashboardOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit codes as the other commands use them: 0 done, 1 failed, 2 wrong usage, 3 no engine running. */
export async function dashboard(args: string[], output: DashboardOutput, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.length) {
    output.err(`berth dashboard: expected no arguments, not ${args.map((a) => `"${a}"`).join(' ')}.\n`);
    return 2;
  }
  const home = defaultBerthHome(env);
  const lookup = await findEngine(home);
  if (lookup.state !== 'running') {
    output.err(`No Berth engine is running (none is registered in ${home}). Start one with \`npx berth serve\`.\n`);
    return 3;
  }
  const token = await readToken(home);
  if (!token) {
    output.err(`The engine's token file ${homeFile(home, 'token')} is missing. Restart the engine (it writes a new one).\n`);
    return 1;
  }
  output.out(`${dashboardUrl(lookup.discovery.url, token)}\n`);
  output.err('Open it in a browser on this computer. The address holds the control API\'s token: keep it to yourself.\n');
  return 0;
}
