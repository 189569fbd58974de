import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generation } from '../../core/app/generation.js';
import { App, stickySlot } from '../../core/app/app.js';
import { defaultSettings } from '../../core/config/schema.js';
import type { AppWorker as Worker } from '../../core/app/generation.js';

/** Stand-ins with only what the balancer reads: state and active requests. */
function fakeWorkers(...specs: [Worker['state'], number][]): Worker[] {
  return specs.map(([state, active], i) => ({ state, active, pid: 100 + i }) as unknown as Worker);
}

function generationOf(workers: (Worker | undefined)[]): Generation {
  const g = new Generation(1, workers.length, {} as never);
  workers.forEach((w, i) => (g.slots[i] = w));
  return g;
}

const slotOf = (choice: ReturnType<Generation['choose']>) => ('worker' in choice ? choice.slot : choice.none);

describe('Generation.choose', () => {
  test("round robin follows iisnode's order: 1, 0, 1, 0 with two workers", () => {
    const g = generationOf(fakeWorkers(['ready', 0], ['ready', 0]));
    assert.deepEqual([1, 2, 3, 4].map(() => slotOf(g.choose('roundRobin', 10))), [1, 0, 1, 0]);
  });

  test('a starting worker keeps its turn; empty slots and stopping or exited workers are skipped', () => {
    const g = generationOf([...fakeWorkers(['starting', 0], ['stopping', 0]), undefined, ...fakeWorkers(['exited', 0], ['ready', 0])]);
    assert.deepEqual([1, 2, 3, 4].map(() => slotOf(g.choose('roundRobin', 10))), [4, 0, 4, 0]);
  });

  test('a worker at the cap is skipped for one with room; all full → full; no live worker → no-workers', () => {
    const g = generationOf(fakeWorkers(['ready', 2], ['ready', 1]));
    assert.equal(slotOf(g.choose('roundRobin', 2)), 1);
    assert.equal(slotOf(g.choose('roundRobin', 2)), 1);
    assert.equal(slotOf(g.choose('roundRobin', 1)), 'full');
    assert.equal(slotOf(generationOf([undefined, ...fakeWorkers(['exited', 0])]).choose('roundRobin', 5)), 'no-workers');
  });

  test('least busy picks the fewest active requests, ties in round-robin order', () => {
    const workers = fakeWorkers(['ready', 3], ['ready', 1], ['ready', 1]);
    const g = generationOf(workers);
    assert.equal(slotOf(g.choose('leastBusy', 10)), 1);
    workers[1]!.active = 2;
    assert.equal(slotOf(g.choose('leastBusy', 10)), 2);
    workers[2]!.active = 5;
    workers[0]!.active = 0;
    assert.equal(slotOf(g.choose('leastBusy', 10)), 0);
  });

  test('a preferred (sticky) slot wins while it has room, modulo the worker count', () => {
    const workers = fakeWorkers(['ready', 0], ['ready', 0]);
    const g = generationOf(workers);
    assert.equal(slotOf(g.choose('roundRobin', 1, 3)), 1);
    workers[1]!.active = 1;
    assert.equal(slotOf(g.choose('roundRobin', 1, 3)), 0, 'falls back when the sticky worker is full');
  });
});

describe('sticky cookie and error details', () => {
  test("stickySlot reads iisnode's cookie like atoi (at most 9 digits)", () => {
    assert.equal(stickySlot(undefined), undefined);
    assert.equal(stickySlot('iisnode.session.cookie=1'), 1);
    assert.equal(stickySlot('a=b; iisnode.session.cookie=12; c=d'), 12);
    assert.equal(stickySlot('xiisnode.session.cookie=1'), undefined);
    assert.equal(stickySlot('iisnode.session.cookie=abc'), undefined);
    assert.equal(stickySlot('iisnode.session.cookie=1234567890'), 123456789);
  });

  test('details go to loopback callers with devErrorsEnabled; to others only with devErrorsForRemote', () => {
    const app = new App('/nowhere', 'x', { platform: 'linux', env: {}, emit: () => undefined });
    const settings = defaultSettings();
    app.config = { settings, sources: {} as never, warnings: [], env: {}, envLines: {} };
    assert.equal(app.showErrorDetails(true), true);
    assert.equal(app.showErrorDetails(false), false);
    settings.devErrorsForRemote = true;
    assert.equal(app.showErrorDetails(false), true);
    settings.devErrorsEnabled = false;
    assert.equal(app.showErrorDetails(true), false);
  });
});
