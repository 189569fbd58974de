/**
 * The polling backend's false changes: a BigInt stat (what chokidar's initial scan holds on Windows) and a number
 * stat of the same untouched file are the same state; a real change is still a change. Real files, real stats.
 */
import assert from 'node:assert/strict';
import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PollCheck, sameFileState } from '../../core/watch/poll-check.js';
import { tempDir } from '../helpers/paths.js';

async function file(t: { after(fn: () => Promise<void>): void }, text: string): Promise<string> {
  const { dir, cleanup } = await tempDir('berth-poll-check-');
  t.after(cleanup);
  const full = path.join(dir, 'old.js');
  await writeFile(full, text);
  return full;
}

test('a BigInt stat and a number stat of an untouched file are the same state', async (t) => {
  const full = await file(t, 'x');
  // A mtime with sub-millisecond digits: BigInt mtimeMs drops them, so the comparison must use mtimeNs.
  await utimes(full, 1_700_000_000.123456, 1_700_000_000.123456);
  const big = await stat(full, { bigint: true });
  const plain = await stat(full);
  assert.notEqual(big.size as unknown, plain.size as unknown, 'the raw fields differ in type (the chokidar bug)');
  assert.equal(sameFileState(big, plain), true);
  assert.equal(sameFileState(plain, big), true);
});

test('a change of size or of mtime is a change, whatever the stats kind', async (t) => {
  const full = await file(t, 'x');
  const before = await stat(full, { bigint: true });
  await writeFile(full, 'longer');
  assert.equal(sameFileState(before, await stat(full)), false, 'size');
  const sized = await stat(full, { bigint: true });
  await utimes(full, 1_600_000_000, 1_600_000_000);
  assert.equal(sameFileState(sized, await stat(full)), false, 'mtime');
});

test('PollCheck drops one change after a poll that found nothing new, and keeps real ones', async (t) => {
  const full = await file(t, 'x');
  const check = new PollCheck();
  check.raw('change', full, { previous: await stat(full, { bigint: true }), current: await stat(full) });
  assert.equal(check.isRealChange(full), false, 'the false change is dropped');
  assert.equal(check.isRealChange(full), true, 'and only once');

  const before = await stat(full);
  await writeFile(full, 'longer');
  check.raw('change', full, { previous: before, current: await stat(full) });
  assert.equal(check.isRealChange(full), true);

  // Native events carry no stats and are never dropped.
  check.raw('rename', 'old.js', { watchedPath: path.dirname(full) });
  assert.equal(check.isRealChange(full), true);
});
