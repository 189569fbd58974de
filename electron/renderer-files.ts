/**
 * Serving the built renderer (dist/renderer) under berth://app/: a request path maps to a file inside that folder
 * and nowhere else (pure mapping, tested), with its content type and the content security policy.
 */
import path from 'node:path';
import { ownFileType } from '../core/shared/mime.js';
import { APP_HOST, APP_SCHEME } from './origin.js';


/** The content type of a built file (the one table: core/shared/mime.ts). */
export function contentType(file: string): string {
  return ownFileType(file) ?? 'application/octet-stream';
}

/** The file for a berth://app/ URL inside `root`, or undefined (wrong host, escaping the folder, odd characters). */
export function assetPath(root: string, url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (relative.includes('\0') || relative.includes('\\')) return undefined;
  if (relative === '/' || relative === '') relative = '/index.html';
  const file = path.resolve(root, `.${relative}`);
  const inside = path.relative(root, file);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  return file;
}
