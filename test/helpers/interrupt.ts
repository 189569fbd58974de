import type { ChildProcess } from 'node:child_process';

/**
 * Ctrl+C in the console of a `berth serve` (or `logs -f`, `events -f`) started by a test. On Windows no console event can be sent to one child,
 * and kill('SIGINT') there is TerminateProcess (no graceful stop, workers left behind): the CLI's IPC stand-in asks
 * for the same graceful stop instead. Spawn the child with an 'ipc' entry in its stdio for that.
 */
export function interrupt(child: ChildProcess): void {
  if (process.platform === 'win32' && child.connected) child.send({ berth: 'interrupt' });
  else child.kill('SIGINT');
}
