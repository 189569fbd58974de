import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TailBuffer } from '../../core/util/tail-buffer.js';

const b = (text: string) => Buffer.from(text, 'utf8');

describe('TailBuffer', () => {
  test('keeps everything while under the limit', () => {
    const tail = new TailBuffer(10);
    tail.push(b('abc'));
    tail.push(b('def'));
    assert.equal(tail.text(), 'abcdef');
    assert.equal(tail.length, 6);
  });

  test('keeps exactly the last N bytes once over the limit', () => {
    const tail = new TailBuffer(10);
    tail.push(b('abc'));
    tail.push(b('def'));
    tail.push(b('ghijkl'));
    assert.equal(tail.text(), 'cdefghijkl');
    assert.equal(tail.length, 10);
    assert.equal(tail.bytes().length, 10);
  });

  test('starts empty', () => {
    const tail = new TailBuffer(16);
    assert.equal(tail.length, 0);
    assert.equal(tail.text(), '');
    assert.deepEqual(tail.lastLines(5), []);
  });

  test('many pushes of varying sizes: always the last N bytes of everything pushed', () => {
    for (const limit of [1, 7, 64, 1000]) {
      const tail = new TailBuffer(limit);
      let all = Buffer.alloc(0);
      let seed = limit;
      for (let i = 0; i < 500; i++) {
        seed = (seed * 48271) % 2147483647;
        const size = seed % (limit * 2 + 3);
        const chunk = Buffer.alloc(size, i % 256);
        if (size > 0) chunk[0] = (i * 7) % 256;
        tail.push(chunk);
        all = Buffer.concat([all, chunk]);
        const expected = all.subarray(Math.max(0, all.length - limit));
        assert.ok(tail.bytes().equals(expected), `limit ${limit}, push ${i}`);
        assert.equal(tail.length, expected.length);
      }
    }
  });

  test('one huge push keeps its last N bytes', () => {
    const tail = new TailBuffer(1024);
    tail.push(b('early output\n'));
    const huge = Buffer.alloc(5 * 1024 * 1024, 'x');
    huge.write('THE END', huge.length - 7);
    tail.push(huge);
    assert.equal(tail.length, 1024);
    assert.equal(tail.bytes().length, 1024);
    assert.ok(tail.text().endsWith('xTHE END'));
    assert.ok(!tail.text().includes('early'));
    tail.push(b('!'));
    assert.equal(tail.length, 1024);
    assert.ok(tail.text().endsWith('THE END!'));
  });

  test('a push of exactly the limit replaces everything', () => {
    const tail = new TailBuffer(4);
    tail.push(b('ab'));
    tail.push(b('wxyz'));
    assert.equal(tail.text(), 'wxyz');
  });

  test('does not keep a reference to a huge buffer it only needs the end of', () => {
    const tail = new TailBuffer(8);
    const huge = Buffer.alloc(1024, 'a');
    tail.push(huge);
    huge.fill('b');
    assert.equal(tail.text(), 'aaaaaaaa');
  });

  test('lastLines: the last non-empty lines, CRLF or LF', () => {
    const tail = new TailBuffer(1000);
    tail.push(b('one\r\ntwo\n\n   \nthree\r\nfour\n'));
    assert.deepEqual(tail.lastLines(2), ['three', 'four']);
    assert.deepEqual(tail.lastLines(10), ['one', 'two', 'three', 'four']);
  });

  test('lastLines(0) is no lines', () => {
    const tail = new TailBuffer(1000);
    tail.push(b('one\ntwo\n'));
    assert.deepEqual(tail.lastLines(1), ['two']);
    assert.deepEqual(tail.lastLines(0), []);
  });

  test('lastLines keeps a last line without a newline, and lines split across pushes', () => {
    const tail = new TailBuffer(1000);
    tail.push(b('Error: bo'));
    tail.push(b('om\n    at main (app.js:1:1)\n    at next'));
    assert.deepEqual(tail.lastLines(3), ['Error: boom', '    at main (app.js:1:1)', '    at next']);
  });

  test('lastLines after trimming starts with the partial first line', () => {
    const tail = new TailBuffer(10);
    tail.push(b('first line\nsecond\n'));
    assert.deepEqual(tail.lastLines(5), ['ne', 'second']);
  });
});
