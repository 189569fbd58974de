/**
 * Static files of an IIS-style site, served by Berth as IIS's static file handler served them beside iisnode:
 * content types from the MIME map (unknown extensions are not served), ETag and Last-Modified with 304 answers to
 * If-None-Match and If-Modified-Since, single byte ranges (206, 416, If-Range), HEAD, and for folders the default
 * document.
 *
 * Never served, whatever the URL: `web.config`, `iisnode.yml`, `berth.yml` (and the configOverrides file name),
 * `package.json` and its lock files, anything inside `node_modules` or a dot-folder such as `.git` (and any other
 * dot-file such as `.env`; `.well-known` is allowed), web.config's hidden segments, and the apps' log folders
 * (those are served by core/logs/serve.ts, which applies the loopback rule; `allowLogFolder` lifts this). Nothing
 * outside the site folder is reachable: encoded separators, backslashes, NUL, double encoding, `..`, drive letters,
 * device names, Windows short names and trailing dots are refused before the file system is asked, and the file's
 * real path (symbolic links resolved) must lie inside the site folder's real path.
 *
 * Like core/logs/serve.ts, these functions never throw and return status, headers and a body (a string, a Buffer,
 * or a file stream the caller pipes and destroys if the client goes away).
 */
import { constants, type ReadStream } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parseRange, type ByteRange } from '../logs/serve.js';
import { rawPathProblem } from '../logs/path-safety.js';
import type { Platform } from '../platform/platform.js';
import { MIME_TYPES } from '../shared/mime.js';
import { contentTypeFor } from './mime.js';
import { decodeUrlPath, fileSegmentProblem, isWithin, relativeSlashes, segmentsOf, splitTarget } from './paths.js';

/** File and folder names never served, compared case-insensitively, at any depth. */
export const NEVER_SERVED = ['web.config', 'iisnode.yml', 'berth.yml', 'node_modules', 'package.json', 'package-lock.json', 'npm-shrinkwrap.json'] as const;

/**
 * IIS's default hidden segments (applicationHost.config `<hiddenSegments>`), which web.config may `<remove>`: a URL
 * with such a segment answered 404 under IIS, before any rewrite rule ran.
 */
export const IIS_HIDDEN_SEGMENTS = ['web.config', 'bin', 'App_code', 'App_GlobalResources', 'App_LocalResources', 'App_WebReferences', 'App_Data', 'App_Browsers'] as const;

/** The default document list IIS had before web.config changed it (documents Berth can serve; not .asp/.aspx). */
export const IIS_DEFAULT_DOCUMENTS = ['Default.htm', 'index.htm', 'index.html', 'iisstart.htm'] as const;

export interface StaticHeaders {
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifRange?: string | undefined;
}

export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  /** A file stream for GET of a file (pipe it, destroy it if the client leaves); '' for HEAD, 304 and errors without body. */
  body: Buffer | ReadStream | string;
}

export interface ProtectionOptions {
  /** More names never served (e.g. a configOverrides file name other than iisnode.yml). */
  neverServed?: readonly string[];
  /** Hidden segments in effect (web.config's, with IIS's defaults); compared case-insensitively. */
  hiddenSegments?: readonly string[];
  /** Folders never served: the apps' log folders (absolute). */
  protectedDirs?: readonly string[];
  /** Serve files inside protectedDirs after all (the caller decided logs over HTTP are allowed for this client). */
  allowLogFolder?: boolean;
}

export interface StaticFileRequest extends ProtectionOptions {
  /** The site folder. */
  root: string;
  /** The file to serve (absolute), as the resolver found it. */
  file: string;
  method: string;
  headers?: StaticHeaders;
  /** Default: from MIME_TYPES by extension; a file without a type is not served. */
  contentType?: string;
  platform?: Platform;
}

function plain(status: number, text: string, extra: Record<string, string> = {}): StaticResponse {
  const body = `${text}\n`;
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'x-content-type-options': 'nosniff', ...extra }, body };
}

export const notFoundResponse = (): StaticResponse => plain(404, 'Not found.');
export const badRequestResponse = (why: string): StaticResponse => plain(400, `Bad request: ${why}.`);
export const methodNotAllowedResponse = (): StaticResponse => plain(405, 'Method not allowed: static files can only be read (GET or HEAD).', { allow: 'GET, HEAD' });

/**
 * Why a site-relative path (decoded segments) must never be served, or undefined when it may be. Applies to the
 * URL's segments and again to the real path found on disk.
 */
export function neverServedReason(segments: readonly string[], options: ProtectionOptions = {}): string | undefined {
  const names = new Set([...NEVER_SERVED, ...(options.neverServed ?? [])].map((n) => n.toLowerCase()));
  const hidden = new Set((options.hiddenSegments ?? []).map((n) => n.toLowerCase()));
  for (const segment of segments) {
    const lower = segment.toLowerCase();
    if (names.has(lower)) return `${segment} is never served`;
    if (lower.startsWith('.') && lower !== '.well-known') return `${segment} is a hidden file or folder`;
    if (hidden.has(lower)) return `${segment} is a hidden segment`;
  }
  return undefined;
}

/** A strong validator from size and modification time. */
export function etagFor(size: number, mtimeMs: number): string {
  return `"${Math.floor(mtimeMs).toString(16)}-${size.toString(16)}"`;
}

function opaque(tag: string): string {
  return tag.trim().replace(/^W\//, '');
}

/** If-None-Match (weak comparison, `*` matches any). */
function noneMatch(header: string, etag: string): boolean {
  const want = opaque(etag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Whether a Range may be used, given If-Range: the strong validator or the exact date must match. */
function rangeStillValid(ifRange: string | undefined, etag: string, mtimeMs: number): boolean {
  if (!ifRange) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag; // weak tags never match in If-Range
  const date = Date.parse(v);
  return !Number.isNaN(date) && seconds(date) === seconds(mtimeMs);
}

async function realOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch {
    return undefined;
  }
}

/** Serves one file of the site. Never throws; never serves anything outside `root` or a protected name. */
export async function serveStaticFile(req: StaticFileRequest): Promise<StaticResponse> {
  const platform = req.platform ?? process.platform;
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowedResponse();
  const rootReal = await realOrUndefined(req.root);
  const fileReal = await realOrUndefined(req.file);
  if (!rootReal || !fileReal) return notFoundResponse();
  if (!isWithin(rootReal, fileReal, platform) || rootReal === fileReal) return notFoundResponse();
  // The real path again: a symbolic link or a short name must not turn into a protected file.
  if (neverServedReason(segmentsOf(relativeSlashes(rootReal, fileReal, platform)), req)) return notFoundResponse();
  if (!req.allowLogFolder && req.protectedDirs?.length) {
    for (const dir of req.protectedDirs) {
      const dirReal = await realOrUndefined(dir);
      if (dirReal && isWithin(dirReal, fileReal, platform)) return notFoundResponse();
    }
  }
  const type = req.contentType ?? contentTypeFor(fileReal, new Map(Object.entries(MIME_TYPES)));
  if (!type) return notFoundResponse();

  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a link swapped in after the realpath above is not followed (POSIX; Windows has no such flag).
    handle = await open(fileReal, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return notFoundResponse();
  }
  let keep = false;
  try {
    const st = await handle.stat();
    if (!st.isFile()) return notFoundResponse();
    const etag = etagFor(st.size, st.mtimeMs);
    const lastModified = new Date(seconds(st.mtimeMs) * 1000).toUTCString();
    const validators = { etag, 'last-modified': lastModified };
    const h = req.headers ?? {};
    if (h.ifNoneMatch !== undefined && h.ifNoneMatch.trim() !== '') {
      if (noneMatch(h.ifNoneMatch, etag)) return { status: 304, headers: validators, body: '' };
    } else if (h.ifModifiedSince) {
      const since = Date.parse(h.ifModifiedSince);
      if (!Number.isNaN(since) && seconds(st.mtimeMs) <= seconds(since)) return { status: 304, headers: validators, body: '' };
    }
    const headers: Record<string, string> = { 'content-type': type, 'accept-ranges': 'bytes', ...validators };
    let range: ByteRange | 'unsatisfiable' | undefined;
    if (method === 'GET' && rangeStillValid(h.ifRange, etag, st.mtimeMs)) range = parseRange(h.range, st.size);
    if (range === 'unsatisfiable') {
      return { status: 416, headers: { ...headers, 'content-range': `bytes */${st.size}`, 'content-length': '0' }, body: '' };
    }
    const length = range ? range.end - range.start + 1 : st.size;
    headers['content-length'] = String(length);
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${st.size}`;
    const status = range ? 206 : 200;
    if (method === 'HEAD' || length === 0) return { status, headers, body: method === 'HEAD' ? '' : Buffer.alloc(0) };
    keep = true;
    return { status, headers, body: handle.createReadStream(range ? { start: range.start, end: range.end } : { start: 0, end: st.size - 1 }) };
  } catch {
    return notFoundResponse();
  } finally {
    if (!keep) await handle.close().catch(() => undefined);
  }
}

export interface StaticFolderRequest extends ProtectionOptions {
  /** The site folder. */
  root: string;
  /** The site's mount path in normal form (`''` or `/a/b`), for the trailing-slash redirect. */
  mountPath?: string;
  /** The request path below the mount as received (percent-encoded, no leading slash), with an optional query. */
  target: string;
  method: string;
  headers?: StaticHeaders;
  /** Default documents, in order; default IIS_DEFAULT_DOCUMENTS. */
  defaultDocuments?: readonly string[];
  /** MIME map; default MIME_TYPES. */
  mimeTypes?: ReadonlyMap<string, string>;
  platform?: Platform;
}

/**
 * Serves a static-only folder by URL: the file, or for a folder its default document (a folder URL without its
 * trailing slash is redirected to it first, as IIS did). Sites with node apps go through site.ts's resolver, which
 * also knows handler scripts; this is its static half on its own.
 */
export async function serveStaticRequest(req: StaticFolderRequest): Promise<StaticResponse> {
  const platform = req.platform ?? process.platform;
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowedResponse();
  const { path: rawPath, query } = splitTarget(req.target.replace(/^\/+/, ''));
  const problem = rawPathProblem(rawPath);
  if (problem) return badRequestResponse(`a URL with a ${problem} cannot name a static file`);
  const rawSegments = rawPath.split('/').filter((s) => s !== '');
  const segments: string[] = [];
  for (const raw of rawSegments) {
    const decoded = decodeUrlPath(raw);
    if (decoded === undefined) return badRequestResponse('malformed percent-encoding');
    if (decoded === '.' || decoded === '..') return badRequestResponse('a relative path segment');
    const segProblem = fileSegmentProblem(decoded, platform);
    if (segProblem) return badRequestResponse(`a ${segProblem} is not allowed in a file name`);
    segments.push(decoded);
  }
  if (neverServedReason(segments, req)) return notFoundResponse();
  const p = platform === 'win32' ? path.win32 : path.posix;
  const target = segments.length ? p.join(req.root, ...segments) : p.normalize(req.root);
  const mime = req.mimeTypes ?? new Map(Object.entries(MIME_TYPES));
  let kind: 'file' | 'directory' | 'none';
  try {
    const st = await stat(target);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'none';
  } catch {
    kind = 'none';
  }
  if (kind === 'file') {
    const type = contentTypeFor(target, mime);
    if (!type) return notFoundResponse();
    return serveStaticFile({ ...req, file: target, contentType: type, platform });
  }
  if (kind !== 'directory') return notFoundResponse();
  if (rawPath !== '' && !rawPath.endsWith('/')) {
    const location = `${req.mountPath ?? ''}/${rawPath}/${query !== undefined ? `?${query}` : ''}`;
    return plain(301, `Moved to ${location}`, { location });
  }
  for (const name of req.defaultDocuments ?? IIS_DEFAULT_DOCUMENTS) {
    const doc = p.join(target, name);
    try {
      if (!(await stat(doc)).isFile()) continue;
    } catch {
      continue;
    }
    if (neverServedReason([...segments, name], req)) continue;
    const type = contentTypeFor(doc, mime);
    if (!type) continue;
    return serveStaticFile({ ...req, file: doc, contentType: type, platform });
  }
  return notFoundResponse();
}
