/**
 * Killing a worker and everything it started, at once: its process group outside Windows, `taskkill /T /F` on
 * Windows. A kill can fail (taskkill refused, a tree it cannot walk): then the worker itself is ended at least
 * (TerminateProcess), and what was tried is reported for a stop that still times out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { treeKillPlan, type Platform } from '../platform/platform.js';

export interface TreeKillTarget {
  platform: Platform;
  pid: number;
  /** The program that kills a process tree on Windows (tests act out its failures). */
  taskkill?: readonly string[];
  child: ChildProcess | undefined;
  /** Whether the worker has exited meanwhile (then there is nothing to fall back on). */
  exited(): boolean;
  /** What the failed kill reported (the program, its exit or error, its message). */
  report(text: string): void;
}

export function killTree(target: TreeKillTarget): void {
  const plan = treeKillPlan(target.platform, target.pid, target.taskkill);
  if ('signalGroup' in plan) {
    try {
      process.kill(-plan.signalGroup, 'SIGKILL');
    } catch {
      target.child?.kill('SIGKILL');
    }
    return;
  }
  // taskkill can run and fail (access denied, a tree it cannot walk): then end the worker itself at least
  // (TerminateProcess); whatever it started may survive, and a stop that still times out says so.
  const killer = spawn(plan.command, plan.args, { stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
  let message = '';
  killer.stderr?.on('data', (chunk: Buffer) => (message += chunk.toString('utf8')));
  const fallBack = (why: string) => {
    target.report(`${plan.command} ${why}${message.trim() ? `: ${message.trim()}` : ''}`);
    if (!target.exited()) target.child?.kill('SIGKILL');
  };
  killer.on('error', (error) => fallBack(`could not run (${error.message})`));
  killer.on('close', (code) => {
    if (code !== 0) fallBack(`failed (exit code ${code})`);
  });
}
