import { describe, expect, it } from 'vitest';
import { areaPath, linePath, niceMax } from '../src/util/chart.js';
import { notFolderMessage, planDrop } from '../src/util/drop.js';
import { formatBytes, formatDuration, formatRate } from '../src/util/format.js';
import { Ring } from '../src/util/ring.js';
import { isAtBottom, virtualWindow } from '../src/util/virtual.js';
import { vscodeAttachConfig } from '../src/util/vscode.js';
import { groupSettings } from '../src/util/setting-groups.js';
import { logFolder, logUrl } from '../../core/shared/log-folder.js';
import { overallState } from '../../core/shared/overall-state.js';

describe('Ring', () => {
  it('drops the oldest items past its capacity and reads in order', () => {
    const ring = new Ring<number>(3);
    ring.pushAll([1, 2, 3, 4, 5]);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.at(0)).toBe(3);
    expect(ring.at(3)).toBeUndefined();
    expect(ring.dropped).toBe(2);
    ring.clear();
    expect(ring.length).toBe(0);
  });
});

describe('virtual window', () => {
  it('renders only the rows in view plus the overscan', () => {
    const w = virtualWindow(10_000, 20, 20 * 5000, 400, 8);
    expect(w.start).toBe(4992);
    expect(w.end).toBe(5000 + 21 + 8);
    expect(w.offsetTop).toBe(4992 * 20);
    expect(w.totalHeight).toBe(200_000);
    expect(virtualWindow(0, 20, 0, 400)).toMatchObject({ start: 0, end: 0 });
    expect(virtualWindow(5, 20, 0, 400)).toMatchObject({ start: 0, end: 5 });
  });
  it('knows when the view is at the bottom', () => {
    expect(isAtBottom(580, 400, 1000, 20)).toBe(true);
    expect(isAtBottom(500, 400, 1000, 20)).toBe(false);
  });
});

describe('chart geometry', () => {
  it('rounds the axis up to 1, 2 or 5 × 10^n', () => {
    expect(niceMax(73)).toBe(100);
    expect(niceMax(140)).toBe(200);
    expect(niceMax(4.1e6)).toBe(5e6);
    expect(niceMax(0)).toBe(1);
  });
  it('maps time to x (now at the right) and value to y, leaving out samples older than the window', () => {
    const o = { now: 1000, windowMs: 1000, max: 100, width: 200, height: 100 };
    expect(linePath([{ t: -5, v: 50 }, { t: 0, v: 0 }, { t: 500, v: 50 }, { t: 1000, v: 100 }], o)).toBe('M0.0,100.0L100.0,50.0L200.0,0.0');
    expect(areaPath([{ t: 500, v: 50 }, { t: 1000, v: 100 }], o)).toBe('M100.0,50.0L200.0,0.0L200.0,100L100.0,100Z');
    expect(linePath([], o)).toBe('');
  });
});

describe('drops', () => {
  it('adds folders with paths, refuses files, and asks for paths the page cannot see', () => {
    expect(planDrop([
      { name: 'shop', kind: 'folder', path: '/w/shop' },
      { name: 'notes.txt', kind: 'file', path: '/w/notes.txt' },
      { name: 'api', kind: 'folder' },
      { name: 'x', kind: 'unknown', path: '/w/x' },
    ])).toEqual({ add: ['/w/shop', '/w/x'], notFolders: ['notes.txt'], needPath: ['api'] });
    expect(notFolderMessage(['a.txt'])).toMatch(/^a.txt is a file, not a folder\./);
    expect(notFolderMessage(['a.txt', 'b.js', 'c.md'])).toMatch(/^a.txt, b.js and c.md are files, not folders\./);
  });
});

describe('formatting', () => {
  it('formats memory, durations and rates for people', () => {
    expect(formatBytes(52_428_800)).toBe('50.0 MB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
    expect(formatBytes(null)).toBe('—');
    expect(formatDuration(65_000)).toBe('1m 5s');
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe('3h 1m');
    expect(formatRate(0)).toBe('0');
    expect(formatRate(2.345)).toBe('2.3');
    expect(formatRate(123.4)).toBe('123');
  });
});

describe('shared with the main process', () => {
  it('one overall state: failed beats starting beats running', () => {
    expect(overallState([])).toBe('empty');
    expect(overallState([{ state: 'running' }, { state: 'stopped' }])).toBe('running');
    expect(overallState([{ state: 'running' }, { state: 'starting' }])).toBe('starting');
    expect(overallState([{ state: 'starting' }, { state: 'errored' }])).toBe('failed');
    expect(overallState([{ state: 'missing' }])).toBe('failed');
    expect(overallState([{ state: 'stopped' }])).toBe('stopped');
    // Sleeping (onDemand, idle) is calm: it serves at the next request.
    expect(overallState([{ state: 'sleeping' }, { state: 'stopped' }])).toBe('running');
    expect(overallState([{ state: 'sleeping' }, { state: 'starting' }])).toBe('starting');
  });
  it('finds the log folder next to the entry script, or takes an absolute logDirectory as it is', () => {
    expect(logFolder({ folder: 'C:\\apps\\shop', entry: 'C:\\apps\\shop\\src\\server.js', logDirectory: 'iisnode' })).toBe('C:\\apps\\shop\\src\\iisnode');
    expect(logFolder({ folder: '/w/shop', entry: null, logDirectory: undefined })).toBe('/w/shop/iisnode');
    expect(logFolder({ folder: '/w/shop', entry: '/w/shop/a.js', logDirectory: 'D:\\logs' })).toBe('D:\\logs');
    expect(logUrl('http://shop.localhost:8080/', 'logs\\app')).toBe('http://shop.localhost:8080/logs/app/');
  });
  it('builds the VS Code attach entry the engine builds', () => {
    expect(vscodeAttachConfig('shop', 5058, '/w/shop')).toEqual({
      type: 'node',
      request: 'attach',
      name: 'Berth: shop',
      address: '127.0.0.1',
      port: 5058,
      localRoot: '/w/shop',
      remoteRoot: '/w/shop',
      skipFiles: ['<node_internals>/**'],
    });
  });
  it('groups settings, with unknown ones under Other', () => {
    const groups = groupSettings([{ name: 'loggingEnabled' }, { name: 'brandNewSetting' }, { name: 'entry' }]);
    expect(groups.map((g) => [g.title, g.settings.map((s) => s.name)])).toEqual([
      ['Processes', ['entry']],
      ['Logs', ['loggingEnabled']],
      ['Other (mostly kept for iisnode compatibility)', ['brandNewSetting']],
    ]);
  });
});
