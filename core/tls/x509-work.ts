/**
 * The X.509 work behind the local CA (see local-ca.ts): making the CA and issuing server certificates, with
 * @peculiar/x509 over node's WebCrypto. Keys are ECDSA P-256 (fast to make, accepted by every browser and by node).
 *
 * This module (and the library with its ASN.1 and dependency-injection packages, several MB of heap) is loaded only
 * when a certificate is made: the CA is made in a short-lived child process (ca-process.ts), and server certificates
 * are issued at the first TLS handshake that needs one (`import()` from local-ca.ts). An engine that nobody reaches
 * over HTTPS never loads it.
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA lasts ten years; server certificates 365 days, under the 398 days browsers accept for a server certificate. */
const CA_DAYS = 3650;
const LEAF_DAYS = 365;

/**
 * Makes the CA: `keyPath` (owner-only) and `certPath` in `home` (made if missing). Returns the certificate's PEM.
 */
export async function createCa(home: string, certPath: string, keyPath: string): Promise<string> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const user = safeName(os.userInfo().username);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=Berth local CA (${user}@${safeName(os.hostname())}), O=Berth local development`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  const keyPem = await pkcs8Pem(keys.privateKey);
  const certPem = certificate.toString('pem');
  // The key first, owner-only from its creation (a temporary name, so a reader never sees half a file), then the
  // certificate: a CA certificate on disk always has its key next to it.
  await writeAtomically(keyPath, keyPem, 0o600);
  await writeAtomically(certPath, certPem, 0o644);
  return certPem;
}

/** A server certificate for `host` (`localhost` also covers 127.0.0.1 and ::1), signed by the CA `caPem`. */
export async function issueCertificate(caPem: string, signingKey: CryptoKey, host: string): Promise<{ cert: string; key: string }> {
  const ca = new x509.X509Certificate(caPem);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const names: x509.JsonGeneralName[] = [{ type: 'dns', value: host }];
  if (host === 'localhost') names.push({ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' });
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${host}`,
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey as never,
    signingKey: signingKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { cert: `${certificate.toString('pem')}\n${caPem}\n`, key: await pkcs8Pem(keys.privateKey) };
}

/** A positive 128-bit serial number, in hex (RFC 5280 asks for at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A name safe inside a distinguished name. */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'user';
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode, flag: 'wx' });
  // writeFile's mode is filtered by the umask; the key's mode must be exactly owner-only.
  await chmod(temporary, mode);
  await rename(temporary, file);
}
