/**
 * URL paths of an IIS-style site: mount paths, decoding and dot-segment removal (what http.sys did before IIS saw
 * a URL), scopes of web.config files and `<location>` elements, and the step from a URL path to a file in the site
 * folder. Pure, with the platform injected, so the Windows rules are tested on any machine.
 */
import path from 'node:path';
import { segmentProblem } from '../logs/path-safety.js';
import type { Platform } from '../platform/platform.js';

/**
 * A mount path in its normal form: `''` for the root, else `/a/b` (leading slash, no trailing slash). Undefined when
 * it cannot be a mount path (no leading slash, dot segments, query, fragment, backslash, control characters).
 */
export function normalizeMountPath(mount: string | undefined): string | undefined {
  if (mount === undefined || mount === '' || mount === '/') return '';
  if (!mount.startsWith('/') || /[?#\\\u0000-\u001f\u007f]/.test(mount)) return undefined;
  const segments = mount.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || /%2e/i.test(s))) return undefined;
  return segments.length ? `/${segments.join('/')}` : '';
}

/** Splits a request target into its path and its query (without `?`; undefined when there is no `?`). */
export function splitTarget(target: string): { path: string; query: string | undefined } {
  const hash = target.indexOf('#');
  const clean = hash < 0 ? target : target.slice(0, hash);
  const q = clean.indexOf('?');
  return q < 0 ? { path: clean, query: undefined } : { path: clean.slice(0, q), query: clean.slice(q + 1) };
}

/** Percent-decodes a URL path as http.sys did (`%2F` becomes `/`); undefined when the encoding is malformed. */
export function decodeUrlPath(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Removes `.` and `..` segments and collapses repeated slashes in a decoded absolute path (RFC 3986 §5.2.4, as
 * http.sys normalized URLs). A trailing slash is kept; a path ending in `.` or `..` ends with a slash. Undefined when
 * `..` would climb above the root.
 */
export function removeDotSegments(decoded: string): string | undefined {
  const parts = decoded.split('/');
  const out: string[] = [];
  let trailing = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '' ) {
      if (last && i > 0) trailing = true;
      continue;
    }
    if (part === '.') {
      if (last) trailing = true;
      continue;
    }
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      if (last) trailing = true;
      continue;
    }
    out.push(part);
    trailing = false;
  }
  if (out.length === 0) return '/';
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

/**
 * The part of a normalized absolute path below the mount, without a leading slash (`''` for the mount itself), or
 * undefined when the path is not under the mount. IIS compared URL paths case-insensitively, so this does too.
 * `mount` is in normal form (normalizeMountPath).
 */
export function belowMount(normalizedPath: string, mount: string): string | undefined {
  if (mount === '') return normalizedPath.replace(/^\//, '');
  const lower = normalizedPath.toLowerCase();
  const m = mount.toLowerCase();
  if (lower === m) return '';
  if (lower.startsWith(`${m}/`)) return normalizedPath.slice(mount.length + 1);
  return undefined;
}

/** The segments of a site-relative path (`a/b/` → `['a', 'b']`). */
export function segmentsOf(rel: string): string[] {
  return rel.split('/').filter((s) => s !== '');
}

/** Whether a site-relative path names a directory in URL terms (empty, or ends with a slash). */
export function endsWithSlash(rel: string): boolean {
  return rel === '' || rel.endsWith('/');
}

/**
 * Whether a configuration scope (a site-relative path such as `''`, `api` or `api/hello.js`) covers a site-relative
 * path: equal to it or a parent of it, segment by segment, case-insensitively (IIS configuration paths are).
 */
export function scopeCovers(scope: string, rel: string): boolean {
  const s = segmentsOf(scope);
  if (s.length === 0) return true;
  const r = segmentsOf(rel);
  if (r.length < s.length) return false;
  return s.every((seg, i) => seg.toLowerCase() === r[i]!.toLowerCase());
}

/** The path below a scope (`scope` covers `rel`), without a leading slash, trailing slash kept. */
export function belowScope(scope: string, rel: string): string {
  const n = segmentsOf(scope).length;
  if (n === 0) return rel;
  const r = segmentsOf(rel);
  const rest = r.slice(n).join('/');
  return rest === '' ? '' : `${rest}${rel.endsWith('/') ? '/' : ''}`;
}

/** Joins a scope and a relative path with `/`. */
export function joinRel(scope: string, rel: string): string {
  const s = segmentsOf(scope).join('/');
  if (s === '') return rel.replace(/^\/+/, '');
  const r = rel.replace(/^\/+/, '');
  return r === '' ? `${s}/` : `${s}/${r}`;
}

/** A Windows 8.3 short name (`WEB~1.CON`), which on NTFS can open a file under its long name. */
export function isShortName(segment: string): boolean {
  return /~\d/.test(segment);
}

/**
 * Why a decoded path segment cannot name a file of the site, or undefined when it may be looked up: the log
 * folder's rules (separators, dot segments, control characters, drive letters, device names, colons, and on
 * Windows trailing dots or spaces and reserved characters) plus Windows 8.3 short names.
 */
export function fileSegmentProblem(segment: string, platform: Platform): string | undefined {
  const problem = segmentProblem(segment, platform);
  if (problem) return problem;
  if (platform === 'win32' && isShortName(segment)) return 'short (8.3) file name';
  return undefined;
}

/**
 * The file a site-relative path names, with the platform's own path rules, or undefined when some segment cannot
 * name a file (see fileSegmentProblem). Nothing outside `root` can come out of this.
 */
export function physicalPath(root: string, rel: string, platform: Platform = process.platform): string | undefined {
  const segments = segmentsOf(rel);
  if (segments.some((s) => fileSegmentProblem(s, platform) !== undefined)) return undefined;
  const p = platform === 'win32' ? path.win32 : path.posix;
  return segments.length ? p.join(root, ...segments) : p.normalize(root);
}

function fold(s: string, platform: Platform): string {
  return platform === 'win32' || platform === 'darwin' ? s.toLowerCase() : s;
}

/**
 * Whether `child` is `folder` itself or lies anywhere below it. Both should be real paths; Windows and macOS
 * compare names case-insensitively.
 */
export function isWithin(folder: string, child: string, platform: Platform = process.platform): boolean {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const rel = p.relative(fold(p.normalize(folder), platform), fold(p.normalize(child), platform));
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** `child` relative to `folder` with `/` separators (both real paths, child within folder). */
export function relativeSlashes(folder: string, child: string, platform: Platform = process.platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  return p.relative(folder, child).split(p.sep).join('/');
}
