/**
 * The control API's client in Node (the CLI, the desktop app's main process, the tests): the shared, transport-neutral
 * client (core/shared/control-client.ts) over a `ws` socket. This file is only the `ws` adapter: it gives `ws` the
 * browser WebSocket's shape, sends the token as a header (a browser can only use a subprotocol), and reads the body of
 * a refused handshake so the caller learns the engine's reason (a browser never sees it).
 */
import WebSocket from 'ws';
import type { HandshakeErrorCode } from './protocol.js';
import { ControlClient, type SocketCloseEvent, type SocketLike } from '../shared/control-client.js';

export { ControlClient, ControlError, errorMessage, type ClientErrorCode, type Subscription } from '../shared/control-client.js';

export interface NodeConnectOptions {
  url: string;
  token: string;
  /** How the token is sent: an Authorization header (default), or the subprotocol a browser would use. */
  auth?: 'header' | 'protocol';
  /** An Origin header, as a browser would send (tests). */
  origin?: string;
  /** How long the engine has to greet (default 5 s). */
  timeoutMs?: number;
  /** How long a call may take (default 120 s). */
  callTimeoutMs?: number;
}

/** A connected client whose socket is `ws` (tests reach `client.socket.ws` to pause reading or send binary frames). */
export type NodeControlClient = ControlClient<WsSocket>;

/** Connects to the engine with the token and waits for its hello. */
export function connectControl(options: NodeConnectOptions): Promise<NodeControlClient> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const header = options.auth !== 'protocol';
  return ControlClient.connect({
    url: options.url,
    ...(header ? {} : { token: options.token }),
    timeoutMs,
    ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
    socket: (url, protocols) =>
      new WsSocket(url, protocols, {
        headers: header ? { Authorization: `Bearer ${options.token}` } : {},
        ...(options.origin ? { origin: options.origin } : {}),
        handshakeTimeout: timeoutMs,
      }),
  });
}

/** `ws` with the browser WebSocket's handler properties. */
export class WsSocket implements SocketLike {
  readonly ws: WebSocket;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Why the connection never opened, when known. */
  private refusal: SocketCloseEvent['refusal'];
  private opened = false;

  constructor(url: string, protocols: string[], options: { headers: Record<string, string>; origin?: string; handshakeTimeout: number }) {
    this.ws = new WebSocket(url, protocols, { ...options, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    this.ws.on('open', () => {
      this.opened = true;
      this.onopen?.({});
    });
    this.ws.on('message', (data) => this.onmessage?.({ data: String(data) }));
    this.ws.on('error', (error) => {
      this.refusal ??= { code: 'CONNECTION_FAILED', message: `Cannot connect to the engine at ${url}: ${error.message}` };
      this.onerror?.(error);
    });
    this.ws.on('close', (code, reason) => {
      this.onclose?.({ code, reason: String(reason), ...(this.refusal && !this.opened ? { refusal: this.refusal } : {}) });
    });
    // A refused handshake carries the engine's explanation as JSON ({ code, message }): read it, then give up.
    this.ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        let parsed: { code?: HandshakeErrorCode; message?: string } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          // not one of Berth's refusals
        }
        this.refusal = { code: parsed.code ?? 'CONNECTION_FAILED', message: parsed.message ?? `The engine refused the connection (HTTP ${res.statusCode}).` };
        this.ws.terminate();
      });
      res.on('error', () => this.ws.terminate());
    });
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    this.ws.send(data);
  }

  /** Closes politely; a peer that does not answer within a second is cut off. */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.CONNECTING) return this.ws.terminate();
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}
