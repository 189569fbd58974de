import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeBatcher, describeChanges, type ChangeTrigger, type Timers } from '../../core/watch/batcher.js';

/** Timers driven by hand: `advance(ms)` runs whatever falls due, in order. */
class FakeTimers implements Timers {
  now = 0;
  #next = 1;
  #due = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#due.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const [id, timer] = [...this.#due].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (id === undefined || !timer) break;
      this.#due.delete(id);
      this.now = timer.at;
      timer.callback();
    }
    this.now = until;
  }
}

function setup(options: { debounceMs?: number; maxWaitMs?: number; maxListed?: number } = {}) {
  const timers = new FakeTimers();
  const triggers: ChangeTrigger[] = [];
  const batcher = new ChangeBatcher({ debounceMs: 300, maxWaitMs: 2000, ...options, timers }, (t) => triggers.push(t));
  return { timers, triggers, batcher };
}

describe('ChangeBatcher', () => {
  test('one change is reported once, after the quiet window', () => {
    const { timers, triggers, batcher } = setup();
    batcher.record('server.js', 'changed');
    timers.advance(299);
    assert.equal(triggers.length, 0);
    assert.equal(batcher.pending, true);
    timers.advance(1);
    assert.deepEqual(triggers, [{ files: ['server.js'], first: 'server.js', count: 1, reason: 'server.js changed' }]);
    assert.equal(batcher.pending, false);
    assert.equal(timers.pendingTimers, 0);
    timers.advance(10_000);
    assert.equal(triggers.length, 1);
  });

  test('every change restarts the quiet window', () => {
    const { timers, triggers, batcher } = setup();
    batcher.record('a.js', 'changed');
    timers.advance(200);
    batcher.record('b.js', 'changed');
    timers.advance(200);
    batcher.record('c.js', 'added');
    timers.advance(299);
    assert.equal(triggers.length, 0);
    timers.advance(1);
    assert.equal(timers.now, 700);
    assert.deepEqual(triggers, [{ files: ['a.js', 'b.js', 'c.js'], first: 'a.js', count: 3, reason: '3 files changed (a.js, b.js, c.js)' }]);
  });

  test('a stream of changes that never pauses still triggers after the max wait, then starts a new batch', () => {
    const { timers, triggers, batcher } = setup();
    for (let t = 0; t < 3000; t += 100) {
      batcher.record(`f${t}.js`, 'changed');
      timers.advance(100);
    }
    assert.equal(triggers.length, 1);
    assert.equal(triggers[0]!.first, 'f0.js');
    assert.equal(triggers[0]!.count, 20, 'changes within the first 2 s');
    timers.advance(300);
    assert.equal(triggers.length, 2);
    assert.equal(triggers[1]!.first, 'f2000.js');
    assert.equal(triggers[1]!.count, 10);
  });

  test('a file changed many times counts once; its kinds merge', () => {
    const { timers, triggers, batcher } = setup();
    batcher.record('new.js', 'added');
    batcher.record('new.js', 'changed');
    batcher.record('new.js', 'changed');
    timers.advance(300);
    batcher.record('replaced.js', 'deleted');
    batcher.record('replaced.js', 'added');
    timers.advance(300);
    batcher.record('gone.js', 'changed');
    batcher.record('gone.js', 'deleted');
    timers.advance(300);
    assert.deepEqual(
      triggers.map((t) => [t.count, t.reason]),
      [
        [1, 'new.js added'],
        [1, 'replaced.js changed'],
        [1, 'gone.js deleted'],
      ],
    );
  });

  test('200 files in a burst: one trigger, all counted, the list capped', () => {
    const { timers, triggers, batcher } = setup({ maxListed: 100 });
    const names = Array.from({ length: 200 }, (_, i) => `src/file${i}.js`);
    for (const name of names) batcher.record(name, 'changed');
    timers.advance(300);
    assert.equal(triggers.length, 1);
    const [trigger] = triggers;
    assert.equal(trigger!.count, 200);
    assert.deepEqual(trigger!.files, names.slice(0, 100));
    assert.equal(trigger!.reason, '200 files changed (src/file0.js, src/file1.js, src/file2.js, …)');
  });

  test('flush reports at once; cancel drops pending changes and ignores later ones', () => {
    const { timers, triggers, batcher } = setup();
    batcher.flush();
    assert.equal(triggers.length, 0, 'nothing to flush');
    batcher.record('a.js', 'changed');
    batcher.flush();
    assert.equal(triggers.length, 1);
    batcher.record('b.js', 'changed');
    batcher.cancel();
    batcher.record('c.js', 'changed');
    timers.advance(5000);
    assert.equal(triggers.length, 1);
    assert.equal(timers.pendingTimers, 0);
    assert.equal(batcher.pending, false);
  });

  test('a max wait shorter than the debounce cannot cut the quiet window short', () => {
    const { timers, triggers, batcher } = setup({ debounceMs: 500, maxWaitMs: 100 });
    batcher.record('a.js', 'changed');
    timers.advance(499);
    assert.equal(triggers.length, 0);
    timers.advance(1);
    assert.equal(triggers.length, 1);
  });
});

describe('describeChanges', () => {
  test('one file names what happened to it; several are counted with the first three named', () => {
    assert.equal(describeChanges(['server.js'], 1, 'changed'), 'server.js changed');
    assert.equal(describeChanges(['lib/new.js'], 1, 'added'), 'lib/new.js added');
    assert.equal(describeChanges(['old.js'], 1, 'deleted'), 'old.js deleted');
    assert.equal(describeChanges(['a.js', 'b.js'], 2, 'deleted'), '2 files changed (a.js, b.js)');
    assert.equal(describeChanges(['a.js', 'b.js', 'c.js', 'd.js'], 4, 'changed'), '4 files changed (a.js, b.js, c.js, …)');
    assert.equal(describeChanges(['a.js', 'b.js', 'c.js'], 9, 'changed'), '9 files changed (a.js, b.js, c.js, …)');
  });
});
