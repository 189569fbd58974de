/**
 * `index.html` in the log folder: the list of log files, newest first. iisnode filled a JSON array into a template
 * and rendered it with JavaScript; Berth renders the table itself, so the page reads fine with scripts off, in a
 * text browser, or opened from disk, and the page can be served with a CSP that forbids scripts.
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeHtml, renderPage } from '../shared/page.js';
import { classifyFolderError } from '../util/file-in-the-way.js';
import { INDEX_FILE } from './naming.js';
import { listLogFiles, type LogFileEntry } from './quota.js';

export type IndexEntry = Pick<LogFileEntry, 'name' | 'computer' | 'pid' | 'stream' | 'created' | 'size'>;

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Newest first; within one millisecond, by name so the order is stable. */
function newestFirst(a: IndexEntry, b: IndexEntry): number {
  return b.created - a.created || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** The page for these files. Pure; every value from outside is escaped (names, computer names). */
export function renderLogIndex(files: readonly IndexEntry[], now: number): string {
  const rows = [...files]
    .sort(newestFirst)
    .map((f) => {
      const err = f.stream === 'stderr';
      const created = new Date(f.created).toISOString();
      return (
        `<tr${err ? ' class="stderr"' : ''}>` +
        `<td>${escapeHtml(f.computer)}</td>` +
        `<td>${f.pid}</td>` +
        `<td>${err ? '<span class="marker">&#9888; stderr</span>' : 'stdout'}</td>` +
        `<td><time datetime="${created}">${created}</time></td>` +
        `<td title="${f.size} bytes">${formatSize(f.size)}</td>` +
        `<td><a href="${escapeHtml(encodeURIComponent(f.name))}">${escapeHtml(f.name)}</a></td>` +
        `</tr>`
      );
    })
    .join('\n');
  const table = files.length
    ? `<table>
<thead><tr><th>Computer</th><th>PID</th><th>Stream</th><th>Created</th><th>Size</th><th>Log</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p>No log files yet. A worker\'s file appears when it first writes to stdout or stderr.</p>';
  const stamp = new Date(now).toISOString();
  return renderPage({
    title: 'Logs',
    head: '<meta name="robots" content="noindex">',
    body: `<h1>Log files</h1>\n${table}`,
    footer: `Index was last updated <time datetime="${stamp}">${stamp}</time> · Berth`,
    widthRem: 70,
    css: 'td:nth-child(2),td:nth-child(5){font-variant-numeric:tabular-nums}tr.stderr td{color:#b42318}.marker{font-weight:600}\n@media (prefers-color-scheme: dark){tr.stderr td{color:#ff7b72}}',
  });
}

export interface IndexUpdaterOptions {
  /** Rewrites are coalesced: one write at most this long after the first request. */
  debounceMs?: number;
  onError?: (error: NodeJS.ErrnoException) => void;
  now?: () => number;
}

/**
 * Keeps one folder's index.html current: `schedule()` after files appear or go; the rewrite runs later, once for a
 * burst of changes, off the hot path. Written to a temp file and renamed over the old page, so a reader never sees
 * half a page.
 */
export class LogIndexUpdater {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  private readonly debounceMs: number;

  constructor(
    readonly dir: string,
    private readonly options: IndexUpdaterOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 250;
  }

  /** Asks for a rewrite; many calls within the debounce time give one write. */
  schedule(): void {
    this.dirty = true;
    this.arm();
  }

  /** Resolves when the page on disk reflects every change scheduled before the call. */
  async flush(): Promise<void> {
    while (this.dirty || this.running) {
      this.disarm();
      if (this.running) await this.running;
      else await this.run();
    }
  }

  /** Writes the page now (and waits for it). */
  async update(): Promise<void> {
    this.dirty = true;
    await this.flush();
  }

  /** Stops the timer; later `schedule()` calls do nothing (`update()` still writes). */
  close(): void {
    this.closed = true;
    this.disarm();
  }

  private arm(): void {
    if (this.closed || this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.debounceMs);
    // A pending index rewrite must not keep the engine process alive on its own.
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): Promise<void> {
    if (this.running) return this.running;
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    this.running = this.write()
      .catch(async (error: NodeJS.ErrnoException) => this.options.onError?.(await classifyFolderError(error, this.dir)))
      .finally(() => {
        this.running = undefined;
        if (this.dirty) this.arm();
      });
    return this.running;
  }

  private async write(): Promise<void> {
    const files = await listLogFiles(this.dir);
    const html = renderLogIndex(files, (this.options.now ?? Date.now)());
    const temp = path.join(this.dir, `.${INDEX_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, html);
    try {
      await rename(temp, path.join(this.dir, INDEX_FILE));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }
}
