/**
 * The little HTTP/1.x parsing the proxy needs. Heads are read once, only for the fields that decide routing and
 * message framing; the bytes themselves are forwarded as they came (header case, order, repeats and empty values
 * stay intact). Bodies are never parsed, only measured: by Content-Length, by scanning chunk framing, or to EOF.
 */

export const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

export class HttpParseError extends Error {
  constructor(
    readonly status: 400 | 408 | 431 | 501 | 502,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestHead {
  method: string;
  /** The request target exactly as the client sent it. */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  host: string | undefined;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The client asked for the connection to close after this exchange. */
  close: boolean;
  /** The client asked to keep an HTTP/1.0 connection alive. */
  keepAlive: boolean;
  /** A protocol upgrade (WebSocket): `Connection` has the `upgrade` token and an `Upgrade` header is present. */
  upgrade: boolean;
  cookie: string | undefined;
  /** Headers a rewrite must drop or adjust were seen (x-iisnode-*, x-forwarded-*, x-original-url). */
  hasSensitiveHeaders: boolean;
  /** The head text without the final blank line: `METHOD target HTTP/1.x\r\nName: value...`. */
  text: string;
}

export interface ResponseHead {
  status: number;
  minor: number;
  contentLength: number;
  chunked: boolean;
  close: boolean;
  keepAlive: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** TOKEN_CHAR[c] is 1 when the byte `c` may appear in a token (RFC 9110 §5.6.2): header names, methods, codings. */
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHAR[c.charCodeAt(0)] = 1;

/** Control characters (RFC 5234 CTL: 0-31 and 127). HTAB is the only one a header value may hold. */
function isControl(c: number): boolean {
  return c < 32 || c === 127;
}

/** Why a control character makes a head unreadable, in words a log reader understands. */
function controlCharError(c: number, where: string): HttpParseError {
  if (c === 10) return new HttpParseError(400, `A bare LF in the ${where}: HTTP lines end with CRLF`);
  if (c === 13) return new HttpParseError(400, `A bare CR in the ${where}`);
  if (c === 0) return new HttpParseError(400, `A NUL byte in the ${where}`);
  return new HttpParseError(400, `Control character 0x${c.toString(16).padStart(2, '0')} in the ${where}`);
}

/**
 * Where a request head ends in `buf` (the index of its CRLF CRLF), or -1 while it is incomplete. Every LF met on the
 * way must follow a CR: at a bare LF the "head" is cut just past it, so that parseRequestHead refuses it at once
 * (RFC 9112 §2.2) instead of the connection waiting for a CRLF CRLF that may never come.
 */
export function findHeadEnd(buf: Buffer, start: number): number {
  let lf = buf.indexOf(10, start);
  while (lf !== -1) {
    if (lf === start || buf[lf - 1] !== 13) return lf + 1;
    if (lf - 3 >= start && buf[lf - 2] === 10 && buf[lf - 3] === 13) return lf - 3;
    lf = buf.indexOf(10, lf + 1);
  }
  return -1;
}

/** The value between `from` and `to` without its optional whitespace (SP/HTAB only: `trim()` would also eat U+00A0). */
function fieldValue(text: string, from: number, to: number): string {
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  return text.slice(from, to);
}

/** Splits a comma list into lower-case tokens, calling `seen` for each (for Connection and Transfer-Encoding). */
function eachToken(value: string, seen: (token: string) => void): void {
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || value.charCodeAt(i) === 44 /* , */) {
      const token = fieldValue(value, start, i).toLowerCase();
      if (token) seen(token);
      start = i + 1;
    }
  }
}

function parseContentLength(value: string, previous: number): number {
  if (!/^\d{1,15}$/.test(value)) throw new HttpParseError(400, `Invalid Content-Length "${value}"`);
  const n = Number(value);
  if (previous !== -1 && previous !== n) throw new HttpParseError(400, 'Conflicting Content-Length headers');
  return n;
}

/** The lengths of the header names parseRequestHead reads: host, cookie, upgrade, connection, content-length, transfer-encoding. */
const INTERESTING_NAME_LENGTH = new Uint8Array(32);
for (const n of [4, 6, 7, 10, 14, 17]) INTERESTING_NAME_LENGTH[n] = 1;

/**
 * Parses a request head (the bytes before the blank line, decoded as latin1). Throws HttpParseError for requests
 * that cannot be framed safely.
 */
export function parseRequestHead(text: string): RequestHead {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = text.length;
  const requestLine = text.slice(0, lineEnd);
  for (let i = 0; i < lineEnd; i++) {
    const c = text.charCodeAt(i);
    if (isControl(c)) throw controlCharError(c, 'request line');
  }
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) throw new HttpParseError(400, 'Malformed request line');
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const version = requestLine.slice(sp2 + 1);
  let methodOk = true;
  for (let i = 0; i < sp1; i++) if (TOKEN_CHAR[text.charCodeAt(i)] !== 1) methodOk = false;
  if (!methodOk || target === '' || target.includes(' ')) throw new HttpParseError(400, 'Malformed request line');
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else throw new HttpParseError(version.startsWith('HTTP/') ? 501 : 400, `Unsupported protocol version "${version}"`);

  const head: RequestHead = {
    method,
    target,
    minor,
    host: undefined,
    contentLength: -1,
    chunked: false,
    close: false,
    keepAlive: false,
    upgrade: false,
    cookie: undefined,
    hasSensitiveHeaders: false,
    text,
  };
  let connectionUpgrade = false;
  let upgradeHeader = false;
  let transferEncoding: string | undefined;

  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end === -1) end = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new HttpParseError(400, 'Folded header lines are not allowed');
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > end || colon === pos) throw new HttpParseError(400, 'Malformed header line');
    const last = text.charCodeAt(colon - 1);
    if (last === 32 || last === 9) throw new HttpParseError(400, 'Whitespace before a colon in a header');
    for (let i = pos; i < colon; i++) {
      const c = text.charCodeAt(i);
      if (TOKEN_CHAR[c] !== 1) throw isControl(c) ? controlCharError(c, 'header name') : new HttpParseError(400, `Invalid character "${text[i]}" in a header name`);
    }
    for (let i = colon + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (isControl(c) && c !== 9) throw controlCharError(c, `value of header ${text.slice(pos, colon)}`);
    }
    const nameLength = colon - pos;
    // Only the headers read below are cut out of the head (most of a browser's headers are not).
    if (!(nameLength < 32 && INTERESTING_NAME_LENGTH[nameLength] === 1) && !(nameLength > 9 && (text.charCodeAt(pos) | 32) === 120 /* x */ && text.charCodeAt(pos + 1) === 45)) {
      pos = end + 2;
      continue;
    }
    const name = text.slice(pos, colon);
    const value = fieldValue(text, colon + 1, end);
    switch (nameLength) {
      case 4:
        if (name.toLowerCase() === 'host') {
          if (head.host !== undefined) throw new HttpParseError(400, 'More than one Host header');
          head.host = value;
        }
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'cookie') head.cookie = head.cookie === undefined ? value : `${head.cookie}; ${value}`;
        break;
      }
      case 7:
        if (name.toLowerCase() === 'upgrade') upgradeHeader = true;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          eachToken(value, (token) => {
            if (token === 'close') head.close = true;
            else if (token === 'keep-alive') head.keepAlive = true;
            else if (token === 'upgrade') connectionUpgrade = true;
          });
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') head.contentLength = parseContentLength(value, head.contentLength);
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      default:
        break;
    }
    if (name.length > 9 && (name.charCodeAt(0) | 32) === 120 /* x */ && name.charCodeAt(1) === 45 /* - */) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-iisnode-') || lower.startsWith('x-forwarded-') || lower === 'x-original-url') head.hasSensitiveHeaders = true;
    }
    pos = end + 2;
  }

  if (transferEncoding !== undefined) {
    let last = '';
    eachToken(transferEncoding, (token) => {
      // Only SP/HTAB may surround a coding: "chunked\xa0" is read as chunked by some servers and not by others.
      if (!TOKEN.test(token)) throw new HttpParseError(400, `Invalid Transfer-Encoding "${transferEncoding}"`);
      last = token;
    });
    if (last !== 'chunked') throw new HttpParseError(501, `Unsupported Transfer-Encoding "${transferEncoding}"`);
    // A request with both framings is how requests get smuggled past proxies: refuse it.
    if (head.contentLength !== -1) throw new HttpParseError(400, 'Both Transfer-Encoding and Content-Length');
    head.chunked = true;
  }
  if (minor === 0 && !head.keepAlive) head.close = true;
  head.upgrade = connectionUpgrade && upgradeHeader;
  return head;
}

/** Parses a response head from a worker. Throws HttpParseError(502) when the worker sent something unusable. */
export function parseResponseHead(text: string): ResponseHead {
  if (!text.startsWith('HTTP/1.')) throw new HttpParseError(502, 'The worker sent a response that is not HTTP/1.x');
  const minor = text.charCodeAt(7) - 48;
  // Three digits, the first 1-9, read from the character codes (no slice, no regular expression: once per response).
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  const status = d0 * 100 + d1 * 10 + d2;
  const after = text.charCodeAt(12); // a space before the reason, the end of the line, or the end of the head
  if (
    (minor !== 0 && minor !== 1) ||
    text.charCodeAt(8) !== 32 ||
    !(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
    !(after === 32 || after === 13 || Number.isNaN(after))
  ) {
    throw new HttpParseError(502, 'The worker sent a malformed status line');
  }
  const head: ResponseHead = { status, minor, contentLength: -1, chunked: false, close: false, keepAlive: false };
  let pos = text.indexOf('\r\n');
  if (pos === -1) return finishResponse(head);
  pos += 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon !== -1 && colon < end) {
      const nameLength = colon - pos;
      if (nameLength === 14 || nameLength === 17 || nameLength === 10) {
        const name = text.slice(pos, colon).toLowerCase();
        const value = text.slice(colon + 1, end).trim();
        if (name === 'content-length') head.contentLength = parseResponseLength(value, head.contentLength);
        else if (name === 'transfer-encoding') {
          let last = '';
          eachToken(value, (token) => (last = token));
          head.chunked = last === 'chunked';
        } else if (name === 'connection') {
          eachToken(value, (token) => {
            if (token === 'close') head.close = true;
            else if (token === 'keep-alive') head.keepAlive = true;
          });
        }
      }
    }
    pos = end + 2;
  }
  return finishResponse(head);
}

function parseResponseLength(value: string, previous: number): number {
  try {
    return parseContentLength(value, previous);
  } catch {
    throw new HttpParseError(502, `The worker sent an invalid Content-Length "${value}"`);
  }
}

function finishResponse(head: ResponseHead): ResponseHead {
  if (head.minor === 0 && !head.keepAlive) head.close = true;
  return head;
}

const enum ChunkState {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  EndLf,
  Done,
}

/**
 * Follows chunked framing across arbitrary buffer boundaries without copying anything, to find where a chunked
 * message ends.
 */
export class ChunkedScanner {
  private state = ChunkState.Size;
  private size = 0;
  private digits = 0;

  /** Returns the index just past the end of the message in `buf`, or -1 when the message goes on. Throws on bad framing. */
  scan(buf: Buffer, start = 0): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case ChunkState.Data: {
          const take = Math.min(this.size, n - i);
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = ChunkState.DataCr;
          continue;
        }
        case ChunkState.Size: {
          const c = buf[i]!;
          const digit = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
          if (digit >= 0) {
            if (++this.digits > 15) throw new HttpParseError(400, 'Chunk size too large');
            this.size = this.size * 16 + digit;
          } else if (c === 13 && this.digits > 0) this.state = ChunkState.SizeLf;
          else if ((c === 59 || c === 32 || c === 9) && this.digits > 0) this.state = ChunkState.Extension;
          else throw new HttpParseError(400, 'Malformed chunk size');
          break;
        }
        case ChunkState.Extension: {
          // Extensions are ignored, but a bare LF or NUL in one would end the line for some parsers and not others.
          const c = buf[i]!;
          if (c === 13) this.state = ChunkState.SizeLf;
          else if (isControl(c) && c !== 9) throw new HttpParseError(400, 'Control character in a chunk extension');
          break;
        }
        case ChunkState.SizeLf:
          if (buf[i] !== 10) throw new HttpParseError(400, 'Malformed chunk size line');
          if (this.size === 0) this.state = ChunkState.TrailerStart;
          else this.state = ChunkState.Data;
          this.digits = 0;
          break;
        case ChunkState.DataCr:
          if (buf[i] !== 13) throw new HttpParseError(400, 'Chunk data longer than its size');
          this.state = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (buf[i] !== 10) throw new HttpParseError(400, 'Chunk data longer than its size');
          this.state = ChunkState.Size;
          this.size = 0;
          break;
        case ChunkState.TrailerStart:
          if (buf[i] === 10) throw new HttpParseError(400, 'A bare LF in the chunked trailer');
          this.state = buf[i] === 13 ? ChunkState.EndLf : ChunkState.TrailerLine;
          break;
        case ChunkState.TrailerLine: {
          // Trailer fields follow the header rules: CRLF line ends, no control characters but HTAB.
          const c = buf[i]!;
          if (c === 13) this.state = ChunkState.TrailerLf;
          else if (isControl(c) && c !== 9) throw new HttpParseError(400, c === 10 ? 'A bare LF in the chunked trailer' : 'Control character in the chunked trailer');
          break;
        }
        case ChunkState.TrailerLf:
          if (buf[i] !== 10) throw new HttpParseError(400, 'A bare CR in the chunked trailer');
          this.state = ChunkState.TrailerStart;
          break;
        case ChunkState.EndLf:
          if (buf[i] !== 10) throw new HttpParseError(400, 'Malformed end of chunked body');
          this.state = ChunkState.Done;
          return i + 1;
        case ChunkState.Done:
          return i;
      }
      i++;
    }
    return this.state === ChunkState.Done ? i : -1;
  }
}
