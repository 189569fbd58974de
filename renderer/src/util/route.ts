/**
 * Every screen as a URL hash, and back: `#/apps`, `#/apps/<name>` (its overview), `#/apps/<name>/logs` (and
 * `/debugging`, `/settings`), `#/settings`. A hash works the same in the desktop window (`berth://app/`) and the web
 * dashboard (served at `/`): reload keeps the screen, Back and Forward move between screens, and the tray and
 * notifications can name one.
 */

/** The tabs of one app's screen. */
export type AppTab = 'overview' | 'logs' | 'debugging' | 'settings';
/** What the window shows: the apps list, one app (with a tab), or the settings. */
export type View = { name: 'apps' } | { name: 'app'; app: string; tab: AppTab } | { name: 'settings' };

const TABS: readonly AppTab[] = ['overview', 'logs', 'debugging', 'settings'];

export function viewToHash(view: View): string {
  if (view.name === 'settings') return '#/settings';
  if (view.name === 'apps') return '#/apps';
  const base = `#/apps/${encodeURIComponent(view.app)}`;
  return view.tab === 'overview' ? base : `${base}/${view.tab}`;
}

/** The screen a hash names; an empty or unknown hash is the apps list. */
export function hashToView(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'settings' && parts.length === 1) return { name: 'settings' };
  if (parts[0] === 'apps' && parts[1]) {
    let app: string;
    try {
      app = decodeURIComponent(parts[1]);
    } catch {
      return { name: 'apps' };
    }
    const tab = (parts[2] ?? 'overview') as AppTab;
    return { name: 'app', app, tab: TABS.includes(tab) ? tab : 'overview' };
  }
  return { name: 'apps' };
}
