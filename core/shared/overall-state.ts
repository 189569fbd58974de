/**
 * One word for all apps, shared by the tray icon and the window (types-free, so the renderer can import it): failed
 * wins over starting, starting over running. A sleeping app (onDemand, or stopped after idleTimeout) is calm: it
 * serves at its next request, so it counts as running.
 */
export type OverallState = 'empty' | 'running' | 'starting' | 'failed' | 'stopped';

export function overallState(apps: readonly { state: string }[]): OverallState {
  if (!apps.length) return 'empty';
  if (apps.some((a) => a.state === 'errored' || a.state === 'missing')) return 'failed';
  if (apps.some((a) => a.state === 'starting' || a.state === 'stopping')) return 'starting';
  if (apps.some((a) => a.state === 'running' || a.state === 'sleeping')) return 'running';
  return 'stopped';
}

export const STATE_WORDS: Record<string, string> = {
  running: 'Running',
  starting: 'Starting',
  stopping: 'Stopping',
  stopped: 'Stopped',
  sleeping: 'Sleeping',
  errored: 'Errored',
  missing: 'Folder missing',
};
