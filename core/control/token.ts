/**
 * The control API's token: 32 random bytes (base64url, so it is also a valid WebSocket subprotocol name), made anew
 * each time an engine starts and written to `token` in the Berth home folder with owner-only permissions (0600 on
 * Linux and macOS; on Windows the file is in the user's own profile folder, whose ACL keeps other users out — Berth
 * does not set ACLs itself). Anyone who can read that file can control the engine, exactly as anyone who can run
 * programs as this user can.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homeFile } from '../home.js';
import { writeFileAtomic } from '../registry/atomic-write.js';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Makes a new token and writes it to the home folder (atomically, mode 0600). */
export async function writeNewToken(home: string): Promise<string> {
  const token = newToken();
  await writeFileAtomic(homeFile(home, 'token'), `${token}\n`, { mode: 0o600 });
  return token;
}

/** The token of the engine running from this home folder, or undefined when there is no token file. */
export async function readToken(home: string): Promise<string | undefined> {
  try {
    return (await readFile(homeFile(home, 'token'), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Compares in constant time (digests first, so different lengths take the same time too). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
