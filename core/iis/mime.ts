/**
 * Content types of static files. As IIS's static file handler did, Berth serves only files whose extension has a
 * MIME type: that is what keeps `.env`, `.yml`, `.config`, `.log`, `.ts` or `.pem` files of a site folder from being
 * downloadable. web.config `<staticContent><mimeMap>` adds types (and `<remove>`/`<clear/>` take them away) to the
 * one table, core/shared/mime.ts.
 */
import path from 'node:path';
import { MIME_TYPES } from '../shared/mime.js';
import type { CollectionOp } from './web-config.js';


/** The MIME map after web.config's `<staticContent>` changes (outermost first). Keys: `.ext`, lower case. */
export function mimeMapWith(ops: readonly CollectionOp<string>[]): Map<string, string> {
  const map = new Map(Object.entries(MIME_TYPES));
  for (const op of ops) {
    if (op.op === 'clear') map.clear();
    else if (op.op === 'remove') map.delete(op.key);
    else map.set(op.key, op.value);
  }
  return map;
}

/** The content type for a file name, or undefined when its extension has none (such files are not served). */
export function contentTypeFor(fileName: string, map: ReadonlyMap<string, string> = new Map(Object.entries(MIME_TYPES))): string | undefined {
  const ext = path.posix.extname(fileName.replace(/\\/g, '/')).toLowerCase();
  return ext ? map.get(ext) : undefined;
}
