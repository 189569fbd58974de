/**
 * The per-user certificate authority behind Berth's HTTPS front. Created at first use in the Berth home: `ca.pem`
 * (the certificate users trust, see `berth trust`) and `ca-key.pem` (its private key, readable by this user only:
 * mode 0600 on POSIX; on Windows the file inherits the ACL of the user's profile folder, %APPDATA%, which keeps
 * other users out). Server certificates are issued in memory per host name, on the fly, and never written to disk.
 *
 * Reading an existing CA needs node:crypto only. The X.509 library (x509-work.ts) is kept out of the engine until
 * it is needed: a missing CA is made in a short-lived child process (ca-process.ts), and the first certificate issued
 * loads the library with `import()`.
 */
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { homeFile } from '../home.js';

type CryptoKey = webcrypto.CryptoKey;

/** As x509-work.ts's ALGORITHM (not imported from there: that would load the library). */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

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
    /** The CA certificate in PEM. */
    readonly pem: string,
    private readonly signingKey: CryptoKey,
  ) {}

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
    if (certPem === undefined || keyPem === undefined) {
      await createInChild(home, paths);
      certPem = await readFile(paths.cert, 'utf8');
      keyPem = await readFile(paths.key, 'utf8');
    }
    try {
      new X509Certificate(certPem);
      const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
      const signingKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
      return new LocalCa(paths.cert, certPem, signingKey as CryptoKey);
    } catch (error) {
      throw new LocalCaError(`Berth cannot read its local CA (${paths.cert}, ${paths.key}): ${(error as Error).message}. Delete both files so Berth makes a new CA (then run \`berth trust\` again).`);
    }
  }

  /** A server certificate for `host` (a DNS name; `localhost` also covers 127.0.0.1 and ::1), signed by this CA. */
  async issue(host: string): Promise<IssuedCertificate> {
    const { issueCertificate } = await import('./x509-work.js');
    return issueCertificate(this.pem, this.signingKey, host);
  }
}

/**
 * Makes the CA's files in a short-lived child process (ca-process.ts), so the X.509 library is never loaded in this
 * one. (ELECTRON_RUN_AS_NODE: in the desktop app the engine's node is Electron's.)
 */
function createInChild(home: string, paths: { cert: string; key: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL('./ca-process.js', import.meta.url));
    const thread = fork(script, [JSON.stringify({ home, ...paths })], { execArgv: [], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    let answered = false;
    thread.once('message', (message: { pem?: string; error?: string }) => {
      answered = true;
      if (message.error === undefined) resolve();
      else reject(new LocalCaError(`Berth could not make its local CA (${paths.cert}, ${paths.key}) in ${home}: ${message.error}. Check that the folder can be written.`));
    });
    thread.once('error', (error) => {
      answered = true;
      reject(new LocalCaError(`Berth could not make its local CA (${paths.cert}, ${paths.key}): ${error.message}`));
    });
    thread.once('exit', (code) => {
      if (!answered) reject(new LocalCaError(`Berth could not make its local CA (${paths.cert}, ${paths.key}): the process making it stopped (exit code ${code}).`));
    });
  });
}
