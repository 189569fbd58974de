/**
 * What the proxy adds to a request on its way to the app, by iisnode's rules: `X-Forwarded-For` /
 * `X-Forwarded-Proto` (enableXFF, iisnode test 118) and `X-iisnode-<VAR>` server variables (promoteServerVars,
 * test 119). Headers a client could use to lie about itself (`X-iisnode-*`, `X-Original-URL`) are always dropped.
 * Pure functions over the request head.
 */
import type { RequestHead } from './http-parse.js';
import { BERTH_VERSION } from '../version.js';

/** Facts about the client connection. */
export interface ClientInfo {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** The front connection is TLS (the HTTPS front). */
  secure: boolean;
}

export interface ForwardingOptions {
  enableXFF: boolean;
  /** Server variable names, as listed in promoteServerVars. */
  promoteServerVars: readonly string[];
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: the form apps and logs expect. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Whether the head must be rebuilt; most requests are forwarded byte for byte (over TLS, never: see rewriteRequestHead). */
export function needsRewrite(head: RequestHead, options: ForwardingOptions, secure = false): boolean {
  return secure || head.hasSensitiveHeaders || options.enableXFF || options.promoteServerVars.length > 0;
}

/** Splits `promoteServerVars` ("REMOTE_ADDR, AUTH_USER") into names. */
export function parseServerVarList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** All request headers by lower-case name (repeated ones joined with commas), as node's `req.headers` has them. */
export function headersOf(head: RequestHead): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.text.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/** A request header's value (repeated headers joined with commas), read from the head text. */
export function headerValue(head: RequestHead, lowerName: string): string | undefined {
  const values: string[] = [];
  for (const line of head.text.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === lowerName) values.push(line.slice(colon + 1).trim());
  }
  return values.length ? values.join(', ') : undefined;
}

/**
 * The value of an IIS server variable that exists without IIS, or undefined. Authentication variables exist and are
 * empty, as for IIS anonymous access; `HTTP_<NAME>` reads a request header.
 */
export function serverVariable(name: string, head: RequestHead, client: ClientInfo): string | undefined {
  const upper = name.toUpperCase();
  const query = head.target.indexOf('?');
  const pathPart = query === -1 ? head.target : head.target.slice(0, query);
  const host = head.host ?? '';
  switch (upper) {
    case 'REMOTE_ADDR':
    case 'REMOTE_HOST':
      return plainAddress(client.remoteAddress);
    case 'REMOTE_PORT':
      return String(client.remotePort);
    case 'LOCAL_ADDR':
      return plainAddress(client.localAddress);
    case 'HTTPS':
      return client.secure ? 'on' : 'off';
    case 'SERVER_NAME':
      return host ? host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') : plainAddress(client.localAddress);
    case 'SERVER_PORT':
      return String(client.localPort);
    case 'SERVER_PORT_SECURE':
      return client.secure ? '1' : '0';
    case 'SERVER_PROTOCOL':
      return `HTTP/1.${head.minor}`;
    case 'SERVER_SOFTWARE':
      return `Berth/${BERTH_VERSION}`;
    case 'REQUEST_METHOD':
      return head.method;
    case 'URL':
    case 'SCRIPT_NAME':
    case 'PATH_INFO':
      return safeDecode(pathPart);
    case 'UNENCODED_URL':
      return head.target;
    case 'QUERY_STRING':
      return query === -1 ? '' : head.target.slice(query + 1);
    case 'CONTENT_LENGTH':
      return head.contentLength >= 0 ? String(head.contentLength) : '0';
    case 'CONTENT_TYPE':
      return headerValue(head, 'content-type') ?? '';
    case 'AUTH_USER':
    case 'AUTH_TYPE':
    case 'AUTH_PASSWORD':
    case 'LOGON_USER':
    case 'REMOTE_USER':
      return '';
    default:
      if (upper.startsWith('HTTP_')) return headerValue(head, upper.slice(5).toLowerCase().replace(/_/g, '-'));
      return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Header values must not carry line breaks, whatever the source. */
function clean(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/**
 * Rebuilds the request head (ending with the blank line) for the app: spoofable headers dropped, then
 * X-Forwarded-For / X-Forwarded-Proto and the promoted server variables added. A request over HTTPS always gets
 * `X-Forwarded-Proto: https` (and its `HTTPS` server variable is `on`).
 */
export function rewriteRequestHead(head: RequestHead, options: ForwardingOptions, client: ClientInfo): string {
  const lines = head.text.split('\r\n');
  const kept: string[] = [lines[0]!];
  const forwardedFor: string[] = [];
  let hasProto = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const lower = line.slice(0, colon).toLowerCase();
    if (lower.startsWith('x-iisnode-') || lower === 'x-original-url') continue;
    if (options.enableXFF && lower === 'x-forwarded-for') {
      forwardedFor.push(line.slice(colon + 1).trim());
      continue;
    }
    if (lower === 'x-forwarded-proto') {
      // Over TLS Berth says it itself (below): a client's value would only be a lie or a stale hop.
      if (client.secure) continue;
      hasProto = true;
    }
    kept.push(line);
  }
  if (options.enableXFF) {
    const ip = plainAddress(client.remoteAddress);
    const existing = forwardedFor.filter((v) => v !== '').join(', ');
    const last = existing.split(',').pop()?.trim();
    kept.push(`X-Forwarded-For: ${existing === '' ? ip : last === ip ? existing : `${existing}, ${ip}`}`);
    if (!hasProto && !client.secure) kept.push('X-Forwarded-Proto: http');
  }
  // Requests that came over HTTPS always say so, with or without enableXFF: apps build absolute URLs and secure
  // cookies from it (Express's `trust proxy`, and most frameworks, read this header).
  if (client.secure) kept.push('X-Forwarded-Proto: https');
  // iisnode added them in reverse list order.
  for (const name of [...options.promoteServerVars].reverse()) {
    const value = serverVariable(name, head, client);
    if (value !== undefined) kept.push(`X-iisnode-${name}: ${clean(value)}`);
  }
  return `${kept.join('\r\n')}\r\n\r\n`;
}
