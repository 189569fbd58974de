/**
 * The per-user certificate authority behind Berth's HTTPS front. Created at first use in the Berth home: `ca.pem`
 * (the certificate users trust, see `berth trust`) and `ca-key.pem` (its private key, readable by this user only:
 * mode 0600 on POSIX; on Windows the file inherits the ACL of the user's profile folder, %APPDATA%, which keeps
 * other users out). Server certificates are issued in memory per host name, on the fly, and never written to disk.
 *
 * The X.509 work is done by @peculiar/x509 over node's WebCrypto; keys are ECDSA P-256 (fast to make, accepted by
 * every browser and by node).
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { homeFile } from '../home.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA lasts ten years; server certificates 365 days, under the 398 days browsers accept for a server certificate. */
const CA_DAYS = 3650;
const LEAF_DAYS = 365;


/** A server certificate and its key, in PEM, ready for `tls.createSecureContext`. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

export class LocalCaError extends Error {}

/** The CA's files in a Berth home folder. */
export function caPaths(home: string): { cert: string; key: string } {
  return { cert: homeFile(home, 'caCert'), key: homeFile(home, 'caKey') };
}

export class LocalCa {
  private constructor(
    readonly certPath: string,
    readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  /** The CA certificate in PEM. */
  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** Loads the CA from `home`, creating it (and the folder) at first use. */
  static async open(home: string): Promise<LocalCa> {
    const paths = caPaths(home);
    let certPem: string | undefined;
    let keyPem: string | undefined;
    try {
      certPem = await readFile(paths.cert, 'utf8');
      keyPem = await readFile(paths.key, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (certPem !== undefined) {
        throw new LocalCaError(`${paths.cert} exists but its key ${paths.key} is missing. Delete ${paths.cert} so Berth makes a new CA (then run \`berth trust\` again).`);
      }
    }
    if (certPem === undefined || keyPem === undefined) return LocalCa.create(home);
    try {
      const certificate = new x509.X509Certificate(certPem);
      const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
      const signingKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
      return new LocalCa(paths.cert, certificate, signingKey as CryptoKey);
    } catch (error) {
      throw new LocalCaError(`Berth cannot read its local CA (${paths.cert}, ${paths.key}): ${(error as Error).message}. Delete both files so Berth makes a new CA (then run \`berth trust\` again).`);
    }
  }

  private static async create(home: string): Promise<LocalCa> {
    await mkdir(home, { recursive: true, mode: 0o700 });
    const paths = caPaths(home);
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
    // The key first, owner-only from its creation (a temporary name, so a reader never sees half a file), then the
    // certificate: a CA certificate on disk always has its key next to it.
    await writeAtomically(paths.key, keyPem, 0o600);
    await writeAtomically(paths.cert, certificate.toString('pem'), 0o644);
    return new LocalCa(paths.cert, certificate, keys.privateKey);
  }

  /** A server certificate for `host` (a DNS name; `localhost` also covers 127.0.0.1 and ::1), signed by this CA. */
  async issue(host: string): Promise<IssuedCertificate> {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const names: x509.JsonGeneralName[] = [{ type: 'dns', value: host }];
    if (host === 'localhost') names.push({ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' });
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${host}`,
      issuer: this.certificate.subject,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey as never,
      signingKey: this.signingKey as never,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
      ],
    });
    return { cert: `${certificate.toString('pem')}\n${this.pem}\n`, key: await pkcs8Pem(keys.privateKey) };
  }
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
