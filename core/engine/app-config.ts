/**
 * An app's configuration as the engine has it (the serving version's, or read now when the app is not loaded) and
 * the settings file a change goes to.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { AppProblem } from '../app/app.js';
import { BERTH_FILE, ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import type { AppRecordView } from './app-records.js';

/** A settings change as the writer reports it (control/settings-file.ts). */
export interface SettingsChange {
  setting: string;
  from: unknown;
  to: string | number | boolean | null;
  /** An environment variable's change: `to` is already masked (never its value), and it did change. */
  secret?: boolean;
}

/** When written settings apply: not at all (nothing changed), at the next start, or by the recycle under way. */
export type TakesEffect = 'none' | 'next-start' | 'recycle';

/** What the app runs with; when it has none, why (read from its files now). */
export interface AppConfigState {
  record: AppRecordView;
  /** Undefined when the configuration is invalid (or there is none to read). */
  loaded: LoadedConfig | undefined;
  /** The file that settings are written to. */
  writesTo: string;
  /** What is wrong with the configuration, when it could not be loaded. */
  problem?: AppProblem;
}

export async function appConfigState(record: AppRecordView, env: NodeJS.ProcessEnv): Promise<AppConfigState> {
  const writesTo = await settingsFileOf(record);
  const app = record.app;
  if (app?.config) return { record, loaded: app.config, writesTo };
  // Not loaded (errored, or its folder is missing): read it now to show what is wrong.
  try {
    return { record, loaded: await loadConfig(record.folder, { env }), writesTo };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problem = app?.problem ?? { title: 'The configuration is invalid.', detail: error.message, issues: error.issues };
    return { record, loaded: undefined, writesTo, problem };
  }
}

/** The settings file the app uses (berth.yml or iisnode.yml), else the berth.yml to create. */
export async function settingsFileOf(record: AppRecordView): Promise<string> {
  const app = record.app;
  const inUse = app?.config?.file ?? app?.problem?.issues?.find((i) => i.file)?.file;
  if (inUse) return inUse;
  const overrides = app?.settings.configOverrides ?? 'iisnode.yml';
  for (const name of [BERTH_FILE, overrides]) {
    const file = path.join(record.folder, name);
    if (name && (await exists(file))) return file;
  }
  return path.join(record.folder, BERTH_FILE);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
