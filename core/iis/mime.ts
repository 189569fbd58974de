/**
 * Content types of static files. As IIS's static file handler did, Berth serves only files whose extension has a
 * MIME type: that is what keeps `.env`, `.yml`, `.config`, `.log`, `.ts` or `.pem` files of a site folder from being
 * downloadable. web.config `<staticContent><mimeMap>` adds types (and `<remove>`/`<clear/>` take them away).
 *
 * Types follow IIS's list where it had one, with today's registered types where IIS's were outdated
 * (`text/javascript` per RFC 9239, `font/woff2`), plus what modern front ends ship (`.mjs`, `.wasm`, `.map`,
 * `.webmanifest`, `.avif`). No charset is added: IIS added none, and a site's older files may not be UTF-8.
 */
import path from 'node:path';
import type { CollectionOp } from './web-config.js';

export const DEFAULT_MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.xml': 'text/xml',
  '.rss': 'application/rss+xml',
  '.atom': 'application/atom+xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.oga': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
  '.ogg': 'video/ogg',
  '.ogv': 'video/ogg',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.wasm': 'application/wasm',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.rtf': 'application/rtf',
};

/** The MIME map after web.config's `<staticContent>` changes (outermost first). Keys: `.ext`, lower case. */
export function mimeMapWith(ops: readonly CollectionOp<string>[]): Map<string, string> {
  const map = new Map(Object.entries(DEFAULT_MIME_TYPES));
  for (const op of ops) {
    if (op.op === 'clear') map.clear();
    else if (op.op === 'remove') map.delete(op.key);
    else map.set(op.key, op.value);
  }
  return map;
}

/** The content type for a file name, or undefined when its extension has none (such files are not served). */
export function contentTypeFor(fileName: string, map: ReadonlyMap<string, string> = new Map(Object.entries(DEFAULT_MIME_TYPES))): string | undefined {
  const ext = path.posix.extname(fileName.replace(/\\/g, '/')).toLowerCase();
  return ext ? map.get(ext) : undefined;
}
