import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'berth-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Copies a fixture app into a temporary folder (tests may change its files), with a package.json scope that makes
 * its .js files CommonJS as in a real iisnode app. Returns the app's folder.
 */
export async function copyFixture(name: string, into: string, as = name): Promise<string> {
  const target = path.join(into, as);
  await cp(path.join(FIXTURES, name), target, { recursive: true });
  await cp(path.join(FIXTURES, 'package.json'), path.join(into, 'package.json')).catch(() => undefined);
  return target;
}
