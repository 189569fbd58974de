/**
 * The HTTPS front: one TLS listener for every app, next to the plain front server. The certificate for each host
 * name comes from the SNI callback (`CertificateSource`: issued by the local CA, cached). ALPN picks the protocol:
 * `h2` sessions go to `H2Front`, and `http/1.1` (or no ALPN) sockets are handed to the plain front server, whose
 * client-connection code serves them exactly as it serves plain TCP (keep-alive, pipelining, WebSocket upgrades).
 */
import tls from 'node:tls';
import type net from 'node:net';
import type { FrontServer } from './front-server.js';
import { H2Front } from './h2-front.js';

/** Where the HTTPS front gets its certificates. */
export interface CertificateSource {
  /** The certificate for a host name the client asked for by SNI. */
  contextFor(servername: string): Promise<tls.SecureContext>;
  /** The certificate for clients that send no SNI (an address instead of a name): `localhost`'s. */
  defaultCertificate(): Promise<{ cert: string; key: string }>;
}

/** How long a TLS handshake may take. */
const HANDSHAKE_MS = 10_000;

export class HttpsFront {
  readonly server: tls.Server;
  readonly h2: H2Front;

  constructor(
    private readonly front: FrontServer,
    private readonly certificates: CertificateSource,
  ) {
    this.h2 = new H2Front(front.router, front);
    this.server = tls.createServer(
      {
        ALPNProtocols: ['h2', 'http/1.1'],
        handshakeTimeout: HANDSHAKE_MS,
        noDelay: true,
        minVersion: 'TLSv1.2',
        SNICallback: (servername, done) => {
          certificates.contextFor(servername).then(
            (context) => done(null, context),
            (error: Error) => done(error),
          );
        },
      },
      (socket) => this.accept(socket),
    );
    // A client that gave up or does not trust the CA: nothing to do (the client sees its own error).
    this.server.on('tlsClientError', (_error, socket) => socket.destroy());
    this.holdUntilDefaultCertificate();
  }

  /**
   * The default certificate (for clients sending no SNI) is made at the first connection, not at start, so an
   * engine nobody reaches over HTTPS never loads the X.509 library. Until it is there, new TCP connections wait
   * (their bytes stay buffered in the socket) and are then handed to the TLS server's own connection handler.
   */
  private holdUntilDefaultCertificate(): void {
    const handlers = this.server.listeners('connection') as ((socket: net.Socket) => void)[];
    this.server.removeAllListeners('connection');
    let ready: Promise<void> | undefined;
    let done = false;
    const handOver = (socket: net.Socket) => {
      for (const handler of handlers) handler.call(this.server, socket);
    };
    this.server.on('connection', (socket: net.Socket) => {
      if (done) return handOver(socket);
      ready ??= this.certificates.defaultCertificate().then((issued) => {
        this.server.setSecureContext(issued);
        done = true;
      });
      // A socket that fails while waiting is closed; the TLS server takes over error handling once handed over.
      const onError = () => socket.destroy();
      socket.on('error', onError);
      ready.then(
        () => {
          socket.off('error', onError);
          if (!socket.destroyed) handOver(socket);
        },
        () => {
          // Not kept: the next connection tries again.
          ready = undefined;
          socket.destroy();
        },
      );
    });
  }

  private accept(socket: tls.TLSSocket): void {
    if (socket.alpnProtocol === 'h2') this.h2.accept(socket);
    else this.front.accept(socket);
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ port, host, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting; h2 sessions finish their streams (HTTP/1.1 connections are closed by the front server). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.h2.close();
    return closed;
  }

  destroyConnections(): void {
    this.h2.destroySessions();
  }
}
