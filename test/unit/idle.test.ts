/** On-demand start and idle stop: the pure decision, and IdleStop's stop, shared wake and its order (no engine). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idleDecision, IdleStop, type IdleFacts, type IdleHost } from '../../core/app/idle.js';
import type { AppState } from '../../core/shared/types.js';

const facts = (changes: Partial<IdleFacts> = {}): IdleFacts => ({ idleTimeoutS: 60, state: 'running', lastActivityAt: 0, busy: 0, now: 60_000, ...changes });

describe('idleDecision', () => {
  test('idle for idleTimeout with nothing under way: stop', () => {
    assert.equal(idleDecision(facts()), 'stop');
    assert.equal(idleDecision(facts({ now: 120_000 })), 'stop');
  });

  test('not yet idle long enough: awake', () => {
    assert.equal(idleDecision(facts({ now: 59_999 })), 'awake');
  });

  test('a request, WebSocket or handed connection under way holds the app awake however long ago the last request came', () => {
    assert.equal(idleDecision(facts({ busy: 1, now: 10_000_000 })), 'held');
  });

  test('idleTimeout 0 never stops, and only a running app is stopped for idleness', () => {
    assert.equal(idleDecision(facts({ idleTimeoutS: 0, now: 10_000_000 })), 'off');
    for (const state of ['starting', 'stopping', 'stopped', 'sleeping', 'errored'] as AppState[]) assert.equal(idleDecision(facts({ state })), 'off', state);
  });
});

/** A host whose sleep and wake are ended by the test. */
function fakeHost(): IdleHost & { calls: string[]; appState: AppState; busyNow: number; endSleep: () => void; endWake: () => void } {
  let endSleep = () => {};
  let endWake = () => {};
  const host = {
    calls: [] as string[],
    appState: 'running' as AppState,
    busyNow: 0,
    state: () => host.appState,
    idleTimeoutS: () => 1,
    busy: () => host.busyNow,
    sleep: () => {
      host.calls.push('sleep');
      host.appState = 'stopping';
      return new Promise<void>((resolve) => (endSleep = () => ((host.appState = 'sleeping'), resolve())));
    },
    wake: () => {
      host.calls.push('wake');
      return new Promise<void>((resolve) => (endWake = () => ((host.appState = 'starting'), resolve())));
    },
    endSleep: () => endSleep(),
    endWake: () => endWake(),
  };
  return host;
}

describe('IdleStop', () => {
  test('measures idleness from the last request, and from the moment nothing was under way any more', () => {
    const host = fakeHost();
    const idle = new IdleStop(host);
    idle.touch(0);
    idle.check(999);
    assert.deepEqual(host.calls, []);
    host.busyNow = 1;
    idle.check(5_000); // a WebSocket is open: held
    host.busyNow = 0;
    idle.check(5_500);
    assert.deepEqual(host.calls, [], 'idle only since 5 s');
    idle.check(6_000);
    assert.deepEqual(host.calls, ['sleep']);
    idle.check(9_000);
    assert.deepEqual(host.calls, ['sleep'], 'one stop at a time');
  });

  test('requests that come while it stops for idleness share one promise: the stop ends, then one wake', async () => {
    const host = fakeHost();
    const idle = new IdleStop(host);
    idle.touch(0);
    idle.check(1_000);
    const first = idle.starting(host.appState);
    const second = idle.starting(host.appState);
    assert.ok(first);
    assert.equal(first, second, 'one shared promise, not one per request');
    await Promise.resolve();
    assert.deepEqual(host.calls, ['sleep'], 'no wake before the stop ends');
    host.endSleep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(host.calls, ['sleep', 'wake']);
    host.endWake();
    await first;
    assert.equal(idle.starting(host.appState), undefined, 'starting: requests go to the new workers');
  });

  test('a sleeping app wakes once for many requests; a running, stopped or user-stopping app does not wait', async () => {
    const host = fakeHost();
    host.appState = 'sleeping';
    const idle = new IdleStop(host);
    const waits = [idle.starting('sleeping'), idle.starting('sleeping'), idle.starting('sleeping')];
    assert.deepEqual(host.calls, ['wake']);
    assert.ok(waits.every((w) => w === waits[0]));
    host.endWake();
    await waits[0];
    for (const state of ['running', 'starting', 'stopped', 'stopping', 'errored'] as AppState[]) assert.equal(idle.starting(state), undefined, state);
  });

  test('when the user stops the app during an idle stop, waiting requests do not wake it', async () => {
    const host = fakeHost();
    const idle = new IdleStop(host);
    idle.touch(0);
    idle.check(1_000);
    const waiting = idle.starting('stopping')!;
    host.endSleep();
    host.appState = 'stopped'; // the user's stop came meanwhile: it ends in stopped
    await waiting;
    assert.deepEqual(host.calls, ['sleep']);
  });

  test('a failed wake still ends the wait (the request then gets the app\'s problem page)', async () => {
    const host = fakeHost();
    host.appState = 'sleeping';
    host.wake = () => Promise.reject(new Error('cannot start'));
    const idle = new IdleStop(host);
    await idle.starting('sleeping');
  });
});
