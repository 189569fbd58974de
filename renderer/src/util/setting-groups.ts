/**
 * How the settings form groups the engine's settings (a presentation choice only: the engine's schema defines the
 * settings themselves). A setting the UI does not know yet lands in "Other", so a new engine setting still shows.
 */
export const SETTING_GROUPS: { title: string; names: string[] }[] = [
  {
    title: 'Processes',
    names: ['entry', 'hostname', 'nodeProcessCountPerApplication', 'nodeProcessCommandLine', 'node_env', 'loadBalancing', 'nodeProcessStickySessions', 'maxConcurrentRequestsPerProcess', 'gracefulShutdownTimeout', 'maxMemoryPerProcessInMB', 'unresponsiveTimeout', 'requestTimeout'],
  },
  { title: 'Recycling on file changes', names: ['watchedFiles', 'uncFileChangesPollingInterval', 'recycleSignalEnabled'] },
  { title: 'Logs', names: ['loggingEnabled', 'logDirectory', 'maxLogFileSizeInKB', 'maxTotalLogFileSizeInKB', 'maxLogFiles', 'logRetentionDays', 'logsForRemote'] },
  { title: 'Debugging and errors', names: ['debuggingEnabled', 'debuggerPortRange', 'debuggerPathSegment', 'debugHeaderEnabled', 'devErrorsEnabled', 'devErrorsForRemote'] },
  {
    title: 'Requests and connections',
    names: ['enableXFF', 'promoteServerVars', 'maxNamedPipeConnectionRetry', 'namedPipeConnectionRetryDelay', 'maxNamedPipeConnectionPoolSize', 'maxNamedPipePooledConnectionAge', 'initialRequestBufferSize', 'maxRequestBufferSize', 'flushResponse'],
  },
];

export function groupSettings<T extends { name: string }>(settings: readonly T[]): { title: string; settings: T[] }[] {
  const byName = new Map(settings.map((s) => [s.name, s]));
  const used = new Set<string>();
  const groups: { title: string; settings: T[] }[] = [];
  for (const group of SETTING_GROUPS) {
    const list = group.names.map((n) => byName.get(n)).filter((s): s is T => s !== undefined);
    list.forEach((s) => used.add(s.name));
    if (list.length) groups.push({ title: group.title, settings: list });
  }
  const rest = settings.filter((s) => !used.has(s.name));
  if (rest.length) groups.push({ title: 'Other (mostly kept for iisnode compatibility)', settings: rest });
  return groups;
}
