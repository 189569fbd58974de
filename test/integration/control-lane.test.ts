/**
 * The app view's lane through the real control API, with a real engine and app: the fast lane for an app with the
 * defaults; the proxy lane, with its reason, once engine.io traffic is seen (no other event says so) and after a
 * recycle into a setting that needs the proxy; each change pushed to an events subscriber as `lane-changed`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeControlClient as ControlClient } from '../../core/control/client.js';
import type { EngineEvent } from '../../core/events.js';
import { startTestService, type TestService } from '../helpers/control.js';
import { rawRequest } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import { PATIENCE } from '../helpers/wine.js';

const XFF = 'enableXFF adds X-Forwarded-For to every request';
const REALTIME = 'socket.io/engine.io sessions are pinned to their worker by cookie (stickyRealtime)';

let t: TestService;
let client: ControlClient;
let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir('berth-lane-'));
  t = await startTestService({ mode: 'folders' });
  client = await t.connect();
});
after(async () => {
  await t.stop();
  await cleanup();
});

describe('control API: the app\'s lane', () => {
  test('fast by default; proxy with the reason after engine.io traffic and after a recycle into enableXFF; pushed as lane-changed', async () => {
    const pushed: EngineEvent[] = [];
    await client.subscribe('events.subscribe', {}, (event) => pushed.push(event));
    const lanes = () => pushed.filter((e): e is Extract<EngineEvent, { type: 'lane-changed' }> => e.type === 'lane-changed' && e.app === 'lanes');
    const folder = await copyFixture('counter', dir, 'lanes');
    const added = await client.call('apps.add', { folder });
    assert.equal(added.state, 'running');
    assert.deepEqual([added.lane, added.laneReasons], ['fast', []]);
    const detail = await client.call('apps.get', { app: 'lanes' });
    assert.deepEqual([detail.lane, detail.laneReasons], ['fast', []]);

    // engine.io traffic on a keep-alive connection marks the app: no event of its own, the lane change is the event.
    const port = t.service.engine.port;
    await rawRequest(port, 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: lanes.localhost\r\n\r\n', 'Hello, world');
    await eventually(() => lanes().length === 1, 10_000 * PATIENCE);
    assert.deepEqual(lanes()[0], { type: 'lane-changed', app: 'lanes', lane: 'proxy', reasons: [REALTIME] });
    assert.deepEqual((await client.call('apps.get', { app: 'lanes' })).laneReasons, [REALTIME]);

    // A setting that needs the proxy, written to berth.yml: the app recycles into it (a new generation, which has
    // seen no engine.io traffic yet), and the lane's reasons follow.
    const written = await client.call('config.set', { app: 'lanes', settings: { enableXFF: true } });
    assert.equal(written.takesEffect, 'recycle');
    await eventually(() => lanes().length === 2, 30_000 * PATIENCE);
    assert.deepEqual(lanes()[1], { type: 'lane-changed', app: 'lanes', lane: 'proxy', reasons: [XFF] });
    const recycled = pushed.findIndex((e) => e.type === 'recycle-succeeded');
    assert.ok(recycled >= 0 && recycled < pushed.indexOf(lanes()[1]!), 'the lane changes with the switch to the new generation');
    const after = await client.call('apps.get', { app: 'lanes' });
    assert.deepEqual([after.lane, after.laneReasons], ['proxy', [XFF]]);
    assert.deepEqual((await client.call('apps.list', {})).find((a) => a.name === 'lanes')!.laneReasons, [XFF]);

    // Stopped, it shows the lane its settings would take.
    const stopped = await client.call('apps.stop', { app: 'lanes' });
    assert.deepEqual([stopped.state, stopped.lane, stopped.laneReasons], ['stopped', 'proxy', [XFF]]);
    assert.equal(lanes().length, 2, 'stopping changes no lane');
  });
});
