/** How a worker is launched: its command and its environment. Pure functions, tested with the platform injected. */
import type { Platform } from '../platform/platform.js';
import { splitCommandLine } from '../platform/platform.js';
import type { Settings } from '../config/schema.js';
import { BERTH_VERSION, IISNODE_COMPAT_VERSION } from '../version.js';

/**
 * Program and leading arguments from `nodeProcessCommandLine`. iisnode's default `node.exe` is accepted on every
 * platform (it means `node` outside Windows), so a file copied from an iisnode site still works.
 */
export function workerCommand(commandLine: string, platform: Platform): string[] {
  const parts = splitCommandLine(commandLine.trim());
  if (!parts.length) return ['node'];
  if (platform !== 'win32' && parts[0]!.toLowerCase() === 'node.exe') parts[0] = 'node';
  return parts;
}

/** Windows environment names are case-insensitive: drop every spelling of `name` before setting it. */
function setVariable(env: NodeJS.ProcessEnv, name: string, value: string, platform: Platform): void {
  if (platform === 'win32') {
    for (const key of Object.keys(env)) if (key.toUpperCase() === name.toUpperCase()) delete env[key];
  }
  env[name] = value;
}

function hasVariable(env: NodeJS.ProcessEnv, name: string, platform: Platform): boolean {
  if (platform !== 'win32') return env[name] !== undefined;
  return Object.keys(env).some((k) => k.toUpperCase() === name.toUpperCase());
}

/**
 * A worker's environment: the inherited one, then the app's own variables (berth.yml's `env:`, over any spelling of
 * the same name), then Berth's own and the variables iisnode gave its node processes. Unlike iisnode, the values
 * Berth sets win over inherited ones (a machine-wide PORT or NODE_ENV broke iisnode apps).
 */
export function workerEnvironment(
  base: NodeJS.ProcessEnv,
  settings: Settings,
  endpoint: string,
  platform: Platform,
  appEnv: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [name, value] of Object.entries(appEnv)) setVariable(env, name, value, platform);
  setVariable(env, 'PORT', endpoint, platform);
  setVariable(env, 'IISNODE_VERSION', IISNODE_COMPAT_VERSION, platform);
  setVariable(env, 'BERTH_VERSION', BERTH_VERSION, platform);
  // Read by the bootstrap (listen-redirect.cts): whether the app's own listen() may be bound to PORT.
  setVariable(env, 'BERTH_REDIRECT_LISTEN', settings.redirectListen ? '1' : '0', platform);
  // node's default backlog of 4 pending pipe instances made iisnode answer "pipe busy" under load.
  if (!hasVariable(env, 'NODE_PENDING_PIPE_INSTANCES', platform)) setVariable(env, 'NODE_PENDING_PIPE_INSTANCES', '5000', platform);
  if (settings.node_env && settings.node_env !== '%node_env%') setVariable(env, 'NODE_ENV', settings.node_env, platform);
  if (settings.loggingEnabled) {
    setVariable(env, 'IISNODE_LOGGINGENABLED', '1', platform);
    setVariable(env, 'IISNODE_LOGDIRECTORY', settings.logDirectory, platform);
    setVariable(env, 'IISNODE_MAXLOGFILESIZEINKB', String(settings.maxLogFileSizeInKB), platform);
    setVariable(env, 'IISNODE_MAXTOTALLOGFILESIZEINKB', String(settings.maxTotalLogFileSizeInKB), platform);
    setVariable(env, 'IISNODE_MAXLOGFILES', String(settings.maxLogFiles), platform);
  }
  return env;
}

/** Why a worker could not be spawned, with the fix when it is a known one (node not found, not executable). */
export function describeSpawnError(error: unknown, program: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `"${program}" was not found. Install Node.js, or set nodeProcessCommandLine to the full path of node.`;
  if (code === 'EACCES') return `"${program}" cannot be executed (permission denied).`;
  return `"${program}" could not be started: ${(error as Error).message}`;
}
