import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import LaneLine from '../src/components/LaneLine.vue';
import OverviewPanel from '../src/views/OverviewPanel.vue';
import { useAppDetail } from '../src/stores/app-detail.js';
import { timelineEntry } from '../src/stores/apps.js';
import { FakeEngine, until } from './fake-engine.js';
import { connected, settle } from './setup.js';
import { detail } from './samples.js';
import type { AppDetail } from '../../core/control/protocol.js';

const XFF = 'enableXFF adds X-Forwarded-For to every request';
const DEBUG = 'a debug session runs';

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the app\'s lane', () => {
  it('says "Fast lane" and that connections go to the workers directly, with no reasons', () => {
    const wrapper = mount(LaneLine, { props: { lane: 'fast', reasons: [] } });
    expect(wrapper.get('[data-testid="app-lane"]').attributes('data-lane')).toBe('fast');
    expect(wrapper.text()).toContain('Fast lane');
    expect(wrapper.text()).toMatch(/handed to the workers directly/);
    expect(wrapper.findAll('li')).toHaveLength(0);
  });

  it('says "Proxy lane" and lists every reason plainly, one item each', () => {
    const wrapper = mount(LaneLine, { props: { lane: 'proxy', reasons: [XFF, DEBUG] } });
    expect(wrapper.text()).toContain('Proxy lane');
    expect(wrapper.text()).toMatch(/Every request goes through Berth's proxy/);
    expect(wrapper.findAll('li').map((li) => li.text())).toEqual([XFF, DEBUG]);
  });

  it('is on the overview and follows a lane-changed event (the snapshot is refetched)', async () => {
    let current: AppDetail = detail();
    const engine = new FakeEngine().on('apps.get', () => current).on('metrics.history', ({ app }) => ({ app, samples: [], workers: [] }));
    const { pinia } = await connected(engine);
    const store = useAppDetail();
    store.attach();
    await store.open('shop');
    const wrapper = mount(OverviewPanel, { props: { app: 'shop' }, global: { plugins: [pinia] } });
    await settle();
    expect(wrapper.get('[data-testid="app-lane"]').text()).toContain('Fast lane');

    await until(() => engine.subscriptionCount('events') >= 1);
    current = detail({ lane: 'proxy', laneReasons: [DEBUG] });
    engine.push('events', { type: 'lane-changed', app: 'shop', lane: 'proxy', reasons: [DEBUG] });
    await until(() => wrapper.find('[data-lane="proxy"]').exists());
    expect(wrapper.get('[data-testid="app-lane"] li').text()).toBe(DEBUG);
    store.close();
  });

  it('puts a lane change in the timeline with its reasons', () => {
    expect(timelineEntry({ type: 'lane-changed', app: 'shop', lane: 'proxy', reasons: [XFF, DEBUG] })).toMatchObject({ title: 'Proxy lane: every request goes through Berth', detail: `${XFF}\n${DEBUG}` });
    expect(timelineEntry({ type: 'lane-changed', app: 'shop', lane: 'fast', reasons: [] })?.title).toMatch(/^Fast lane/);
  });
});
