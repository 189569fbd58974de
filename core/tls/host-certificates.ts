/**
 * Server certificates per host name for the HTTPS front's SNI callback: issued by the local CA at the first
 * handshake for a name, then kept (as a TLS secure context) for the engine's life. The cache is bounded, so a client
 * sending made-up names cannot make the engine hold certificates without end.
 */
import tls from 'node:tls';
import type { IssuedCertificate, LocalCa } from './local-ca.js';

/** Host names kept; the oldest is dropped beyond this. */
const MAX_CACHED = 256;
/** A DNS name (labels of letters, digits and hyphens), as a certificate's subjectAltName may hold it. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export class HostCertificates {
  private readonly contexts = new Map<string, Promise<tls.SecureContext>>();

  constructor(private readonly ca: LocalCa) {}

  /** The secure context for `servername` (names that are not DNS names get `localhost`'s). */
  contextFor(servername: string): Promise<tls.SecureContext> {
    let name = servername.toLowerCase().replace(/\.$/, '');
    if (!DNS_NAME.test(name)) name = 'localhost';
    let context = this.contexts.get(name);
    if (context) {
      // Most recently used last, so the oldest unused one is dropped first.
      this.contexts.delete(name);
      this.contexts.set(name, context);
      return context;
    }
    context = this.ca.issue(name).then((issued) => tls.createSecureContext(issued));
    // A failed issue is not kept: the next handshake tries again.
    context.catch(() => this.contexts.delete(name));
    this.contexts.set(name, context);
    if (this.contexts.size > MAX_CACHED) this.contexts.delete(this.contexts.keys().next().value!);
    return context;
  }

  defaultCertificate(): Promise<IssuedCertificate> {
    return this.ca.issue('localhost');
  }
}
