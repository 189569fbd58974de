/**
 * The control API's handshake guards, checked before a WebSocket is accepted (a refusal is an HTTP status and a JSON
 * body that says why):
 *
 * - the path must be CONTROL_PATH;
 * - the Host header must name loopback (a DNS-rebinding page cannot pose as 127.0.0.1);
 * - a browser's Origin must be Berth's own (this endpoint's, or one configured for the desktop app); clients that send
 *   no Origin, like the CLI, are not browsers and pass;
 * - the token: the subprotocol `berth.token.<token>` (browsers cannot set headers) or `Authorization: Bearer <token>`.
 */
import type { IncomingMessage } from 'node:http';
import { http } from '../util/node-http.js';
import type { Duplex } from 'node:stream';
import { CONTROL_PATH, TOKEN_PROTOCOL_PREFIX, type HandshakeErrorCode } from './protocol.js';
import { tokensEqual } from './token.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Berth's own origins: the endpoint's on `port`, under each loopback name, and the `allowed` ones. */
export function ownOrigins(port: number, allowed: readonly string[] = []): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, ...allowed.map((o) => o.replace(/\/$/, '').toLowerCase())]);
}

export interface HandshakeRefusal {
  status: number;
  code: HandshakeErrorCode;
  message: string;
}

export interface HandshakeRules {
  origins: ReadonlySet<string>;
  token: string;
  /** The Berth home folder, named in the token errors (the token file is there). */
  home: string;
}

/** Why the upgrade request may not become a control connection, or undefined when it may. */
export function checkHandshake(req: IncomingMessage, rules: HandshakeRules): HandshakeRefusal | undefined {
  const url = new URL(req.url ?? '/', 'http://control');
  if (url.pathname !== CONTROL_PATH) return { status: 404, code: 'NOT_FOUND', message: `Berth's control API is at ${CONTROL_PATH}, not ${url.pathname}.` };
  const hostHeader = req.headers.host ?? '';
  const hostName = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  if (!isLoopbackHost(hostName)) {
    return { status: 403, code: 'FORBIDDEN_HOST', message: `Host "${hostHeader}" is refused: Berth's control API answers to 127.0.0.1 or localhost only.` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !rules.origins.has(origin.toLowerCase())) {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: `Origin ${origin} is refused: only Berth's own pages may use its control API.` };
  }
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const fromProtocol = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
  const authorization = req.headers.authorization;
  const fromHeader = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
  const given = fromHeader ?? fromProtocol;
  if (given === undefined) {
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      message: `A token is required: send the content of the file "token" in ${rules.home} as "Authorization: Bearer <token>" or as the WebSocket subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>.`,
    };
  }
  if (!tokensEqual(given, rules.token)) {
    return { status: 401, code: 'UNAUTHORIZED', message: `The token is wrong. It changes each time the engine starts: read it again from the file "token" in ${rules.home}.` };
  }
  return undefined;
}

/** Answers the upgrade request with the refusal and closes the socket. */
export function refuse(socket: Duplex, refusal: HandshakeRefusal): void {
  const body = JSON.stringify({ code: refusal.code, message: refusal.message });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
