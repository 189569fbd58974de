import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. This file runs from dist/test/bench/lib/. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The benchmark's source folder. Its apps and the cluster reference are plain JavaScript that tsc does not copy into
 * dist/, so they are used from here.
 */
export const BENCH_SOURCE = path.join(REPO, 'test', 'bench');
