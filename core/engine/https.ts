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
import { HostCertificates } from '../tls/host-certificates.js';
import { caPaths, LocalCa } from '../tls/local-ca.js';
import { listenError } from './errors.js';

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
  /** The user's own NODE_EXTRA_CA_CERTS file, combined with the CA for workers (set by `withLocalCa`). */
  userExtraCa?: string | undefined;
}

export interface HttpsRunning {
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
 * The environment for workers: `NODE_EXTRA_CA_CERTS` names the CA, so node's HTTPS client in an app trusts
 * `https://<other-app>.localhost`. Node reads one file only: when the user set one, workers get a file holding both
 * (written by `startHttps`, before any worker starts). Also returns the HTTPS options with that file noted.
 */
export function withLocalCa(env: NodeJS.ProcessEnv, https: HttpsOptions | undefined, platform: Platform): { env: NodeJS.ProcessEnv; https: HttpsOptions | undefined } {
  if (!https) return { env, https };
  const userFile = userExtraCa(env, platform);
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if ((platform === 'win32' ? key.toUpperCase() : key) !== 'NODE_EXTRA_CA_CERTS') result[key] = value;
  result.NODE_EXTRA_CA_CERTS = userFile ? path.join(https.home, COMBINED_CA_FILE) : caPaths(https.home).cert;
  return { env: result, https: { ...https, userExtraCa: userFile } };
}

/** Opens (or creates) the CA and listens for HTTPS; for an optional port, a problem says why HTTPS is off. */
export async function startHttps(front: FrontServer, https: HttpsOptions, host: string, platform: Platform): Promise<HttpsRunning | { problem: string }> {
  const ca = await LocalCa.open(https.home);
  if (https.userExtraCa) await writeCombined(https.userExtraCa, ca, path.join(https.home, COMBINED_CA_FILE));
  const server = new HttpsFront(front, new HostCertificates(ca));
  try {
    return { server, address: await server.listen(https.port, host), caPath: ca.certPath };
  } catch (error) {
    const problem = await listenError(error, host, https.port, platform, '--https-port');
    if (https.optional) return { problem: `HTTPS is off for this run: ${problem.message}` };
    throw problem;
  }
}

/** The user's extra CA file followed by Berth's CA; a user file that cannot be read is left out, with a note. */
async function writeCombined(userFile: string, ca: LocalCa, target: string): Promise<void> {
  const theirs = await readFile(userFile, 'utf8').catch((error: Error) => `# ${userFile} could not be read: ${error.message}\n`);
  await writeFile(target, `${theirs.trimEnd()}\n${ca.pem.trimEnd()}\n`);
}
