/**
 * The HTTPS front: one TCP listener for every app, next to the plain front server. Node's TLS and HTTP/2 code, and the
 * certificates (the X.509 library, the default `localhost` certificate), are loaded at the first connection
 * (tls-front.ts), so an engine nobody reaches over HTTPS does not hold them (about 3 MB of resident memory). Until
 * they are there, new connections wait with their bytes buffered in the socket, then go to the TLS front.
 */
import net from 'node:net';
import type { FrontServer } from './front-server.js';
import type { CertificateSource, TlsFront } from './tls-front.js';

export class HttpsFront {
  private readonly server: net.Server;
  /** The TLS front once loaded, with its default certificate set. */
  private tls: TlsFront | undefined;
  private loading: Promise<TlsFront> | undefined;

  constructor(
    private readonly front: FrontServer,
    /** Made at the first connection (loading the certificate code then). */
    private readonly certificates: () => Promise<CertificateSource>,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    if (this.tls) return this.tls.handle(socket);
    // A socket that fails while waiting is closed; the TLS server takes over error handling once handed over.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    this.loading ??= this.load();
    this.loading.then(
      (tlsFront) => {
        socket.off('error', onError);
        if (!socket.destroyed) tlsFront.handle(socket);
      },
      () => {
        // Not kept: the next connection tries again.
        this.loading = undefined;
        socket.destroy();
      },
    );
  }

  private async load(): Promise<TlsFront> {
    const [{ TlsFront }, certificates] = await Promise.all([import('./tls-front.js'), this.certificates()]);
    const tlsFront = new TlsFront(this.front, certificates);
    await tlsFront.useDefaultCertificate(certificates);
    this.tls = tlsFront;
    return tlsFront;
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
    this.tls?.h2.close();
    return closed;
  }

  destroyConnections(): void {
    this.tls?.h2.destroySessions();
  }
}
