/**
 * The engine's HTTPS front: the local CA (created at first use in the Berth home), certificates per host name, and
 * the TLS listener next to the plain front server. Also what workers get so that their own HTTPS calls to other
 * local apps trust that CA.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Platform } from '../platform/platform.js';
import type { FrontServer } from '../proxy/front-server.js';
import { HttpsFront } from '../proxy/https-front.js';
import { caPaths, LocalCa } from '../tls/local-ca.js';
import { listenError } from './errors.js';

/** The HTTPS front's port unless told otherwise (`berth serve --https-port`, the desktop app); 443 needs a user who may bind it. */
export const DEFAULT_HTTPS_PORT = 8443;

export interface HttpsOptions {
  /** The HTTPS front's port (8443 for `berth serve`; 0: any free port). */
  port: number;
  /** The Berth home folder, which holds the CA. */
  home: string;
  /**
   * The port is a default rather than the user's choice: when it cannot be used (another program, or a second
   * engine, holds it) the engine runs without HTTPS and says why (`Engine.httpsProblem`) instead of failing.
   */
  optional?: boolean;
}

interface HttpsRunning {
  server: HttpsFront;
  address: AddressInfo;
  caPath: string;
}

/** The file workers get as NODE_EXTRA_CA_CERTS when the user had one already: theirs, then Berth's CA. */
export const COMBINED_CA_FILE = 'ca-with-extra.pem';

/** The user's own NODE_EXTRA_CA_CERTS (names are case-insensitive on Windows). */
function userExtraCa(env: NodeJS.ProcessEnv, platform: Platform): string | undefined {
  const key = Object.keys(env).find((name) => (platform === 'win32' ? name.toUpperCase() : name) === 'NODE_EXTRA_CA_CERTS');
  return key === undefined || !env[key] ? undefined : env[key];
}

/**
 * The engine's HTTPS part: its options, and once started its listener, or why HTTPS is off. Workers get
 * `NODE_EXTRA_CA_CERTS` naming the CA (in the engine environment every app gets), so node's HTTPS client in an app trusts
 * `https://<other-app>.localhost`. Node reads one file only: when the user set one, workers get a file holding both
 * (written at start, before any worker starts).
 */
export class EngineHttps {
  private running: HttpsRunning | undefined;
  /** Why HTTPS is off although asked for (its default port was taken). */
  problem: string | undefined;
  private readonly userExtraCa: string | undefined;
  /** The engine's environment with NODE_EXTRA_CA_CERTS set for the workers. */
  readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly options: HttpsOptions,
    env: NodeJS.ProcessEnv,
    private readonly platform: Platform,
  ) {
    this.userExtraCa = userExtraCa(env, platform);
    const result: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(env)) if ((platform === 'win32' ? key.toUpperCase() : key) !== 'NODE_EXTRA_CA_CERTS') result[key] = value;
    result.NODE_EXTRA_CA_CERTS = this.userExtraCa ? path.join(options.home, COMBINED_CA_FILE) : caPaths(options.home).cert;
    this.env = result;
  }

  /** The local CA's certificate file (made when the front starts, also when its port turns out taken). */
  get caPath(): string {
    return caPaths(this.options.home).cert;
  }

  /** The HTTPS front's port and the CA's certificate file, once listening. */
  get info(): { port: number; caPath: string } | undefined {
    return this.running && { port: this.running.address.port, caPath: this.running.caPath };
  }

  /**
   * Opens (or creates) the CA and listens for HTTPS next to `front`. An optional port that cannot be used leaves
   * `problem` set; any other failure closes `front` too (the engine does not start) and is thrown.
   */
  async start(front: FrontServer, host: string): Promise<void> {
    const { options } = this;
    try {
      const ca = await LocalCa.open(options.home);
      if (this.userExtraCa) await writeCombined(this.userExtraCa, ca, path.join(options.home, COMBINED_CA_FILE));
      // The certificate code (node:tls, X.509) loads at the first HTTPS connection (https-front.ts).
      const server = new HttpsFront(front, async () => new (await import('../tls/host-certificates.js')).HostCertificates(ca));
      try {
        this.running = { server, address: await server.listen(options.port, host), caPath: ca.certPath };
      } catch (error) {
        const problem = await listenError(error, host, options.port, this.platform, '--https-port');
        if (!options.optional) throw problem;
        this.problem = `HTTPS is off for this run: ${problem.message}`;
      }
    } catch (error) {
      await front.close();
      throw error;
    }
  }

  /** Stops accepting; h2 sessions finish their streams. */
  close(): Promise<void> {
    return this.running ? this.running.server.close() : Promise.resolve();
  }

  destroyConnections(): void {
    this.running?.server.destroyConnections();
  }
}

/** The user's extra CA file followed by Berth's CA; a user file that cannot be read is left out, with a note. */
async function writeCombined(userFile: string, ca: LocalCa, target: string): Promise<void> {
  const theirs = await readFile(userFile, 'utf8').catch((error: Error) => `# ${userFile} could not be read: ${error.message}\n`);
  await writeFile(target, `${theirs.trimEnd()}\n${ca.pem.trimEnd()}\n`);
}
