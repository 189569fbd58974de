import { describe, expect, it } from 'vitest';
import { hashToView, viewToHash } from '../src/util/route.js';
import { useUi } from '../src/stores/ui.js';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';

describe('routes', () => {
  it('every screen has a hash and comes back from it', () => {
    const views = [
      { name: 'apps' },
      { name: 'settings' },
      { name: 'app', app: 'shop', tab: 'overview' },
      { name: 'app', app: 'shop', tab: 'logs' },
      { name: 'app', app: 'my shop/2', tab: 'settings' },
    ] as const;
    for (const view of views) expect(hashToView(viewToHash(view))).toEqual(view);
    expect(viewToHash({ name: 'app', app: 'shop', tab: 'logs' })).toBe('#/apps/shop/logs');
    expect(hashToView('')).toEqual({ name: 'apps' });
    expect(hashToView('#/apps/shop/nonsense')).toEqual({ name: 'app', app: 'shop', tab: 'overview' });
    expect(hashToView('#/apps/%E0%A4%A')).toEqual({ name: 'apps' });
  });

  it('the ui store writes the hash and follows it', async () => {
    location.hash = '#/apps/blog/debugging';
    setActivePinia(createPinia());
    const ui = useUi();
    expect(ui.view).toEqual({ name: 'app', app: 'blog', tab: 'debugging' });
    ui.showSettings();
    await nextTick();
    expect(location.hash).toBe('#/settings');
    location.hash = '#/apps/shop/logs';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(ui.view).toEqual({ name: 'app', app: 'shop', tab: 'logs' });
    ui.navigate('#/apps');
    expect(ui.view).toEqual({ name: 'apps' });
  });
});
