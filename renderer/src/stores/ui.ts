/**
 * What the window shows: the apps list, one app (with a tab), or the settings. No router: three places do not need
 * URLs, and the desktop window has no address bar.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type AppTab = 'overview' | 'logs' | 'debugging' | 'settings';
export type View = { name: 'apps' } | { name: 'app'; app: string; tab: AppTab } | { name: 'settings' };
export type ThemeChoice = 'system' | 'light' | 'dark';

const THEME_KEY = 'berth.theme';

export const useUi = defineStore('ui', () => {
  const view = ref<View>({ name: 'apps' });
  const addDialogOpen = ref(false);
  const theme = ref<ThemeChoice>(readTheme());

  function showApps(): void {
    view.value = { name: 'apps' };
  }

  function showApp(app: string, tab: AppTab = 'overview'): void {
    view.value = { name: 'app', app, tab };
  }

  function showSettings(): void {
    view.value = { name: 'settings' };
  }

  function setTheme(choice: ThemeChoice): void {
    theme.value = choice;
    try {
      localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this window.
    }
  }

  return { view, addDialogOpen, theme, showApps, showApp, showSettings, setTheme };
});

function readTheme(): ThemeChoice {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}
