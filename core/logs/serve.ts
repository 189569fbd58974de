/**
 * Serving an app's log folder over HTTP (`http://<app host>/<logDirectory>/`), as IIS's static file handler served
 * iisnode's: index.html and the log files, nothing else.
 *
 * The caller (the proxy) decides WHETHER to call this: only when logging is enabled for the app, the request path is
 * under the app's log prefix (`isLogRequestPath`, with the prefix from naming.ts `logUrlPrefix`), and, by default,
 * the client is on loopback (iisnode's logs were public unless the folder name was unguessable; Berth's are not). It
 * writes the returned status, headers and body (a string, a Buffer, or a file stream to pipe, which it must destroy if
 * the client goes away).
 *
 * This function decides WHAT may be served, and nothing outside the folder can be reached: `..` segments, encoded
 * separators (%2f, %5c), backslashes, NUL, drive letters, Windows device names, subfolders, symbolic links, and any
 * name that is not index.html or a Berth log file are refused before the file system is touched beyond the folder,
 * and the file is opened without following a final symbolic link and checked to be a plain file in the folder's real
 * path.
 */
import { constants, type ReadStream } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../platform/platform.js';
import { renderLogIndex } from './index-page.js';
import { INDEX_FILE, isLogFileName } from './naming.js';
import { isDirectlyInside, rawPathProblem, segmentProblem } from './path-safety.js';
import { listLogFiles } from './quota.js';

export interface LogRequest {
  /** The app's log folder (AppLogCapture `dir`). */
  logDir: string;
  /** The URL path the folder is served under, without a trailing slash: `/iisnode` (naming.ts `logUrlPrefix`). */
  urlPrefix: string;
  /** The request target as received (path and optional query). */
  urlPath: string;
  method: string;
  rangeHeader?: string | undefined;
  platform?: Platform;
}

export interface LogResponse {
  status: number;
  headers: Record<string, string>;
  /** A file stream for GET of a file (pipe it, destroy it if the client leaves); '' for HEAD and errors without body. */
  body: Buffer | ReadStream | string;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  // No scripts, ever: the index is server-rendered, and a log line must never run as a page.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function fold(s: string, platform: Platform): string {
  return platform === 'win32' ? s.toLowerCase() : s;
}

/** Whether a request path (query allowed) is the log prefix itself or below it. Case-insensitive on Windows, as IIS. */
export function isLogRequestPath(urlPrefix: string, urlPath: string, platform: Platform = process.platform): boolean {
  const p = fold(urlPath.split(/[?#]/, 1)[0]!, platform);
  const prefix = fold(urlPrefix, platform);
  return p === prefix || p.startsWith(`${prefix}/`);
}

export type ByteRange = { start: number; end: number };

/**
 * A `Range` header for a body of `size` bytes: the single range to send, 'unsatisfiable' (416), or undefined when
 * the header is absent, malformed or asks for several ranges (then the whole body is sent, as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  const first = a === '' ? undefined : Number(a);
  const last = b === '' ? undefined : Number(b);
  if ((first !== undefined && !Number.isSafeInteger(first)) || (last !== undefined && !Number.isSafeInteger(last))) return undefined;
  if (first === undefined) {
    // Suffix range: the last N bytes.
    if (last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined;
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: last === undefined ? size - 1 : Math.min(last, size - 1) };
}

function plain(status: number, text: string, extra: Record<string, string> = {}): LogResponse {
  const body = `${text}\n`;
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...extra },
    body,
  };
}

const notFound = () => plain(404, 'Not found. Only index.html and the log files of this folder can be read here.');
const refused = (why: string) => plain(400, `Bad request: ${why} is not allowed in a log file name.`);

/** Answers one request for the log folder. Never throws; never reaches outside `logDir`. */
export async function serveLogRequest(req: LogRequest): Promise<LogResponse> {
  const platform = req.platform ?? process.platform;
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return plain(405, 'Method not allowed: log files can only be read.', { allow: 'GET, HEAD' });
  const cut = req.urlPath.search(/[?#]/);
  const pathOnly = cut < 0 ? req.urlPath : req.urlPath.slice(0, cut);
  const query = cut < 0 ? '' : req.urlPath.slice(cut).replace(/#.*$/, '');
  if (!isLogRequestPath(req.urlPrefix, pathOnly, platform)) return notFound();
  if (pathOnly.length === req.urlPrefix.length) {
    // `/iisnode` → `/iisnode/`, so the index's relative links resolve inside the folder.
    const location = `${pathOnly}/${query}`;
    return plain(301, `Moved to ${location}`, { location });
  }
  const raw = pathOnly.slice(req.urlPrefix.length + 1);
  const rawProblem = rawPathProblem(raw);
  if (rawProblem) return refused(rawProblem);
  const segments = raw.split('/');
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return refused('malformed percent-encoding');
  }
  if (decoded.some((s) => s === '..' || s === '.')) return refused('a relative path segment');
  if (decoded.length !== 1) return notFound(); // no subfolders
  const name = decoded[0] === '' ? INDEX_FILE : decoded[0]!;
  const problem = segmentProblem(name, platform);
  if (problem) return refused(`a ${problem}`);
  const isIndex = name === INDEX_FILE;
  if (!isIndex && !isLogFileName(name)) return notFound();

  let realDir: string;
  try {
    realDir = await realpath(req.logDir);
  } catch {
    return notFound();
  }
  const file = path.join(realDir, name);
  try {
    const st = await lstat(file);
    if (!st.isFile()) return notFound(); // symbolic links, folders, devices, pipes
  } catch (error) {
    if (isIndex && (error as NodeJS.ErrnoException).code === 'ENOENT') return renderIndexNow(realDir, method, req.rangeHeader);
    return notFound();
  }
  return sendFile(file, realDir, isIndex, method, req.rangeHeader, platform);
}

async function renderIndexNow(dir: string, method: string, range: string | undefined): Promise<LogResponse> {
  // No index.html yet (no log file was ever created, or it was deleted): the same page, rendered for this request.
  const html = Buffer.from(renderLogIndex(await listLogFiles(dir), Date.now()));
  return respond(html.length, 'text/html; charset=utf-8', method, range, undefined, (r) => (r ? html.subarray(r.start, r.end + 1) : html));
}

async function sendFile(file: string, realDir: string, isIndex: boolean, method: string, range: string | undefined, platform: Platform): Promise<LogResponse> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a symbolic link swapped in after the lstat above is not followed (POSIX; Windows has no such flag).
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return notFound();
  }
  let keep = false;
  try {
    const st = await handle.stat();
    if (!st.isFile() || !isDirectlyInside(realDir, await realpath(file), platform)) return notFound();
    const type = isIndex ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
    const res = respond(st.size, type, method, range, st.mtime, (r) => {
      if (!r && st.size === 0) return Buffer.alloc(0); // a read stream cannot express "no bytes"
      keep = true;
      return handle.createReadStream(r ? { start: r.start, end: r.end } : { start: 0, end: st.size - 1 });
    });
    return res;
  } catch {
    return notFound();
  } finally {
    if (!keep) await handle.close().catch(() => undefined);
  }
}

function respond(
  size: number,
  type: string,
  method: string,
  rangeHeader: string | undefined,
  mtime: Date | undefined,
  body: (range: ByteRange | undefined) => Buffer | ReadStream,
): LogResponse {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type, 'accept-ranges': 'bytes' };
  if (mtime) headers['last-modified'] = mtime.toUTCString();
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' }, body: '' };
  }
  const length = range ? range.end - range.start + 1 : size;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  return { status, headers, body: method === 'HEAD' ? '' : body(range) };
}
