/** Running the `berth` command line as a user would: a real child process, its whole output once it closes. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './paths.js';

export const BERTH_BIN = path.join(REPO, 'bin', 'berth.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth <args>` and resolves on 'close' (not 'exit': its stdio may still hold data, as seen under Wine). */
export function runBerth(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
