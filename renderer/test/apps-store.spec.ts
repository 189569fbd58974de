import { describe, expect, it } from 'vitest';
import { useApps, timelineEntry } from '../src/stores/apps.js';
import { useToasts } from '../src/stores/toasts.js';
import { FakeCallError, FakeEngine, until } from './fake-engine.js';
import { connected } from './setup.js';
import { summary } from './samples.js';

function engineWith(apps = [summary()]) {
  const engine = new FakeEngine();
  engine.on('apps.list', () => apps.map((a) => ({ ...a })));
  return { engine, apps };
}

describe('apps store', () => {
  it('loads the list when connected and keeps the events and metrics subscriptions open', async () => {
    const { engine } = engineWith();
    await connected(engine);
    const apps = useApps();
    apps.attach();
    await until(() => apps.loaded);
    expect(apps.apps.map((a) => a.name)).toEqual(['shop']);
    await until(() => engine.subscriptionCount('events') === 1 && engine.subscriptionCount('metrics') === 1);
  });

  it('patches a state change in place, then refetches', async () => {
    const { engine, apps: list } = engineWith();
    await connected(engine);
    const apps = useApps();
    apps.attach();
    await until(() => apps.loaded && engine.subscriptionCount('events') === 1);
    list[0]!.state = 'errored';
    engine.push('events', { type: 'app-state', app: 'shop', state: 'stopping' });
    await until(() => apps.byName.get('shop')?.state === 'stopping');
    // The debounced refetch brings the engine's truth.
    await until(() => apps.byName.get('shop')?.state === 'errored');
  });

  it('takes memory, CPU and requests per second from the metrics feed', async () => {
    const { engine } = engineWith();
    await connected(engine);
    const apps = useApps();
    apps.attach();
    await until(() => apps.loaded && engine.subscriptionCount('metrics') === 1);
    const sample = { t: Date.now(), workers: 2, rss: 123 * 1024 * 1024, heapUsed: 1, heapTotal: 2, external: 0, cpuPercent: 12.34, eventLoopP50: 1, eventLoopP99: 2, activeRequests: 3, requestsPerSecond: 42, totalRequests: 100, status4xx: 0, status5xx: 0, latencyP50: 1, latencyP99: 2 };
    engine.push('metrics', { t: sample.t, apps: [{ app: 'shop', sample, workers: [] }] });
    await until(() => apps.byName.get('shop')?.requestsPerSecond === 42);
    expect(apps.byName.get('shop')).toMatchObject({ rss: 123 * 1024 * 1024, cpuPercent: 12.3, activeRequests: 3 });
  });

  it('adds folders one by one, showing the engine\'s sentence for each refusal', async () => {
    const { engine, apps: list } = engineWith([]);
    engine.on('apps.add', ({ folder }) => {
      if (folder.endsWith('notes.txt')) throw new FakeCallError('NOT_A_FOLDER', `${folder} is not a folder. Give Berth the folder that holds the app.`);
      const app = summary({ name: 'api', folder });
      list.push(app);
      return app;
    });
    await connected(engine);
    const apps = useApps();
    const toasts = useToasts();
    apps.attach();
    const added = await apps.add(['/home/me/api', '/home/me/notes.txt']);
    expect(added).toEqual(['api']);
    expect(toasts.toasts.map((t) => [t.kind, t.title])).toEqual([
      ['success', 'Added api'],
      ['error', 'Could not add notes.txt'],
    ]);
    expect(toasts.toasts[1]!.detail).toMatch(/is not a folder/);
    expect(apps.apps.map((a) => a.name)).toEqual(['api']);
  });

  it('reports a recycle whose new version failed, and keeps the app busy flag only while it runs', async () => {
    const { engine } = engineWith();
    let release: () => void = () => undefined;
    engine.on('apps.recycle', () => new Promise((resolve) => (release = () => resolve({ app: summary(), ok: false, problem: { title: 'The new version crashed at start.', detail: '' } }))));
    await connected(engine);
    const apps = useApps();
    apps.attach();
    const done = apps.act('shop', 'recycle');
    await until(() => apps.busy.shop === 'recycle');
    release();
    expect(await done).toBe(true);
    expect(apps.busy.shop).toBeUndefined();
    expect(useToasts().toasts.at(-1)).toMatchObject({ kind: 'error', detail: expect.stringMatching(/crashed at start.*previous version keeps serving/) });
  });

  it('records crashes and upgrades in the app\'s timeline', () => {
    const crash = timelineEntry({ type: 'worker-exit', app: 'shop', pid: 7, generation: 1, slot: 0, code: 3, signal: null, expected: false, beforeReady: false, uptimeMs: 5000, stderr: ['Error: boom', '    at x'], restartInMs: 100 });
    expect(crash).toMatchObject({ kind: 'error', title: 'Worker 7 crashed (exit code 3)', stderr: ['Error: boom', '    at x'] });
    expect(timelineEntry({ type: 'worker-exit', app: 'shop', pid: 7, generation: 1, slot: 0, code: 0, signal: null, expected: true, beforeReady: false, uptimeMs: 5000, stderr: [] })).toBeUndefined();
    const failed = timelineEntry({ type: 'recycle-failed', app: 'shop', reason: 'server.js changed', title: 'SyntaxError', detail: 'Unexpected token', stillServing: 1 });
    expect(failed?.detail).toMatch(/Generation 1 keeps serving/);
  });
});

describe('apps store: the engine-kept history', () => {
  it('builds the timeline from events.history (newest first) and keeps the last crash with its output', async () => {
    const { engine } = engineWith();
    engine.on('events.history', ({ app }) => ({
      app,
      events: [
        { seq: 1, time: 1000, event: { type: 'app-added', app, folder: '/x', url: 'http://shop.localhost/' } },
        { seq: 2, time: 2000, event: { type: 'app-state', app, state: 'running' } },
        { seq: 3, time: 3000, event: { type: 'app-error', app, title: 'It crashed', detail: 'Fix it' } },
      ],
      lastCrash: { seq: 3, time: 3000, event: { type: 'app-error', app, title: 'It crashed', detail: 'Fix it' }, output: [{ stream: 'stdout', text: 'booting' }] },
    }));
    await connected(engine);
    const apps = useApps();
    apps.attach();
    await apps.loadHistory('shop');
    expect(apps.timelines.shop!.map((e) => e.title)).toEqual(['It crashed', 'Running']);
    expect(apps.timelines.shop![0]!.time).toBe(3000);
    expect(apps.lastCrash.shop?.output?.[0]?.text).toBe('booting');
  });
});
