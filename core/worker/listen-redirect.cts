/**
 * The app's own listen() reaches Berth (required by bootstrap.cts, inside the worker; dependency-free).
 *
 * Many apps never listen on process.env.PORT as Berth gives it: `listen(3000)`, `Number(process.env.PORT) || 3000`
 * (a pipe path is NaN), Fastify's `listen({ port: process.env.PORT })` (node refuses a path as a port). The bootstrap
 * passes every listen() call through `rewrite` before node validates the arguments; the first plain-HTTP server
 * that listens somewhere else, while no server has listened on PORT yet, is bound to PORT instead.
 *
 * "Plain-HTTP server": node's `http.Server`, or any other non-TLS `net.Server` with a 'request' listener (an h2c
 * server allowing HTTP/1). TLS servers (https, http2 secure) are left alone: Berth speaks plain HTTP to its workers,
 * so one bound to PORT could not answer it. Raw `net` servers, handles and file descriptors are left alone too.
 * Servers after the first (a metrics port) stay where the app put them. BERTH_REDIRECT_LISTEN=0 (the
 * `redirectListen: false` setting) turns all this off.
 */
import http = require('node:http');
import net = require('node:net');
import tls = require('node:tls');

/** Where Berth expects the app: a pipe (unix socket) path, or a loopback TCP port (portMode: tcp). */
type Endpoint = { kind: 'pipe'; path: string } | { kind: 'tcp'; port: number };

/** What a listen() call asks for, read the way node reads its arguments. */
interface ListenRequest {
  port?: unknown;
  host?: string;
  path?: string;
  /** A handle or file descriptor: never redirected. */
  handle?: boolean;
  callback?: (...a: unknown[]) => void;
}

/** A redirect that happened, for the worker's stderr and the engine. */
interface Redirected {
  /** What the app asked for, in words ("TCP port 3000", "port NaN"). */
  from: string;
  /** A specific hint when the request was a known mistake. */
  hint?: string;
}

function endpointFromEnv(port: string): Endpoint {
  return /^\d+$/.test(port) ? { kind: 'tcp', port: Number(port) } : { kind: 'pipe', path: port };
}

function samePath(a: string, b: string): boolean {
  // Windows pipe names are case-insensitive.
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function readRequest(args: readonly unknown[]): ListenRequest {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as ListenRequest['callback']) : undefined;
  const first = args[0];
  const request: ListenRequest = callback ? { callback } : {};
  if (first !== null && typeof first === 'object') {
    const o = first as { port?: unknown; host?: unknown; path?: unknown; _handle?: unknown; handle?: unknown; fd?: unknown };
    if (o.port === undefined && o.path === undefined && (o._handle !== undefined || o.handle !== undefined || o.fd !== undefined)) return { ...request, handle: true };
    if (typeof o.path === 'string') return { ...request, path: o.path };
    return { ...request, port: o.port, ...(typeof o.host === 'string' ? { host: o.host } : {}) };
  }
  if (typeof first === 'string' && !/^\s*\d+\s*$/.test(first)) return { ...request, path: first };
  if (typeof first === 'function' || first === undefined || first === null) return { ...request, port: 0 };
  return { ...request, port: first, ...(typeof args[1] === 'string' ? { host: args[1] } : {}) };
}

/** Does this request already go where Berth expects? */
function targetsEndpoint(request: ListenRequest, endpoint: Endpoint): boolean {
  if (endpoint.kind === 'pipe') return request.path !== undefined && samePath(request.path, endpoint.path);
  return request.path === undefined && !request.handle && Number(request.port) === endpoint.port;
}

function describe(request: ListenRequest, endpoint: Endpoint): Redirected {
  const port = request.port;
  const on = request.host ? ` on ${request.host}` : '';
  if (typeof port === 'string' && endpoint.kind === 'pipe' && samePath(port, endpoint.path)) {
    return {
      from: `{ port: process.env.PORT }${on}`,
      hint: 'process.env.PORT is a pipe path, not a port number: listen({ path: process.env.PORT }), or set portMode: tcp.',
    };
  }
  if (typeof port === 'number' && Number.isNaN(port)) {
    return { from: 'port NaN', hint: 'Number(process.env.PORT) is NaN because PORT is a pipe path: pass process.env.PORT itself to listen().' };
  }
  if (request.path !== undefined) return { from: `the path ${request.path}` };
  if (port === 0 || port === '0') return { from: `a random TCP port${on}` };
  return { from: `TCP port ${String(port)}${on}` };
}

class ListenRedirect {
  /** A server listened (or asked to listen) on the endpoint: nothing more is redirected. */
  private endpointTaken = false;
  private redirected = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly enabled: boolean,
    private readonly report: (redirected: Redirected) => void,
  ) {}

  /** listen()'s arguments, rewritten to the endpoint when this server is the one to redirect. */
  rewrite(server: net.Server, args: unknown[]): unknown[] {
    const request = readRequest(args);
    if (targetsEndpoint(request, this.endpoint)) {
      this.endpointTaken = true;
      return args;
    }
    if (!this.enabled || this.endpointTaken || this.redirected || request.handle || !isPlainHttpServer(server)) return args;
    this.redirected = true;
    this.endpointTaken = true;
    const redirected = describe(request, this.endpoint);
    if (this.endpoint.kind === 'pipe') pretendTcpAddress(server, request);
    this.report(redirected);
    const options = this.endpoint.kind === 'pipe' ? { path: this.endpoint.path } : { port: this.endpoint.port, host: '127.0.0.1' };
    return request.callback ? [options, request.callback] : [options];
  }
}

function isPlainHttpServer(server: net.Server): boolean {
  return server instanceof http.Server || (!(server instanceof tls.Server) && server.listenerCount('request') > 0);
}

/**
 * A server redirected to a pipe would answer address() with the pipe's path where the app asked for TCP, and
 * frameworks print `address().port` or build URLs from it. It answers what the app asked for instead.
 */
function pretendTcpAddress(server: net.Server, request: ListenRequest): void {
  const port = Number(request.port);
  const host = request.host && net.isIP(request.host) ? request.host : request.host ? '127.0.0.1' : '::';
  const pretended: net.AddressInfo = { address: host, family: net.isIPv6(host) ? 'IPv6' : 'IPv4', port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 0 };
  server.address = function address(this: net.Server) {
    const real = realAddress(this);
    return typeof real === 'string' ? pretended : real;
  };
}

/** What the server really listens on, whatever address() was made to say. */
function realAddress(server: net.Server): ReturnType<net.Server['address']> {
  return net.Server.prototype.address.call(server);
}

export = { endpointFromEnv, ListenRedirect, realAddress };
