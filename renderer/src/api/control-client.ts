/**
 * The window's control client: the shared, transport-neutral client (core/shared/control-client.ts) over the
 * browser's WebSocket, which already has the socket shape it needs. The token goes as a subprotocol (a browser cannot
 * set headers). Reconnecting is session.ts's job: one client is one connection.
 */
import { ControlClient, type SocketFactory } from '../../../core/shared/control-client.js';

export {
  ControlClient,
  ControlError,
  errorMessage,
  isNotImplemented,
  type ClientErrorCode,
  type SocketFactory,
  type SocketLike,
  type SubscribeMethod,
  type Subscription,
} from '../../../core/shared/control-client.js';

/** The browser's WebSocket, as the shared client's socket. */
export const browserSocket: SocketFactory = (url, protocols) => new WebSocket(url, protocols) as unknown as ReturnType<SocketFactory>;

export interface BrowserConnectOptions {
  url: string;
  token: string;
  /** Another socket (tests: a fake engine's). */
  socket?: SocketFactory;
  connectTimeoutMs?: number;
  callTimeoutMs?: number;
}

/** Connects to the engine over a WebSocket and waits for its hello. */
export function connectBrowser(options: BrowserConnectOptions): Promise<ControlClient> {
  return ControlClient.connect({
    url: options.url,
    token: options.token,
    socket: options.socket ?? browserSocket,
    timeoutMs: options.connectTimeoutMs ?? 10_000,
    callTimeoutMs: options.callTimeoutMs ?? 60_000,
  });
}
