/**
 * The app view's lane (control/views.ts) and the `lane-changed` event (engine/lane-watch.ts): both come from
 * `appLane` (core/app/lane.ts), the same settings and facts the fast lane itself decides by.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generation } from '../../core/app/generation.js';
import { defaultSettings, type Settings } from '../../core/config/schema.js';
import { summaryOf, type AppRecordView } from '../../core/control/views.js';
import type { MetricsBatch } from '../../core/control/protocol.js';
import { LaneWatch } from '../../core/engine/lane-watch.js';
import type { EngineEvent } from '../../core/events.js';

const XFF = 'enableXFF adds X-Forwarded-For to every request';
const metrics: MetricsBatch = { t: 0, apps: [] };

function settings(changes: Partial<Settings> = {}): Settings {
  return { ...defaultSettings(), ...changes };
}

/** An app as views.ts and LaneWatch read it: serving a generation with `serving` settings, or stopped. */
function fakeApp(options: { serving?: Partial<Settings>; loaded?: Partial<Settings>; debugging?: boolean; script?: string } = {}) {
  const generation = options.serving ? new Generation(1, 1, { config: { settings: settings(options.serving) } } as never) : undefined;
  return {
    state: generation ? 'running' : 'stopped',
    generation,
    options: options.script ? { script: options.script } : {},
    debugSession: options.debugging ? {} : undefined,
    settings: settings(options.loaded ?? options.serving),
    workers: () => [],
    problem: undefined,
    lastUpgradeProblem: undefined,
  };
}

function record(app: ReturnType<typeof fakeApp> | undefined): AppRecordView {
  return { name: 'shop', folder: '/w/shop', enabled: true, persisted: false, overrides: {}, app, missing: undefined, restarts: [] } as unknown as AppRecordView;
}

describe('the app view\'s lane', () => {
  test('an app with the defaults takes the fast lane, with no reasons', () => {
    const view = summaryOf(record(fakeApp({ serving: {} })), 'http://shop.localhost:8080/', metrics);
    assert.equal(view.lane, 'fast');
    assert.deepEqual(view.laneReasons, []);
  });

  test('enableXFF: true keeps it on the proxy lane, and says so', () => {
    const view = summaryOf(record(fakeApp({ serving: { enableXFF: true } })), '', metrics);
    assert.equal(view.lane, 'proxy');
    assert.deepEqual(view.laneReasons, [XFF]);
  });

  test('every reason at once, the facts included (a web.config site, a debug session)', () => {
    const view = summaryOf(record(fakeApp({ serving: { enableXFF: true, requestTimeout: 5000 }, debugging: true, script: 'server.js' })), '', metrics);
    assert.deepEqual(view.laneReasons, [XFF, 'requestTimeout times every request', 'a web.config site decides URL Rewrite and static files per request', 'a debug session runs']);
  });

  test('the serving generation\'s settings count, not settings loaded for the next version', () => {
    const view = summaryOf(record(fakeApp({ serving: {}, loaded: { enableXFF: true } })), '', metrics, settings({ enableXFF: true }));
    assert.equal(view.lane, 'fast');
  });

  test('a stopped app shows the lane its settings would take: its own, or those just read from its files', () => {
    assert.deepEqual(summaryOf(record(fakeApp({ loaded: { enableXFF: true } })), '', metrics).laneReasons, [XFF]);
    const fresh = summaryOf(record(fakeApp()), '', metrics, settings({ idleTimeout: 60 }));
    assert.deepEqual(fresh.laneReasons, ['idleTimeout needs to see every request to know when the app is idle']);
    assert.equal(summaryOf(record(undefined), '', metrics).lane, 'fast');
  });
});

describe('LaneWatch', () => {
  test('remembers the first lane, reports each change once with its reasons, forgets a removed app', () => {
    const events: EngineEvent[] = [];
    const watch = new LaneWatch((event) => events.push(event));
    const app = fakeApp({ serving: {} });
    watch.check('shop', app);
    assert.deepEqual(events, [], 'the first lane is only remembered');
    app.debugSession = {};
    watch.check('shop', app);
    watch.check('shop', app);
    assert.deepEqual(events, [{ type: 'lane-changed', app: 'shop', lane: 'proxy', reasons: ['a debug session runs'] }]);
    app.generation!.realtimeSeen = true; // engine.io traffic: a second reason, a new event
    watch.check('shop', app);
    const realtime = 'socket.io/engine.io sessions are pinned to their worker by cookie (stickyRealtime)';
    assert.deepEqual(events[1], { type: 'lane-changed', app: 'shop', lane: 'proxy', reasons: ['a debug session runs', realtime] });
    app.debugSession = undefined;
    app.generation!.realtimeSeen = false;
    watch.check('shop', app);
    assert.deepEqual(events[2], { type: 'lane-changed', app: 'shop', lane: 'fast', reasons: [] });
    watch.check('shop', undefined);
    watch.check('shop', fakeApp({ serving: { enableXFF: true } }));
    assert.equal(events.length, 3, 'an app added again under the name starts afresh');
  });
});
