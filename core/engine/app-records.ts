/**
 * What the engine knows about its apps: one record per app, hosted (with an `App`) or remembered with a folder that
 * is missing: its name, folder, registry flags and overrides, the environment it runs with, its worker replacements
 * and its lifecycle queue. Names are unique; so are folders.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { App, AppProblem } from '../app/app.js';
import { toDnsLabel, uniqueLabel } from '../util/host-names.js';
import type { SettingName } from '../config/schema.js';
import type { EngineEvent } from '../events.js';
import type { Platform } from '../platform/platform.js';
import type { OverrideValue } from '../registry/format.js';
import { EngineError } from './errors.js';

/** One app as the engine's readers (the control API's views, `berth serve`) see it. */
export interface AppRecordView {
  readonly name: string;
  readonly folder: string;
  readonly enabled: boolean;
  readonly persisted: boolean;
  readonly overrides: Partial<Record<SettingName, OverrideValue>>;
  readonly app: App | undefined;
  /** Why it is not hosted (its folder is missing). */
  readonly missing: AppProblem | undefined;
  /** Worker replacements per slot. */
  readonly restarts: readonly number[];
}

export interface AppRecord extends AppRecordView {
  enabled: boolean;
  persisted: boolean;
  overrides: Partial<Record<SettingName, OverrideValue>>;
  /** The app's environment: the engine's, plus its registry overrides as BERTH_<setting>. */
  env: NodeJS.ProcessEnv;
  app: App | undefined;
  missing: AppProblem | undefined;
  restarts: number[];
  /** Lifecycle operations on one app run one at a time (see app-queue.ts). */
  queue: Promise<unknown>;
}

/** The engine's records, by name, in the order added. */
export class AppRecords {
  private readonly byName = new Map<string, AppRecord>();

  constructor(private readonly platform: Platform) {}

  get map(): ReadonlyMap<string, AppRecord> {
    return this.byName;
  }

  all(): AppRecord[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  add(record: AppRecord): void {
    this.byName.set(record.name, record);
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  /** Whether the record is still the one known under its name (not removed meanwhile). */
  isCurrent(record: AppRecord): boolean {
    return this.byName.get(record.name) === record;
  }

  /** The app named so; APP_NOT_FOUND (listing the apps) when there is none. */
  get(name: string): AppRecord {
    const record = this.byName.get(name);
    if (!record) {
      const known = this.names();
      throw new EngineError('APP_NOT_FOUND', `There is no app named "${name}". ${known.length ? `The apps are: ${known.join(', ')}.` : 'No app is hosted; add one with `berth add <folder>`.'}`);
    }
    return record;
  }

  /** The app's `App`; APP_MISSING when its folder is missing (remembered but not hosted). */
  hosted(name: string): App {
    const record = this.get(name);
    if (!record.app) throw new EngineError('APP_MISSING', record.missing?.title ?? `The folder of ${name} is missing.`);
    return record.app;
  }

  /**
   * The name for a new app in `folder` (an absolute path): the one asked for, checked, else one made from the
   * folder's name. Refuses a folder that is already an app, a name that is not a DNS label, and a taken name.
   */
  nameForNew(folder: string, asked: string | undefined): string {
    for (const record of this.byName.values()) {
      if (samePath(record.folder, folder, this.platform)) throw new EngineError('ALREADY_ADDED', `${folder} is already hosted as ${record.name}.`);
    }
    if (asked === undefined) return uniqueLabel(toDnsLabel(path.basename(folder)), new Set(this.byName.keys()));
    if (toDnsLabel(asked) !== asked) {
      throw new EngineError('INVALID_NAME', `"${asked}" cannot be an app name: use lower-case letters, digits and hyphens (for example "${toDnsLabel(asked)}").`);
    }
    const owner = this.byName.get(asked);
    if (owner) throw new EngineError('NAME_TAKEN', `The name ${asked} is already used by the app in ${owner.folder}. Choose another name.`);
    return asked;
  }
}

export function newRecord(
  name: string,
  folder: string,
  enabled: boolean,
  overrides: AppRecord['overrides'],
  persisted: boolean,
  engineEnv: NodeJS.ProcessEnv,
): AppRecord {
  return {
    name,
    folder,
    enabled,
    persisted,
    overrides: { ...overrides },
    env: appEnvironment(engineEnv, overrides),
    app: undefined,
    missing: undefined,
    restarts: [],
    queue: Promise.resolve(),
  };
}

/** The problem of a remembered app whose folder is gone. */
export function missingFolderProblem(record: AppRecordView): AppProblem {
  return {
    title: `The folder ${record.folder} does not exist, so the app ${record.name} was not started.`,
    detail: `Put the folder back and run \`berth start ${record.name}\`, or forget the app with \`berth remove ${record.name}\`.`,
  };
}

/**
 * Counts a worker replacement per app and slot (for `berth status`). Every replacement event names its slot, so the
 * count does not depend on when the event is seen.
 */
export function countRestart(event: EngineEvent, records: AppRecords): void {
  let slot: number | undefined;
  if (event.type === 'worker-exit' && event.restartInMs !== undefined) slot = event.slot;
  else if (event.type === 'worker-memory-limit' || event.type === 'worker-unresponsive') slot = event.slot;
  else return;
  if (slot === undefined) return;
  const record = records.map.get(event.app);
  if (record) record.restarts[slot] = (record.restarts[slot] ?? 0) + 1;
}

/**
 * An app's environment: the engine's, with its registry overrides as BERTH_<setting> variables (the loader reads
 * them like any such variable; they replace the engine's own BERTH_/IISNODE_ variable for that setting).
 */
export function appEnvironment(env: NodeJS.ProcessEnv, overrides: Partial<Record<SettingName, OverrideValue>>): NodeJS.ProcessEnv {
  const names = Object.keys(overrides);
  if (!names.length) return env;
  const result: NodeJS.ProcessEnv = {};
  const replaced = new Set(names.flatMap((n) => [`BERTH_${n.toUpperCase()}`, `IISNODE_${n.toUpperCase()}`]));
  for (const [key, value] of Object.entries(env)) if (!replaced.has(key.toUpperCase())) result[key] = value;
  for (const [name, value] of Object.entries(overrides)) result[`BERTH_${name.toUpperCase()}`] = String(value);
  return result;
}

function samePath(a: string, b: string, platform: Platform): boolean {
  return platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

export async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}
