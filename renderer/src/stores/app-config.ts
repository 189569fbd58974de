/**
 * The app's settings form: the effective configuration from `config.get` (each setting's value, default, source and
 * description, as the engine's schema defines them), a draft of the user's edits, and saving only what changed
 * through `config.set`, which validates everything before it writes the app's YAML file. A refused value is shown
 * on its field with the engine's sentence.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ControlError, errorMessage } from '../api/control-client.js';
import { isNotConnected, useConnection } from './connection.js';
import { useFeed } from './feed.js';
import { useToasts } from './toasts.js';
import { envNameProblem } from '../../../core/shared/env-vars.js';
import type { ConfigView, ConfigWriteResult, EnvVarView, SettingValue, SettingView } from '../../../core/control/protocol.js';

/** A field's edit: a new value, or null to remove the key from the file (back to the default). */
export type Draft = Record<string, SettingValue | null>;

/**
 * One row of the environment variables editor. The engine never sends values (they may be secrets), so a variable
 * already in the file shows a mask until a new value is typed (`edited`); its name is fixed (remove it and add it
 * again to rename it).
 */
export interface EnvRow {
  id: number;
  /** The name in the file, for a variable that is there; null for a new row. */
  original: string | null;
  name: string;
  value: string;
  /** A value was typed (for an existing variable: it replaces the one in the file). */
  edited: boolean;
}

let nextRowId = 1;

function rowsOf(env: readonly EnvVarView[]): EnvRow[] {
  return env.map((v) => ({ id: nextRowId++, original: v.name, name: v.name, value: '', edited: false }));
}

/** What is wrong with each row's name (by row id): not a valid name, one Berth sets, or given twice. */
export function envRowErrors(rows: readonly EnvRow[]): Record<number, string> {
  const errors: Record<number, string> = {};
  const seen = new Map<string, string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (row.original === null && name === '' && row.value === '') continue; // an empty new row is ignored
    const problem = envNameProblem(name);
    if (problem) {
      errors[row.id] = `${problem.problem.charAt(0).toUpperCase()}${problem.problem.slice(1)}. ${problem.fix}`;
      continue;
    }
    const other = seen.get(name.toUpperCase());
    if (other !== undefined) errors[row.id] = `${name} is already set above${other === name ? '' : ` as ${other} (names ignore case on Windows)`}.`;
    else seen.set(name.toUpperCase(), name);
  }
  return errors;
}

/** The env patch `config.set` takes: name → the new value, or null to remove it. */
export function envPatchOf(rows: readonly EnvRow[], removed: readonly string[]): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const name of removed) patch[name] = null;
  for (const row of rows) {
    const name = row.name.trim();
    if (row.original !== null) {
      if (row.edited) patch[row.original] = row.value;
    } else if (name !== '' || row.value !== '') {
      patch[name] = row.value;
    }
  }
  return patch;
}

export const useAppConfig = defineStore('app-config', () => {
  const app = ref<string | null>(null);
  const config = ref<ConfigView | null>(null);
  const draft = ref<Draft>({});
  const fieldErrors = ref<Record<string, string>>({});
  const error = ref('');
  const saving = ref(false);
  const lastResult = ref<ConfigWriteResult | null>(null);
  /** The environment variables editor: its rows, the file's variables removed, and the engine's refusal. */
  const envRows = ref<EnvRow[]>([]);
  const envRemoved = ref<string[]>([]);
  const envError = ref('');
  let attached = false;

  const envPatch = computed(() => envPatchOf(envRows.value, envRemoved.value));
  const envErrors = computed(() => envRowErrors(envRows.value));
  const envDirty = computed(() => Object.keys(envPatch.value).length > 0);
  const changeCount = computed(() => Object.keys(draft.value).length + Object.keys(envPatch.value).length);
  const dirty = computed(() => changeCount.value > 0);

  function attach(): void {
    if (attached) return;
    attached = true;
    const feed = useFeed();
    feed.attach();
    // After a write the app recycles and its configuration is read again: show the new sources (file:line).
    feed.onEvent((event) => {
      if (!app.value || !('app' in event) || event.app !== app.value) return;
      if (event.type === 'recycle-succeeded' || event.type === 'settings-written' || event.type === 'config-warnings') void load(app.value, { keepDraft: true });
    });
    // After every (re)connect, e.g. a reload straight onto the settings screen, whose first load found no connection.
    useConnection().onConnected(async () => {
      if (app.value) await load(app.value, { keepDraft: true });
    });
  }

  async function open(name: string): Promise<void> {
    attach();
    if (app.value !== name) {
      app.value = name;
      config.value = null;
      draft.value = {};
      fieldErrors.value = {};
      lastResult.value = null;
      resetEnv([]);
    }
    await load(name, { keepDraft: true });
  }

  async function load(name: string, options: { keepDraft?: boolean } = {}): Promise<void> {
    try {
      const next = await useConnection().client().call('config.get', { app: name });
      if (app.value !== name) return;
      config.value = next;
      error.value = '';
      if (!options.keepDraft) draft.value = {};
      // The rows follow the file unless the user is editing them.
      if (!options.keepDraft || !envDirty.value) resetEnv(next.env ?? []);
    } catch (e) {
      // Not connected yet: the onConnected hook above loads it; the banner says why meanwhile.
      if (app.value === name && !isNotConnected(e)) error.value = errorMessage(e);
    }
  }

  /** The value a field shows: the draft's, else the effective one. */
  function valueOf(setting: SettingView): SettingValue {
    const edited = draft.value[setting.name];
    if (edited === undefined) return setting.value;
    return edited === null ? setting.default : edited;
  }

  function edit(setting: SettingView, value: SettingValue): void {
    const next = { ...draft.value };
    if (value === setting.value) delete next[setting.name];
    else next[setting.name] = value;
    draft.value = next;
    const errors = { ...fieldErrors.value };
    delete errors[setting.name];
    fieldErrors.value = errors;
  }

  /** Removes the key from the file: the setting falls back to its environment value or default. */
  function reset(setting: SettingView): void {
    if (setting.source.kind !== 'file') {
      const next = { ...draft.value };
      delete next[setting.name];
      draft.value = next;
      return;
    }
    draft.value = { ...draft.value, [setting.name]: null };
  }

  function resetEnv(env: readonly EnvVarView[]): void {
    envRows.value = rowsOf(env);
    envRemoved.value = [];
    envError.value = '';
  }

  function addEnv(): EnvRow {
    const row: EnvRow = { id: nextRowId++, original: null, name: '', value: '', edited: true };
    envRows.value = [...envRows.value, row];
    return row;
  }

  function editEnv(id: number, change: { name?: string; value?: string }): void {
    envRows.value = envRows.value.map((row) => {
      if (row.id !== id) return row;
      const name = row.original === null && change.name !== undefined ? change.name : row.name;
      return { ...row, name, ...(change.value !== undefined ? { value: change.value, edited: true } : {}) };
    });
    envError.value = '';
  }

  function removeEnv(id: number): void {
    const row = envRows.value.find((r) => r.id === id);
    if (!row) return;
    envRows.value = envRows.value.filter((r) => r.id !== id);
    if (row.original !== null) envRemoved.value = [...envRemoved.value, row.original];
    envError.value = '';
  }

  function discard(): void {
    draft.value = {};
    fieldErrors.value = {};
    resetEnv(config.value?.env ?? []);
  }

  async function save(): Promise<boolean> {
    const name = app.value;
    if (!name || !dirty.value) return false;
    const toasts = useToasts();
    if (Object.keys(envErrors.value).length) {
      envError.value = 'Fix the variable names marked below first; nothing was saved.';
      return false;
    }
    saving.value = true;
    try {
      const settings = { ...draft.value };
      const env = { ...envPatch.value };
      const params = { app: name, ...(Object.keys(settings).length ? { settings } : {}), ...(Object.keys(env).length ? { env } : {}) };
      const result = await useConnection().client().call('config.set', params);
      lastResult.value = result;
      draft.value = {};
      fieldErrors.value = {};
      resetEnv(config.value?.env ?? []);
      toasts.success(`Saved to ${fileName(result.file)}`, explain(result));
      await load(name);
      return true;
    } catch (e) {
      const setting = e instanceof ControlError ? e.details.setting : undefined;
      if (setting === 'env') envError.value = errorMessage(e);
      else if (typeof setting === 'string') fieldErrors.value = { ...fieldErrors.value, [setting]: errorMessage(e) };
      else toasts.error('The settings were not saved', errorMessage(e));
      return false;
    } finally {
      saving.value = false;
    }
  }

  return {
    app,
    config,
    draft,
    fieldErrors,
    error,
    saving,
    lastResult,
    dirty,
    changeCount,
    envRows,
    envRemoved,
    envError,
    envErrors,
    envPatch,
    open,
    load,
    valueOf,
    edit,
    reset,
    discard,
    save,
    addEnv,
    editEnv,
    removeEnv,
  };
});

function fileName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export function explain(result: ConfigWriteResult): string {
  switch (result.takesEffect) {
    case 'recycle':
      return 'The app recycles gracefully to apply it.';
    case 'next-start':
      return 'It applies when the app starts.';
    default:
      return 'Nothing changed.';
  }
}

/** How a source reads in the form: "default", "berth.yml:12", "env BERTH_X", "Berth's app list". */
export function sourceLabel(setting: SettingView): string {
  const source = setting.source;
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'env':
      return `environment ${source.name}`;
    case 'registry':
      return "Berth's app list";
    case 'file':
      return `${fileName(source.file)}:${source.line}`;
  }
}
