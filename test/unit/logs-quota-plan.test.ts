import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeLogProblem } from '../../core/logs/capture.js';
import { renderLogIndex } from '../../core/logs/index-page.js';
import { logFileName } from '../../core/logs/naming.js';
import { planPurge, type LogFileEntry } from '../../core/logs/quota.js';

const DAY = 24 * 60 * 60 * 1000;

function entry(pid: number, created: number, size: number, mtimeMs = created, stream: 'stdout' | 'stderr' = 'stdout'): LogFileEntry {
  const name = logFileName('PC', pid, stream, created);
  return { name, path: `/logs/${name}`, computer: 'PC', pid, stream, created, size, mtimeMs };
}

const none = () => false;
const names = (plan: ReturnType<typeof planPurge>) => plan.delete.map((d) => d.file.name);

describe('planPurge', () => {
  test('within the limits: nothing to delete', () => {
    const files = [entry(1, 1000, 10), entry(1, 2000, 10)];
    const plan = planPurge(files, { maxLogFiles: 2, maxTotalBytes: 20 }, none, 5000);
    assert.deepEqual(plan.delete, []);
    assert.equal(plan.stillOver, false);
  });

  test('by count: the oldest (by the time in the name) go first, until the count holds', () => {
    const files = [entry(3, 3000, 1), entry(1, 1000, 1), entry(4, 4000, 1), entry(2, 2000, 1)];
    const plan = planPurge(files, { maxLogFiles: 2, maxTotalBytes: 0 }, none, 5000);
    assert.deepEqual(names(plan), ['PC-1-stdout-1000.txt', 'PC-2-stdout-2000.txt']);
    assert.deepEqual(
      plan.delete.map((d) => d.reason),
      ['count', 'count'],
    );
  });

  test('by total size: oldest first until the total fits', () => {
    const files = [entry(1, 1000, 600), entry(2, 2000, 600), entry(3, 3000, 600)];
    const plan = planPurge(files, { maxLogFiles: 0, maxTotalBytes: 1000 }, none, 5000);
    assert.deepEqual(names(plan), ['PC-1-stdout-1000.txt', 'PC-2-stdout-2000.txt']);
    assert.equal(plan.delete[0]!.reason, 'size');
  });

  test('the time in the name wins over mtime; mtime breaks ties within one millisecond', () => {
    const a = entry(1, 1000, 1, 9000); // started first, written last
    const b = entry(2, 2000, 1, 2000);
    const c = entry(3, 2000, 1, 1500); // same millisecond as b, older mtime
    const plan = planPurge([a, b, c], { maxLogFiles: 1, maxTotalBytes: 0 }, none, 10000);
    assert.deepEqual(names(plan), [a.name, c.name]);
  });

  test('never a file being written, even if that leaves the quota exceeded', () => {
    const old = entry(1, 1000, 500);
    const newest = entry(3, 3000, 500);
    const files = [old, entry(2, 2000, 500), newest];
    const plan = planPurge(files, { maxLogFiles: 1, maxTotalBytes: 0 }, (p) => p === old.path, 5000);
    assert.deepEqual(names(plan), ['PC-2-stdout-2000.txt', 'PC-3-stdout-3000.txt']);
    assert.equal(plan.stillOver, false);
    const twoActive = planPurge(files, { maxLogFiles: 1, maxTotalBytes: 0 }, (p) => p === old.path || p === newest.path, 5000);
    assert.deepEqual(names(twoActive), ['PC-2-stdout-2000.txt']);
    assert.equal(twoActive.stillOver, true);
  });

  test('retention: files last written before the cutoff go, whatever the quotas; 0 keeps them', () => {
    const now = 100 * DAY;
    const ancient = entry(1, 80 * DAY, 1, 80 * DAY);
    const recentlyWritten = entry(2, 80 * DAY + 1, 1, 99 * DAY);
    const fresh = entry(3, 99 * DAY, 1);
    const files = [ancient, recentlyWritten, fresh];
    const plan = planPurge(files, { maxLogFiles: 0, maxTotalBytes: 0, retentionDays: 7 }, none, now);
    assert.deepEqual(names(plan), [ancient.name]);
    assert.equal(plan.delete[0]!.reason, 'retention');
    assert.deepEqual(planPurge(files, { maxLogFiles: 0, maxTotalBytes: 0, retentionDays: 0 }, none, now).delete, []);
    assert.deepEqual(planPurge(files, { maxLogFiles: 0, maxTotalBytes: 0, retentionDays: 7 }, (p) => p === ancient.path, now).delete, []);
  });

  test('0 means no limit for count and size', () => {
    const files = Array.from({ length: 50 }, (_, i) => entry(i, i + 1, 1e9));
    assert.deepEqual(planPurge(files, { maxLogFiles: 0, maxTotalBytes: 0 }, none, 100).delete, []);
  });
});

describe('renderLogIndex', () => {
  const files = [
    { ...entry(10, Date.UTC(2024, 0, 1), 2048), computer: 'PC' },
    { ...entry(11, Date.UTC(2024, 0, 3), 10, undefined, 'stderr'), computer: 'PC' },
    { ...entry(12, Date.UTC(2024, 0, 2), 5 * 1024 * 1024), computer: 'PC' },
  ];
  const html = renderLogIndex(files, Date.UTC(2024, 0, 4));

  test('one row per file, newest first, with computer, pid, stream, ISO time, size and link', () => {
    const rows = html.match(/<tr[ >].*<\/tr>/g)!.slice(1); // skip the header row
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /<td>11<\/td>/);
    assert.match(rows[1]!, /<td>12<\/td>/);
    assert.match(rows[2]!, /<td>10<\/td>/);
    assert.match(rows[2]!, /<td>PC<\/td><td>10<\/td><td>stdout<\/td><td><time datetime="2024-01-01T00:00:00.000Z">2024-01-01T00:00:00.000Z<\/time><\/td><td title="2048 bytes">2.0 KB<\/td><td><a href="PC-10-stdout-1704067200000.txt">PC-10-stdout-1704067200000.txt<\/a><\/td>/);
    assert.match(rows[1]!, /5\.0 MB/);
    assert.match(html, /Index was last updated <time datetime="2024-01-04T00:00:00.000Z">/);
  });

  test('stderr rows carry a class and a visible marker', () => {
    const rows = html.match(/<tr[ >].*<\/tr>/g)!.slice(1);
    assert.match(rows[0]!, /^<tr class="stderr">/);
    assert.match(rows[0]!, /<span class="marker">&#9888; stderr<\/span>/);
    assert.doesNotMatch(rows[1]!, /stderr/);
  });

  test('readable without JavaScript, and everything from outside escaped', () => {
    assert.doesNotMatch(html, /<script/i);
    const evil = renderLogIndex([{ name: 'x"><script>.txt', computer: '<b>&', pid: 1, stream: 'stdout', created: 0, size: 0 }], 0);
    assert.doesNotMatch(evil, /<script|<b>/);
    assert.match(evil, /&lt;b&gt;&amp;/);
    assert.match(evil, /href="x%22%3E%3Cscript%3E.txt"/);
  });

  test('an empty folder says so', () => {
    assert.match(renderLogIndex([], 0), /No log files yet/);
  });
});

describe('describeLogProblem', () => {
  test('names the folder, the code, what happens meanwhile and what to do', () => {
    const text = describeLogProblem({ path: '/x/file/logs', code: 'ENOTDIR', operation: 'open' }, '/x/file/logs', 1024 * 1024, 5000);
    assert.match(text, /"\/x\/file\/logs"/);
    assert.match(text, /ENOTDIR: a part of the path is a file, not a folder/);
    assert.match(text, /the last 1 MB per worker and stream/);
    assert.match(text, /retries every 5 s/);
    assert.match(text, /To fix: remove or rename that file/);
    assert.match(describeLogProblem({ path: '/l/a.txt', code: 'ENOSPC', operation: 'write' }, '/l', 64 * 1024, 5000), /disk is full.*64 KB.*free disk space/);
    assert.match(describeLogProblem({ path: '/l', code: 'EWEIRD', operation: 'open', error: new Error('odd failure') }, '/l', 1, 1000), /EWEIRD: odd failure/);
  });
});
