/**
 * A big or hostile settings file never stalls the engine (issue 16, item 3): while one app's 1 MB berth.yml is
 * refused and another's 250 KB one is read (on the parse thread), a third app keeps serving and the engine's event
 * loop keeps turning. Before the fix, such files held the engine's thread for seconds.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addRunningApp, startEngine, type TestEngine } from '../helpers/engine.js';
import { request } from '../helpers/http.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

describe('big settings files', () => {
  let t: TestEngine;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    t = await startEngine();
  });
  after(async () => {
    await t.stop();
    await cleanup();
  });

  test("a 1 MB and a 250 KB berth.yml are read while another app serves; the engine's loop stays responsive", async () => {
    await addRunningApp(t, await copyFixture('helloworld', dir, 'serving'));
    const huge = await copyFixture('counter', dir, 'huge');
    await writeFile(path.join(huge, 'berth.yml'), Array.from({ length: 40_000 }, (_, i) => `someUnknownSetting${i}: value${i}`).join('\n'));
    const big = await copyFixture('counter', dir, 'big');
    await writeFile(path.join(big, 'berth.yml'), `${Array.from({ length: 7_000 }, (_, i) => `someUnknownSetting${i}: v${i}`).join('\n')}\nmaxLogFiles: 4\n`);

    // The longest gap between turns of the event loop this test shares with the engine.
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    let served = 0;
    let loading = true;
    const client = (async () => {
      while (loading) {
        assert.equal((await request(t.port, { host: 'serving.localhost' })).status, 200);
        served++;
      }
    })();
    try {
      const hugeApp = await t.engine.addApp(huge);
      await t.waitFor((e) => e.type === 'app-state' && e.app === hugeApp.name && e.state === 'errored');
      assert.match(hugeApp.problem!.detail, /berth\.yml: is \d+ KB, over the 256 KB limit for settings files/);
      const bigApp = await addRunningApp(t, big);
      assert.equal(bigApp.settings.maxLogFiles, 4);
    } finally {
      loading = false;
      await client;
      clearInterval(ticker);
    }
    assert.ok(served > 0, 'the other app served during the load');
    // Generous for a busy machine: reading these files inline took seconds before.
    assert.ok(longestGap < 1000, `the event loop stalled for ${Math.round(longestGap)} ms`);
  });
});
