/**
 * Where a response ends. The proxy parses only heads; body bytes are counted (Content-Length) or scanned (chunked)
 * and forwarded as they came. Also the heads Berth writes itself: its own responses, and a worker's head with
 * Berth's header lines added.
 */
import { ChunkedScanner, HEAD_END, parseResponseHead, type RequestHead, type ResponseHead } from './http-parse.js';
import { REASONS } from './pages.js';
import type { LocalResponse } from './proxy-app.js';

export const enum Framing {
  /** Reading a head (after an interim response, the next one). */
  Head,
  /** Counting Content-Length bytes. */
  Length,
  /** Scanning chunked framing for its end. */
  Chunked,
  /** No length: the response ends when the worker closes the connection. */
  UntilClose,
  Done,
}

/** What a complete head read by `ResponseFraming.readHead` is. */
export const enum HeadKind {
  /** The head is not complete yet; its bytes are held for the next call. */
  Partial,
  /** 1xx (100 Continue, 103 Early Hints): passed on, another head follows. */
  Interim,
  /** 101 to an upgrade request: the connection becomes a byte tunnel. */
  Upgrade,
  /** The response's head: the body (if any) is framed from here. */
  Final,
}

/**
 * The framing state of one worker connection: it reads the heads of each response and tracks where the response
 * ends. One per connection (kept while pooled) and reset for each exchange, so an exchange allocates none.
 */
export class ResponseFraming {
  phase = Framing.Head;
  /** The final head of the current response, once read. */
  head: ResponseHead | null = null;
  /** Set by readHead: the index of the head's blank line, and the index just past it. */
  headTextEnd = 0;
  headEnd = 0;
  /** Bytes of a head that is not complete yet. */
  private held: Buffer | null = null;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;

  /** Before a new response on this connection. */
  reset(): void {
    this.phase = Framing.Head;
    this.head = null;
    this.held = null;
    this.remaining = 0;
    this.scanner = null;
  }

  /** `chunk` after the bytes of an incomplete head held from earlier (phase Head only). */
  withHeld(chunk: Buffer): Buffer {
    const held = this.held;
    this.held = null;
    return held === null ? chunk : Buffer.concat([held, chunk]);
  }

  /**
   * Reads the head at the start of `buf`, for a response to `request`. A Final head sets how the body is framed.
   * Throws an Error that names the problem when the head is invalid or larger than `limit` bytes.
   */
  readHead(buf: Buffer, request: RequestHead, limit: number): HeadKind {
    const end = buf.indexOf(HEAD_END);
    if (end === -1) {
      if (buf.length > limit) throw new Error(`The worker's response headers are larger than maxRequestBufferSize (${limit} bytes).`);
      this.held = buf;
      return HeadKind.Partial;
    }
    const head = parseResponseHead(buf.toString('latin1', 0, end));
    this.headTextEnd = end;
    this.headEnd = end + 4;
    if (head.status === 101 && request.upgrade) return HeadKind.Upgrade;
    if (head.status < 200) return HeadKind.Interim;
    this.head = head;
    if (request.method === 'HEAD' || head.status === 204 || head.status === 304) this.phase = Framing.Done;
    else if (head.chunked) {
      this.phase = Framing.Chunked;
      this.scanner = new ChunkedScanner();
    } else if (head.contentLength >= 0) {
      this.phase = head.contentLength === 0 ? Framing.Done : Framing.Length;
      this.remaining = head.contentLength;
    } else this.phase = Framing.UntilClose;
    return HeadKind.Final;
  }

  /**
   * How many bytes of `buf` belong to the response, body bytes counted from `from` (bytes before it are a head):
   * `buf.length` while it goes on; the phase becomes Done when its end is in `buf`. Throws on bad chunked framing.
   */
  bodyEnd(buf: Buffer, from: number): number {
    switch (this.phase) {
      case Framing.Length: {
        const take = Math.min(this.remaining, buf.length - from);
        this.remaining -= take;
        if (this.remaining === 0) this.phase = Framing.Done;
        return from + take;
      }
      case Framing.Chunked: {
        const found = this.scanner!.scan(buf, from);
        if (found === -1) return buf.length;
        this.phase = Framing.Done;
        return found;
      }
      case Framing.Done:
        return from;
      default:
        return buf.length;
    }
  }

  /** The worker closed the connection: true when that ends the response (one framed by the close). */
  closed(): boolean {
    if (this.phase !== Framing.UntilClose) return false;
    this.phase = Framing.Done;
    return true;
  }
}

/**
 * The worker's head (`buf` up to `textEnd`, its blank line) with Berth's header lines added before the blank line
 * and, when `dropConnection`, its Connection and Keep-Alive headers removed; followed by the body bytes after
 * `headEnd`, so head and body still go out in one write.
 */
export function rebuildHead(buf: Buffer, textEnd: number, headEnd: number, extra: string, dropConnection: boolean): Buffer {
  let text = buf.toString('latin1', 0, textEnd);
  if (dropConnection) text = text.replace(/\r\n(?:Connection|Keep-Alive):[^\r]*/gi, '');
  const rebuilt = Buffer.from(`${text}${extra ? `\r\n${extra}` : ''}\r\n\r\n`, 'latin1');
  return headEnd === buf.length ? rebuilt : Buffer.concat([rebuilt, buf.subarray(headEnd)]);
}

/** The head of a response Berth makes itself; `sized` is its body when that is in memory (it gets a length). */
export function localResponseHead(local: LocalResponse, sized: Buffer | undefined, close: boolean): Buffer {
  let text = `HTTP/1.1 ${local.status} ${(local.reason ?? REASONS[local.status] ?? 'OK').replace(/[\r\n]/g, ' ')}\r\n`;
  for (const [name, value] of Object.entries(local.headers)) text += `${name}: ${value}\r\n`;
  const hasLength = Object.keys(local.headers).some((name) => name.toLowerCase() === 'content-length');
  if (sized && !hasLength) text += `Content-Length: ${sized.length}\r\n`;
  if (close) text += 'Connection: close\r\n';
  text += '\r\n';
  return Buffer.from(text, 'latin1');
}
