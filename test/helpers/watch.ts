/** A watched temporary app folder for the watcher's integration tests. */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createAppWatcher, type AppWatcher, type AppWatcherOptions, type ChangeTrigger } from '../../core/watch/index.js';
import { tempDir } from './paths.js';
import { eventually } from './wait.js';

/** The watcher's quiet window in these tests. */
export const DEBOUNCE_MS = 300;
/**
 * Long enough after a change to be sure no trigger is coming. Only for what has no later signal to wait on (a closed
 * watcher reports nothing); elsewhere `settle()` proves the absence by a trigger that comes after it.
 */
export const QUIET_MS = DEBOUNCE_MS + 1500;

export interface Harness {
  dir: string;
  watcher: AppWatcher;
  triggers: ChangeTrigger[];
  write(file: string, text?: string): Promise<void>;
  remove(file: string): Promise<void>;
  /** Waits until `count` triggers arrived, then returns the last. */
  trigger(count?: number): Promise<ChangeTrigger>;
  /**
   * Proves that no trigger is pending, without waiting a fixed time: changes `sentinel` (berth.yml always counts) and
   * waits for its trigger, which must be the next one and name only the sentinel. Every earlier change was seen
   * before it, so an unwanted trigger would have come first or been merged into it.
   */
  settle(sentinel?: string): Promise<void>;
}

/** An app folder with `files`, watched; closed and removed after the test. */
export async function watchApp(
  t: TestContext,
  files: Record<string, string>,
  options: Partial<AppWatcherOptions> | ((dir: string) => Partial<AppWatcherOptions>) = {},
): Promise<Harness> {
  const { dir, cleanup } = await tempDir('berth-watch-');
  const write = async (file: string, text = `// ${Date.now()} ${Math.random()}\n`) => {
    const full = path.join(dir, ...file.split('/'));
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  };
  for (const [file, text] of Object.entries(files)) await write(file, text);
  const watcher = createAppWatcher({ root: dir, debounceMs: DEBOUNCE_MS, ...(typeof options === 'function' ? options(dir) : options) });
  const triggers: ChangeTrigger[] = [];
  const errors: Error[] = [];
  watcher.on('change', (trigger) => triggers.push(trigger));
  watcher.on('error', (error) => errors.push(error));
  t.after(async () => {
    await watcher.close();
    await cleanup();
    assert.deepEqual(errors, [], 'no watcher errors');
  });
  await watcher.ready;
  return {
    dir,
    watcher,
    triggers,
    write,
    remove: (file) => rm(path.join(dir, ...file.split('/')), { recursive: true, force: true }),
    async trigger(count = 1) {
      await eventually(() => triggers.length >= count, 10_000);
      return triggers[count - 1]!;
    },
    async settle(sentinel = 'berth.yml') {
      const expected = triggers.length + 1;
      await write(sentinel);
      await eventually(() => triggers.length >= expected, 10_000);
      assert.deepEqual(triggers.slice(expected - 1).map((x) => x.files), [[sentinel]], `only the sentinel ${sentinel} triggered after ${expected - 1} trigger(s)`);
    },
  };
}
