/**
 * The app's settings form: the effective configuration from `config.get` (each setting's value, default, source and
 * description, as the engine's schema defines them), a draft of the user's edits, and saving only what changed
 * through `config.set`, which validates everything before it writes the app's YAML file. A refused value is shown
 * on its field with the engine's sentence.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ControlError, errorMessage } from '../api/control-client.js';
import { useConnection } from './connection.js';
import { useFeed } from './feed.js';
import { useToasts } from './toasts.js';
import type { ConfigView, ConfigWriteResult, SettingValue, SettingView } from '../../../core/control/protocol.js';

/** A field's edit: a new value, or null to remove the key from the file (back to the default). */
export type Draft = Record<string, SettingValue | null>;

export const useAppConfig = defineStore('app-config', () => {
  const app = ref<string | null>(null);
  const config = ref<ConfigView | null>(null);
  const draft = ref<Draft>({});
  const fieldErrors = ref<Record<string, string>>({});
  const error = ref('');
  const saving = ref(false);
  const lastResult = ref<ConfigWriteResult | null>(null);
  let attached = false;

  const dirty = computed(() => Object.keys(draft.value).length > 0);

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
  }

  async function open(name: string): Promise<void> {
    attach();
    if (app.value !== name) {
      app.value = name;
      config.value = null;
      draft.value = {};
      fieldErrors.value = {};
      lastResult.value = null;
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
    } catch (e) {
      if (app.value === name) error.value = errorMessage(e);
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

  function discard(): void {
    draft.value = {};
    fieldErrors.value = {};
  }

  async function save(): Promise<boolean> {
    const name = app.value;
    if (!name || !dirty.value) return false;
    const toasts = useToasts();
    saving.value = true;
    try {
      const result = await useConnection().client().call('config.set', { app: name, settings: { ...draft.value } });
      lastResult.value = result;
      draft.value = {};
      fieldErrors.value = {};
      toasts.success(`Saved to ${fileName(result.file)}`, explain(result));
      await load(name);
      return true;
    } catch (e) {
      const setting = e instanceof ControlError ? e.details.setting : undefined;
      if (typeof setting === 'string') fieldErrors.value = { ...fieldErrors.value, [setting]: errorMessage(e) };
      else toasts.error('The settings were not saved', errorMessage(e));
      return false;
    } finally {
      saving.value = false;
    }
  }

  return { app, config, draft, fieldErrors, error, saving, lastResult, dirty, open, load, valueOf, edit, reset, discard, save };
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
