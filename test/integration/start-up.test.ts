/**
 * When the engine's start-up ends (core/engine/start-up.ts), which lets V8 optimize again (v8-flags.ts): once every
 * app has left `starting`, running or failed, and at once when there is none. A real engine with real apps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endStartUpWhenAppsSettle } from '../../core/engine/start-up.js';
import { startEngine } from '../helpers/engine.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

test('start-up ends once every app has started or failed, not before, and once', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir('berth-start-up-');
  const engine = await startEngine();
  // The engine stops before its apps' folders go (Windows keeps a folder in use by a process).
  t.after(async () => {
    await engine.stop();
    await cleanup();
  });
  const apps = [
    await engine.engine.addApp(await copyFixture('helloworld', dir, 'first')),
    await engine.engine.addApp(await copyFixture('helloworld', dir, 'second')),
    await engine.engine.addApp(await copyFixture('crash-on-start', dir, 'broken')),
  ];
  const statesAtEnd: string[][] = [];
  const ended = new Promise<void>((resolve) => {
    endStartUpWhenAppsSettle(engine.engine, () => {
      statesAtEnd.push(apps.map((app) => app.state));
      resolve();
    });
  });
  assert.equal(statesAtEnd.length, 0, 'not ended while apps start');
  await ended;
  const [states] = statesAtEnd;
  assert.deepEqual(states!.slice(0, 2), ['running', 'running']);
  assert.notEqual(states![2], 'starting');
  // Later app events do not end it again.
  await engine.engine.stopApp('first');
  assert.equal(statesAtEnd.length, 1);
});

test('an engine without apps ends start-up at once', async () => {
  const engine = await startEngine();
  try {
    let ends = 0;
    endStartUpWhenAppsSettle(engine.engine, () => ends++);
    assert.equal(ends, 1);
  } finally {
    await engine.stop();
  }
});
