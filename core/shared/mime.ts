/**
 * The one table of content types by file extension, for every file Berth serves: an IIS-style site's static files
 * (core/iis/mime.ts applies web.config's changes to it), the web dashboard (core/ui/dashboard.ts) and the desktop
 * window's files (electron/renderer-files.ts). No Node modules: pure data.
 *
 * Types follow IIS's list where it had one, with today's registered types where IIS's were outdated
 * (`text/javascript` per RFC 9239, `font/woff2`), plus what modern front ends ship (`.mjs`, `.wasm`, `.map`,
 * `.webmanifest`, `.avif`). The table has no charset: IIS added none to a site's files, and a site's older files may
 * not be UTF-8. Berth's own files are UTF-8, and `ownFileType` says so.
 */

/** Key: the extension with its dot, lower case. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
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

/** The extension of a file name or path (either slash), with its dot, lower case; '' when it has none. */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** The content type of one of Berth's own built files (UTF-8 text gets its charset), or undefined for an unknown extension. */
export function ownFileType(fileName: string): string | undefined {
  const type = MIME_TYPES[extensionOf(fileName)];
  if (!type) return undefined;
  return type.startsWith('text/') || type === 'application/json' ? `${type}; charset=utf-8` : type;
}
