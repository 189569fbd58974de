/**
 * The app registry: the apps an engine remembers across restarts, kept in `apps.yml` in the Berth home folder.
 * Every change is written at once, atomically (temporary file, flush, rename), one change at a time; the in-memory
 * list changes only when the write succeeded, so what the engine reports is what is on disk.
 *
 * A file that cannot be used (invalid YAML, invalid content) is never overwritten: it is moved aside as
 * `apps.yml.corrupt-<timestamp>` and the problem is reported, so the user can repair it and put it back. A file from
 * a newer Berth is left alone and refused.
 */
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { classifyFolderError } from '../util/file-in-the-way.js';
import { writeFileAtomic } from './atomic-write.js';
import {
  parseRegistry,
  REGISTRY_VERSION,
  RegistryFormatError,
  RegistryVersionError,
  stringifyRegistry,
  type OverrideValue,
  type RegistryEntry,
} from './format.js';
import type { SettingName } from '../config/schema.js';

/** The registry file was unusable and has been moved aside; the engine starts with an empty list. */
export interface RegistryProblem {
  file: string;
  movedTo: string;
  /** What is wrong with it, with the line when known. */
  reason: string;
}

export type RegistryErrorCode = 'TOO_NEW' | 'UNREADABLE' | 'WRITE_FAILED';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface RegistryOptions {
  platform?: NodeJS.Platform;
  /** For the corrupt file's timestamp. */
  now?: () => Date;
}

export interface OpenedRegistry {
  registry: Registry;
  /** Set when the file was unusable and moved aside. */
  problem?: RegistryProblem;
  /** Set when the file had an older format (it is written in the current one at the next change). */
  migratedFrom?: number;
}

/** `2024-05-01T12-30-00-123Z`: sortable, and valid in Windows file names (no colons). */
export function corruptStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

export class Registry {
  private list: RegistryEntry[];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly platform: NodeJS.Platform;

  private constructor(
    readonly file: string,
    entries: RegistryEntry[],
    options: RegistryOptions,
  ) {
    this.list = entries;
    this.platform = options.platform ?? process.platform;
  }

  /** An empty registry that will be written to `file` at the first change (for tests and a fresh home). */
  static empty(file: string, options: RegistryOptions = {}): Registry {
    return new Registry(file, [], options);
  }

  /**
   * Reads the registry file. Missing: an empty registry. Unusable: moved aside (reported in `problem`), empty
   * registry. From a newer Berth, or unreadable: throws a RegistryError that says what to do.
   */
  static async open(file: string, options: RegistryOptions = {}): Promise<OpenedRegistry> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { registry: new Registry(file, [], options) };
      throw new RegistryError('UNREADABLE', `Berth cannot read its app list ${file} (${code ?? (error as Error).message}). Check the file's permissions.`);
    }
    try {
      const { data, migratedFrom } = parseRegistry(text, { platform: options.platform ?? process.platform });
      return {
        registry: new Registry(file, data.apps, options),
        ...(migratedFrom !== REGISTRY_VERSION ? { migratedFrom } : {}),
      };
    } catch (error) {
      if (error instanceof RegistryVersionError) {
        throw new RegistryError(
          'TOO_NEW',
          `Berth cannot use its app list ${file}: ${error.message}. Upgrade Berth, or move the file away to start with an empty list.`,
        );
      }
      if (!(error instanceof RegistryFormatError)) throw error;
      const reason = `${error.line ? `line ${error.line}: ` : ''}${error.message}`;
      const movedTo = `${file}.corrupt-${corruptStamp((options.now ?? (() => new Date()))())}`;
      try {
        await rename(file, movedTo);
      } catch (renameError) {
        throw new RegistryError(
          'UNREADABLE',
          `Berth's app list ${file} is damaged (${reason}) and could not be moved aside (${(renameError as NodeJS.ErrnoException).code ?? (renameError as Error).message}). Repair or remove it, then start Berth again.`,
        );
      }
      return { registry: new Registry(file, [], options), problem: { file, movedTo, reason } };
    }
  }

  get entries(): readonly RegistryEntry[] {
    return this.list;
  }

  get(name: string): RegistryEntry | undefined {
    return this.list.find((e) => e.name === name);
  }

  add(entry: RegistryEntry): Promise<void> {
    return this.change((list) => {
      if (list.some((e) => e.name === entry.name)) throw new RegistryError('WRITE_FAILED', `An app named ${entry.name} is already in the list.`);
      return [...list, { ...entry, overrides: { ...entry.overrides } }];
    });
  }

  update(name: string, patch: { enabled?: boolean; overrides?: Partial<Record<SettingName, OverrideValue>> }): Promise<void> {
    return this.change((list) =>
      list.map((e) => (e.name === name ? { ...e, ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}), ...(patch.overrides ? { overrides: { ...patch.overrides } } : {}) } : e)),
    );
  }

  remove(name: string): Promise<void> {
    return this.change((list) => list.filter((e) => e.name !== name));
  }

  /** Resolves when every change asked for so far has been written (or has failed). */
  async flush(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** Changes run one at a time, each on the result of the previous one; the list changes only once written. */
  private change(edit: (list: readonly RegistryEntry[]) => RegistryEntry[]): Promise<void> {
    const run = this.queue.catch(() => undefined).then(async () => {
      const next = edit(this.list);
      try {
        await writeFileAtomic(this.file, stringifyRegistry({ version: REGISTRY_VERSION, apps: next }), { platform: this.platform });
      } catch (error) {
        // A file where the home folder should be is ENOTDIR on every platform (Windows reports ENOENT).
        const code = (await classifyFolderError(error as NodeJS.ErrnoException, path.dirname(this.file))).code;
        throw new RegistryError(
          'WRITE_FAILED',
          `Berth could not save its app list to ${this.file} (${code ?? (error as Error).message}); nothing was changed. Check that the folder ${path.dirname(this.file)} is writable.`,
        );
      }
      this.list = next;
    });
    this.queue = run;
    return run;
  }
}
