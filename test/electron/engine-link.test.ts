import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { connectControl } from '../../core/control/client.js';
import { startService } from '../../core/control/service.js';
import { readToken } from '../../core/control/token.js';
import { EngineLink, type ConnectClient } from '../../electron/engine-link.js';
import { copyFixture, REPO } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';
import type { EngineEvent } from '../../core/events.js';

const connectClient: ConnectClient = async (endpoint) => {
  const client = await connectControl(endpoint);
  return {
    call: (method, params) => client.call(method, ...([params] as never)),
    subscribe: (method, params, onPush) => client.subscribe(method, params, onPush),
    onClose: (listener) => client.onClose(listener),
    close: () => client.close(),
  };
};

describe("main's link to the engine", () => {
  test('keeps the apps list the tray shows, forwards events, and adds folders from a second launch', { timeout: 60_000 }, async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'berth-link-home-'));
    const apps = await mkdtemp(path.join(os.tmpdir(), 'berth-link-apps-'));
    const service = await startService({ home, mode: 'registry', host: '127.0.0.1', port: 0, env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') } });
    const link = new EngineLink(connectClient);
    const events: EngineEvent[] = [];
    let changes = 0;
    link.on('event', (e) => events.push(e));
    link.on('change', () => void changes++);
    try {
      await link.connect({ url: service.control!.url, token: (await readToken(home))! });
      assert.equal(link.connected, true);
      assert.deepEqual(link.apps, []);
      const folder = await copyFixture('counter', apps);
      const result = await link.addFolders([folder, path.join(apps, 'missing')]);
      assert.deepEqual(result.added, ['counter']);
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /is not a folder/);
      await eventually(() => link.apps.some((a) => a.name === 'counter' && a.state === 'running'), 15_000);
      assert.ok(events.some((e) => e.type === 'app-added' && e.app === 'counter'));
      assert.ok(changes >= 2);
      await link.call('apps.stop', { app: 'counter' });
      await eventually(() => link.apps.find((a) => a.name === 'counter')?.state === 'stopped', 15_000);

      // The engine going away disconnects the link (the tray then shows "starting").
      await service.stop(2000);
      await eventually(() => !link.connected, 5000);
      assert.deepEqual(link.apps, []);
      await assert.rejects(link.call('apps.list', {}), /not connected/);
    } finally {
      link.disconnect();
      await service.stop(2000);
      await rm(home, { recursive: true, force: true });
      await rm(apps, { recursive: true, force: true });
    }
  });
});
