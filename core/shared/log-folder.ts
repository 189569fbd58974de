/**
 * Where an app's log files are (pure, no Node imports: the window uses it too): `logDirectory`, relative to the
 * entry script's folder unless absolute (default `iisnode`, as iisnode had it).
 */
export interface LogFolderFacts {
  /** The app's folder. */
  folder: string;
  /** The entry script's full path, when known. */
  entry: string | null;
  /** The logDirectory setting's value, when known. */
  logDirectory: string | undefined;
}

export function isAbsolutePath(p: string): boolean {
  return /^([a-zA-Z]:[\\/]|[\\/])/.test(p);
}

export function logFolder(facts: LogFolderFacts): string {
  const dir = facts.logDirectory?.trim() || 'iisnode';
  if (isAbsolutePath(dir)) return dir;
  const base = facts.entry ? facts.entry.replace(/[\\/][^\\/]*$/, '') : facts.folder;
  const sep = base.includes('\\') && !base.includes('/') ? '\\' : '/';
  return `${base.replace(/[\\/]+$/, '')}${sep}${dir.replace(/[\\/]/g, sep)}`;
}

/** The log folder's address on the app's own host (the engine serves it to local callers). */
export function logUrl(appUrl: string, logDirectory: string | undefined): string {
  const dir = logDirectory?.trim() && !isAbsolutePath(logDirectory.trim()) ? logDirectory.trim() : 'iisnode';
  return `${appUrl.replace(/\/$/, '')}/${dir.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '')}/`;
}
