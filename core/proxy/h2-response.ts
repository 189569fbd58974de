/**
 * HTTP/1.1 response bytes (a worker's, as an `Exchange` frames them, or a page Berth made) turned into an HTTP/2
 * response: the head becomes a HEADERS frame without the connection-specific fields HTTP/2 forbids, and a chunked
 * body is decoded into plain DATA (HTTP/2 frames its own messages). Interim (1xx) heads are dropped.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { HEAD_END, parseResponseHead } from './http-parse.js';

/** Fields that describe an HTTP/1.1 connection; HTTP/2 forbids them (RFC 9113 §8.2.2). */
const CONNECTION_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);
/** Fields node's HTTP/2 accepts once only: a repeated one keeps its first value. */
const SINGLE_VALUE = new Set([
  'age', 'authorization', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
  'content-range', 'content-type', 'date', 'etag', 'expires', 'last-modified', 'location', 'retry-after', 'x-content-type-options',
]);

/** The HTTP/2 header block for an HTTP/1.1 head (status line and fields, without the blank line). */
export function h2Headers(status: number, fieldLines: Iterable<[string, string]>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ':status': status };
  for (const [rawName, value] of fieldLines) {
    const name = rawName.toLowerCase();
    if (CONNECTION_FIELDS.has(name) || name.startsWith(':')) continue;
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (SINGLE_VALUE.has(name)) continue;
    else headers[name] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
  }
  return headers;
}

function* fieldsOf(headText: string): Generator<[string, string]> {
  const lines = headText.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(':');
    if (colon > 0) yield [lines[i]!.slice(0, colon).trim(), lines[i]!.slice(colon + 1).trim()];
  }
}

/** Where the translated response goes (an HTTP/2 stream). */
export interface H2ResponseSink {
  respond(headers: OutgoingHttpHeaders): void;
  /** Body bytes; false when the stream's buffer is full. */
  data(bytes: Buffer): boolean;
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
  Done,
}

/** Reads one HTTP/1.1 response, pushed in pieces, and hands it on as an HTTP/2 response. */
export class H1ToH2Response {
  private held: Buffer | null = null;
  private headDone = false;
  private chunked = false;
  private chunk = Chunk.Size;
  private chunkRemaining = 0;

  constructor(private readonly sink: H2ResponseSink) {}

  get started(): boolean {
    return this.headDone;
  }

  /** More response bytes. Returns false when the sink asks to wait for its drain. Throws on a malformed response. */
  push(bytes: Buffer): boolean {
    if (!this.headDone) {
      let buf = this.held ? Buffer.concat([this.held, bytes]) : bytes;
      this.held = null;
      for (;;) {
        const end = buf.indexOf(HEAD_END);
        if (end === -1) {
          this.held = buf;
          return true;
        }
        const text = buf.toString('latin1', 0, end);
        const head = parseResponseHead(text);
        buf = buf.subarray(end + 4);
        if (head.status < 200) continue; // 100 Continue, 103 Early Hints: HTTP/2 clients do without them here
        this.headDone = true;
        this.chunked = head.chunked;
        this.sink.respond(h2Headers(head.status, fieldsOf(text)));
        break;
      }
      if (buf.length === 0) return true;
      bytes = buf;
    }
    return this.chunked ? this.decodeChunks(bytes) : this.sink.data(bytes);
  }

  /** Hands on the data of chunked framing (sizes, extensions and trailers are dropped). */
  private decodeChunks(buf: Buffer): boolean {
    if (this.held) {
      buf = Buffer.concat([this.held, buf]);
      this.held = null;
    }
    let ok = true;
    let at = 0;
    while (at < buf.length && this.chunk !== Chunk.Done) {
      if (this.chunk === Chunk.Data) {
        const take = Math.min(this.chunkRemaining, buf.length - at);
        ok = this.sink.data(buf.subarray(at, at + take)) && ok;
        this.chunkRemaining -= take;
        at += take;
        if (this.chunkRemaining === 0) this.chunk = Chunk.DataEnd;
        continue;
      }
      const lineEnd = buf.indexOf('\r\n', at, 'latin1');
      if (lineEnd === -1) {
        this.held = buf.subarray(at);
        break;
      }
      const line = buf.toString('latin1', at, lineEnd);
      at = lineEnd + 2;
      if (this.chunk === Chunk.DataEnd) this.chunk = Chunk.Size;
      else if (this.chunk === Chunk.Trailers) {
        if (line === '') this.chunk = Chunk.Done;
      } else {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size "${line}"`);
        this.chunkRemaining = size;
        this.chunk = size === 0 ? Chunk.Trailers : Chunk.Data;
      }
    }
    return ok;
  }
}
