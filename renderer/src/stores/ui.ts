/**
 * What the window shows: the apps list, one app (with a tab), or the settings; kept in the page's hash
 * (util/route.ts) so that reload keeps the screen and Back/Forward work. Three places need no router library: the
 * view follows `hashchange`, and each change of view writes the hash (one history entry per screen).
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { hashToView, viewToHash, type AppTab, type View } from '../util/route.js';

export type { AppTab, View } from '../util/route.js';
export type ThemeChoice = 'system' | 'light' | 'dark';

const THEME_KEY = 'berth.theme';

export const useUi = defineStore('ui', () => {
  const view = ref<View>(hashToView(location.hash));
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

  /** Shows the screen a route names (`#/apps/shop/logs`), e.g. from the tray or a notification. */
  function navigate(route: string): void {
    view.value = hashToView(route);
  }

  // The hash follows the view (a new history entry per screen), and the view follows the hash (Back, Forward, a link).
  watch(view, (next) => {
    const hash = viewToHash(next);
    if (location.hash !== hash) location.hash = hash;
  });
  window.addEventListener('hashchange', () => {
    const next = hashToView(location.hash);
    if (viewToHash(next) !== viewToHash(view.value)) view.value = next;
  });

  function setTheme(choice: ThemeChoice): void {
    theme.value = choice;
    try {
      localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this window.
    }
  }

  return { view, addDialogOpen, theme, showApps, showApp, showSettings, navigate, setTheme };
});

function readTheme(): ThemeChoice {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}
