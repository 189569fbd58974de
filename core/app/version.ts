/**
 * Reading one version of an app: its configuration (berth.yml / iisnode.yml, environment, a web.config's settings)
 * and its entry script, or the problem that keeps it from starting.
 */
import path from 'node:path';
import { ConfigError, formatIssue, loadConfig, type ConfigIssue, type LoadedConfig } from '../config/load.js';
import { overlayWebConfig, type WebConfigSettings } from '../iis/index.js';
import { detectEntry, EntryError } from './entry.js';
import type { AppVersion } from './generation.js';

/** Why an app cannot serve: shown in the CLI, the UI and on its error pages. */
export interface AppProblem {
  title: string;
  detail: string;
  stderr?: string;
  issues?: ConfigIssue[];
}

/** What a web.config site says about one of its script apps. */
export interface AppOptions {
  /** The entry script (absolute), from a web.config handler: no entry detection. */
  script?: string;
  /** web.config's <iisnode> settings: they sit under berth.yml/iisnode.yml and the environment. */
  webConfig?: WebConfigSettings;
  /** web.config's <appSettings>: environment variables for the workers. */
  extraEnv?: Record<string, string>;
  /** The script's URL path (e.g. /node/hello.js), for iisnode's debugger URL under it. */
  urlPath?: string;
}

/** Reads the configuration and finds the entry. Configuration warnings go to `warn` (the version still starts). */
export async function readAppVersion(
  folder: string,
  options: AppOptions,
  env: NodeJS.ProcessEnv,
  warn: (warnings: string[]) => void,
): Promise<AppVersion | AppProblem> {
  let config: LoadedConfig;
  try {
    config = await loadConfig(folder, { env });
    if (options.webConfig) config = overlayWebConfig(config, options.webConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const file = error.issues.find((i) => i.file)?.file;
    return {
      title: `The configuration${file ? ` file ${path.basename(file)}` : ''} is invalid, so the app was not started.`,
      detail: error.issues.map(formatIssue).join('\n'),
      issues: error.issues,
    };
  }
  if (config.warnings.length) warn(config.warnings.map(formatIssue));
  if (options.script) return { config, entry: { file: options.script, how: 'web.config handler' } };
  try {
    return { config, entry: await detectEntry(folder, config.settings.entry, config.file, config.settings.start) };
  } catch (error) {
    if (!(error instanceof EntryError)) throw error;
    return { title: 'No entry script, so the app was not started.', detail: error.message };
  }
}

export function isVersion(read: AppVersion | AppProblem): read is AppVersion {
  return 'entry' in read;
}
