/** File probes: the real file system, and a short-lived cache in front of a probe. */
import { stat } from 'node:fs/promises';
import type { FileKind, FileProbe } from './rewrite-rules.js';

/** A probe on the real file system (follows symbolic links; serveStaticFile checks where they lead). */
export const fsProbe: FileProbe = async (absolutePath) => {
  try {
    const st = await stat(absolutePath);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'none';
  } catch {
    return 'none';
  }
};

/** A probe that remembers answers for `ttlMs` (a request usually asks about the same few paths). */
export function cachedProbe(probe: FileProbe, ttlMs = 1000, maxEntries = 10_000, now: () => number = Date.now): FileProbe {
  const cache = new Map<string, { kind: FileKind; until: number }>();
  return async (absolutePath) => {
    const t = now();
    const hit = cache.get(absolutePath);
    if (hit && hit.until > t) return hit.kind;
    const kind = await probe(absolutePath);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(absolutePath, { kind, until: t + ttlMs });
    return kind;
  };
}
