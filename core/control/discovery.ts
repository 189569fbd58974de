/**
 * The discovery file, `engine.json` in the Berth home folder: where the running engine's control API listens. The
 * engine writes it (atomically) once the API listens and removes it when it stops cleanly. A file left behind by an
 * engine that died is recognised (its process is gone, or nothing answers on its port) and reported as such.
 */
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { homeFile } from '../home.js';
import { writeFileAtomic } from '../registry/atomic-write.js';

export interface Discovery {
  /** The engine's process. */
  pid: number;
  /** The control API, e.g. ws://127.0.0.1:49152/control */
  url: string;
  host: string;
  port: number;
  /** The front server, e.g. http://127.0.0.1:8080/ */
  frontUrl: string;
  version: string;
  /** Epoch ms. */
  startedAt: number;
}

export async function writeDiscovery(home: string, discovery: Discovery): Promise<void> {
  await writeFileAtomic(homeFile(home, 'discovery'), `${JSON.stringify(discovery, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the discovery file if it still names this process (another engine may have replaced it). */
export async function removeDiscovery(home: string, pid = process.pid): Promise<void> {
  const current = await readDiscovery(home).catch(() => undefined);
  if (current && current.pid !== pid) return;
  await rm(homeFile(home, 'discovery'), { force: true });
}

/** The discovery file's content; undefined when there is none. Throws when it exists but is not one. */
export async function readDiscovery(home: string): Promise<Discovery | undefined> {
  let text: string;
  try {
    text = await readFile(homeFile(home, 'discovery'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const data = JSON.parse(text) as Partial<Discovery>;
  if (typeof data.pid !== 'number' || typeof data.url !== 'string' || typeof data.port !== 'number' || typeof data.host !== 'string') {
    throw new Error(`${homeFile(home, 'discovery')} is not a Berth discovery file`);
  }
  return data as Discovery;
}

export type EngineLookup =
  | { state: 'running'; discovery: Discovery }
  | { state: 'none' }
  /** A discovery file whose engine is gone: `why` says how we know. */
  | { state: 'stale'; discovery?: Discovery; why: string };

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function answers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Is an engine running from this home folder? Checks the discovery file's process and port. */
export async function findEngine(home: string, timeoutMs = 1000): Promise<EngineLookup> {
  let discovery: Discovery | undefined;
  try {
    discovery = await readDiscovery(home);
  } catch (error) {
    return { state: 'stale', why: `${homeFile(home, 'discovery')} cannot be read (${(error as Error).message})` };
  }
  if (!discovery) return { state: 'none' };
  if (!processAlive(discovery.pid)) return { state: 'stale', discovery, why: `the engine that wrote it (pid ${discovery.pid}) is no longer running` };
  if (!(await answers(discovery.host, discovery.port, timeoutMs))) {
    return { state: 'stale', discovery, why: `nothing answers at ${discovery.url}; the engine must have stopped without cleaning up` };
  }
  return { state: 'running', discovery };
}
