/**
 * The TLS side of the HTTPS front (loaded by https-front.ts at the first HTTPS connection, with node's TLS and HTTP/2
 * code). A TLS server that never listens: the HTTPS front's TCP listener hands it each connection. The certificate for
 * each host name comes from the SNI callback (`CertificateSource`: issued by the local CA, cached). ALPN picks the
 * protocol: `h2` sessions go to `H2Front`, and `http/1.1` (or no ALPN) sockets are handed to the plain front server,
 * whose client-connection code serves them exactly as it serves plain TCP (keep-alive, pipelining, WebSocket upgrades).
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

export class TlsFront {
  private readonly server: tls.Server;
  readonly h2: H2Front;

  constructor(
    private readonly front: FrontServer,
    certificates: CertificateSource,
  ) {
    this.h2 = new H2Front(front.router, front);
    this.server = tls.createServer(
      {
        ALPNProtocols: ['h2', 'http/1.1'],
        handshakeTimeout: HANDSHAKE_MS,
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
  }

  /** Sets the certificate for clients that send no SNI (an address instead of a name): `localhost`'s. */
  async useDefaultCertificate(certificates: CertificateSource): Promise<void> {
    this.server.setSecureContext(await certificates.defaultCertificate());
  }

  /** A TCP connection to serve over TLS (its bytes so far stay buffered in the socket; node's TLS reads them). */
  handle(socket: net.Socket): void {
    this.server.emit('connection', socket);
  }

  private accept(socket: tls.TLSSocket): void {
    if (socket.alpnProtocol === 'h2') this.h2.accept(socket);
    else this.front.accept(socket);
  }
}
