/**
 * The desktop app's own settings (close to tray, start at login, front port, node path, notifications), kept by the
 * main process; absent in a browser, where the page says these belong to the desktop app.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { desktopBridge } from '../api/native.js';
import { errorMessage } from '../api/control-client.js';
import { useToasts } from './toasts.js';
import type { DesktopSettings } from '../../../core/shared/bridge.js';

export const useDesktop = defineStore('desktop', () => {
  const available = ref(desktopBridge() !== undefined);
  const settings = ref<DesktopSettings | null>(null);
  const saving = ref(false);

  async function load(): Promise<void> {
    const bridge = desktopBridge();
    available.value = bridge !== undefined;
    if (!bridge) return;
    settings.value = await bridge.settings();
  }

  async function save(patch: Partial<DesktopSettings>): Promise<boolean> {
    const bridge = desktopBridge();
    if (!bridge) return false;
    saving.value = true;
    try {
      settings.value = await bridge.saveSettings(patch);
      const restarts = 'frontPort' in patch || 'nodePath' in patch;
      useToasts().success('Settings saved', restarts ? 'The engine restarts to apply them; the apps come back by themselves.' : undefined);
      return true;
    } catch (e) {
      useToasts().error('The settings were not saved', errorMessage(e));
      return false;
    } finally {
      saving.value = false;
    }
  }

  return { available, settings, saving, load, save };
});
