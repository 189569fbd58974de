import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogTail, type TailBatch } from '../../core/logs/tail.js';
import { eventually } from '../helpers/wait.js';

const b = (text: string) => Buffer.from(text, 'utf8');

/** Collects batches; `next()` waits for the next one. */
function collector() {
  const batches: TailBatch[] = [];
  const waiters: (() => void)[] = [];
  return {
    batches,
    callback: (batch: TailBatch) => {
      batches.push(batch);
      waiters.shift()?.();
    },
    async next(count = batches.length + 1, timeoutMs = 2000): Promise<TailBatch> {
      const deadline = Date.now() + timeoutMs;
      while (batches.length < count) {
        if (Date.now() > deadline) throw new Error(`no batch ${count} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 20);
        });
      }
      return batches[count - 1]!;
    },
  };
}

describe('LogTail', () => {
  test('splits chunks into lines per worker and stream, holding unfinished lines until their newline', () => {
    const tail = new LogTail();
    tail.push(1, 'stdout', b('one\ntw'));
    tail.push(2, 'stdout', b('other worker\n'));
    tail.push(1, 'stderr', b('err\r\n'));
    tail.push(1, 'stdout', b('o\nthree'));
    assert.deepEqual(
      tail.lines().map((l) => [l.pid, l.stream, l.text]),
      [
        [1, 'stdout', 'one'],
        [2, 'stdout', 'other worker'],
        [1, 'stderr', 'err'],
        [1, 'stdout', 'two'],
      ],
    );
    tail.end(1);
    assert.deepEqual(tail.lines(1).map((l) => l.text), ['three']);
    assert.deepEqual(
      tail.lines().map((l) => l.seq),
      [1, 2, 3, 4, 5],
    );
  });

  test('a multi-byte character split across chunks arrives whole', () => {
    const tail = new LogTail();
    const text = b('naïve ☃\n');
    tail.push(1, 'stdout', text.subarray(0, 3));
    tail.push(1, 'stdout', text.subarray(3, 8));
    tail.push(1, 'stdout', text.subarray(8));
    assert.equal(tail.lines()[0]!.text, 'naïve ☃');
  });

  test('keeps the last maxLines lines and at most about maxBytes', () => {
    const tail = new LogTail({ maxLines: 100 });
    for (let i = 0; i < 1000; i++) tail.push(1, 'stdout', b(`line ${i}\n`));
    const lines = tail.lines();
    assert.equal(lines.length, 100);
    assert.equal(lines[0]!.text, 'line 900');
    assert.equal(lines[99]!.text, 'line 999');

    const small = new LogTail({ maxBytes: 10_000 });
    for (let i = 0; i < 100; i++) small.push(1, 'stdout', b(`${'x'.repeat(1000)}\n`));
    assert.ok(small.lines().length < 10 && small.lines().length >= 1, String(small.lines().length));
  });

  test('the history wraps over whole lines only, in order, and keeps numbering across the wrap', () => {
    // 1000 bytes of history (maxBytes counts 2 per character); lines of 1 to 300 bytes, so the buffer wraps often.
    const tail = new LogTail({ maxBytes: 2000 });
    const texts: string[] = [];
    for (let i = 0; i < 500; i++) {
      const text = `${i}:${'é'.repeat((i * 37) % 150)}`;
      texts.push(text);
      tail.push(1 + (i % 3), i % 2 ? 'stderr' : 'stdout', b(`${text}\n`));
    }
    const lines = tail.lines();
    assert.ok(lines.length >= 3, String(lines.length));
    const kept = lines.reduce((sum, l) => sum + Buffer.byteLength(l.text), 0);
    assert.ok(kept <= 1000, `${kept} bytes kept`);
    const first = 500 - lines.length;
    assert.deepEqual(
      lines.map((l) => [l.seq, l.text, l.pid, l.stream]),
      texts.slice(first).map((text, k) => [first + k + 1, text, 1 + ((first + k) % 3), (first + k) % 2 ? 'stderr' : 'stdout']),
    );
  });

  test('a line longer than the whole history is kept as pieces marked cut, nothing in between lost', () => {
    const tail = new LogTail({ maxBytes: 200 }); // 100 bytes of history
    const long = 'abcdefghij'.repeat(25); // 250 bytes, one chunk
    tail.push(1, 'stdout', b(`${long}\n`));
    const pieces = tail.lines();
    // The oldest pieces were overwritten by the newest, but the last ones join up to the end of the line.
    assert.ok(pieces.length >= 1);
    assert.equal(pieces.map((l) => l.text).join(''), long.slice(long.length - pieces.map((l) => l.text).join('').length));
    assert.deepEqual(
      pieces.map((l) => l.cut ?? false),
      pieces.map((_, k) => k < pieces.length - 1),
    );
    assert.ok(pieces.every((l) => Buffer.byteLength(l.text) <= 100));
  });

  test('an unfinished line longer than maxLineBytes is passed on in pieces marked cut', () => {
    const tail = new LogTail({ maxLineBytes: 10 });
    tail.push(1, 'stdout', b('abcdefgh'));
    tail.push(1, 'stdout', b('ijklmn'));
    tail.push(1, 'stdout', b('op\n'));
    assert.deepEqual(
      tail.lines().map((l) => [l.text, l.cut ?? false]),
      [
        ['abcdefghijklmn', true],
        ['op', false],
      ],
    );
  });

  test('subscribe: the last N lines first, then new lines in order, batched', async () => {
    const tail = new LogTail({ batchMs: 30, batchLines: 1000 });
    for (let i = 0; i < 10; i++) tail.push(1, 'stdout', b(`old ${i}\n`));
    const c = collector();
    const unsubscribe = tail.subscribe({ lines: 3 }, c.callback);
    assert.equal(c.batches.length, 0, 'never called synchronously');
    const first = await c.next(1);
    assert.deepEqual(first.lines.map((l) => l.text), ['old 7', 'old 8', 'old 9']);
    assert.equal(first.dropped, 0);

    tail.push(2, 'stdout', b('new 1\nnew 2\n'));
    tail.push(1, 'stderr', b('new 3\n'));
    assert.equal(c.batches.length, 1, 'held for the batch interval, not sent at once');
    const second = await c.next(2);
    assert.deepEqual(second.lines.map((l) => l.text), ['new 1', 'new 2', 'new 3']);
    assert.deepEqual(second.lines.map((l) => l.stream), ['stdout', 'stdout', 'stderr']);
    assert.ok(second.lines.every((l, i, all) => i === 0 || l.seq === all[i - 1]!.seq + 1));

    unsubscribe();
    // A witness subscribed now gets the next line: by then an unsubscribed one would have had it too.
    const witness = collector();
    const stopWitness = tail.subscribe({ lines: 0 }, witness.callback);
    await witness.next(1);
    tail.push(1, 'stdout', b('after\n'));
    assert.deepEqual((await witness.next(2)).lines.map((l) => l.text), ['after']);
    stopWitness();
    assert.equal(c.batches.length, 2, 'nothing after unsubscribe');
    assert.equal(tail.subscriberCount, 0);
  });

  test('subscribe with no history: an empty first batch, then lines', async () => {
    const tail = new LogTail({ batchMs: 10 });
    tail.push(1, 'stdout', b('before\n'));
    const c = collector();
    tail.subscribe({ lines: 0 }, c.callback);
    assert.deepEqual((await c.next(1)).lines, []);
    tail.push(1, 'stdout', b('after\n'));
    assert.deepEqual((await c.next(2)).lines.map((l) => l.text), ['after']);
  });

  test('a full batch goes out at once, without waiting for the interval', async () => {
    const tail = new LogTail({ batchMs: 10_000, batchLines: 5 });
    const c = collector();
    tail.subscribe({}, c.callback);
    await c.next(1);
    tail.push(1, 'stdout', b('1\n2\n3\n4\n5\n'));
    const batch = await c.next(2, 1000);
    assert.deepEqual(batch.lines.map((l) => l.text), ['1', '2', '3', '4', '5']);
  });

  test('a slow subscriber gets the newest lines and a dropped count, others are unaffected', async () => {
    const tail = new LogTail({ maxLines: 100, batchMs: 5, batchLines: 50 });
    let release!: () => void;
    const slow: TailBatch[] = [];
    tail.subscribe({}, (batch) => {
      slow.push(batch);
      if (slow.length === 1) return new Promise<void>((resolve) => (release = resolve)); // busy after the first batch
      return undefined;
    });
    const fast = collector();
    tail.subscribe({}, fast.callback);
    await fast.next(1);
    while (slow.length < 1) await sleep(5);
    // Ten bursts of 100 lines, each in one tick: a subscriber that keeps up loses nothing.
    for (let round = 0; round < 10; round++) {
      for (let i = round * 100; i < round * 100 + 100; i++) tail.push(1, 'stdout', b(`n${i}\n`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The fast one saw every line: by then the slow one would have had a batch, had it not been held.
    const fastSeen = () => fast.batches.reduce((n, x) => n + x.lines.length, 0);
    await eventually(() => fastSeen() >= 1000, 5000, 5);
    assert.equal(slow.length, 1, 'held while busy');
    release();
    while (slow.length < 2) await sleep(5);
    const batch = slow[1]!;
    assert.equal(batch.dropped, 900);
    assert.equal(batch.lines.length, 100);
    assert.equal(batch.lines[0]!.text, 'n900');
    assert.equal(batch.lines.at(-1)!.text, 'n999');
    // The fast one saw every line, each once.
    const seen = fast.batches.flatMap((x) => x.lines.map((l) => l.text));
    assert.equal(seen.length, 1000);
    assert.equal(fast.batches.reduce((n, x) => n + x.dropped, 0), 0);
  });

  test('a throwing subscriber does not break the tail or the others', async () => {
    const tail = new LogTail({ batchMs: 5 });
    tail.subscribe({}, () => {
      throw new Error('subscriber bug');
    });
    const c = collector();
    tail.subscribe({}, c.callback);
    await c.next(1);
    tail.push(1, 'stdout', b('still here\n'));
    assert.deepEqual((await c.next(2)).lines.map((l) => l.text), ['still here']);
  });
});
