/**
 * The few places where Windows and the other systems differ. Each function takes the platform as a parameter so
 * the Windows branch is unit-tested on any machine.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export type Platform = NodeJS.Platform;

/** Unix socket paths must stay short: 108 bytes on Linux, 104 on macOS, including the terminator. */
export const MAX_SOCKET_PATH_BYTES = 100;

/** A fresh, unguessable id for an endpoint name. */
export function endpointId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The private endpoint a worker listens on (its `PORT`): a named pipe on Windows, a unix socket in the temp folder
 * elsewhere.
 */
export function workerEndpoint(platform: Platform, id: string, tmpdir: string = os.tmpdir()): string {
  if (platform === 'win32') return `\\\\.\\pipe\\berth-${id}`;
  let file = path.posix.join(tmpdir, `berth-${id}.sock`);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES) file = path.posix.join('/tmp', `berth-${id}.sock`);
  return file;
}

/** Named pipes vanish with their server; unix socket files are left behind and must be removed. */
export function endpointIsFile(platform: Platform): boolean {
  return platform !== 'win32';
}

/** A worker endpoint that is a loopback TCP port (portMode: tcp) rather than a pipe or socket path. */
export function endpointIsPort(endpoint: string): boolean {
  return /^\d+$/.test(endpoint);
}

/** How to dial a worker's endpoint: its pipe or socket path, or TCP 127.0.0.1:port (portMode: tcp). */
export function endpointConnectOptions(endpoint: string): { path: string } | { port: number; host: string } {
  return endpointIsPort(endpoint) ? { port: Number(endpoint), host: '127.0.0.1' } : { path: endpoint };
}

/**
 * Spawn options for workers. On every platform the worker gets its own process group, so a Ctrl+C in Berth's
 * console reaches Berth alone and Berth stops the workers gracefully. Windows gets no console window.
 */
export function workerSpawnOptions(platform: Platform): { detached: boolean; windowsHide: boolean } {
  return { detached: true, windowsHide: platform === 'win32' };
}

/**
 * How to kill a worker and everything it started. Windows has no process groups to signal: taskkill walks the
 * tree. Elsewhere the worker leads its own process group, so one signal to the group reaches every descendant.
 * `taskkill` is the program (and leading arguments) to run on Windows; tests replace it to act out its failures.
 */
export function treeKillPlan(
  platform: Platform,
  pid: number,
  taskkill: readonly string[] = ['taskkill'],
): { command: string; args: string[] } | { signalGroup: number } {
  if (platform === 'win32') return { command: taskkill[0]!, args: [...taskkill.slice(1), '/pid', String(pid), '/T', '/F'] };
  return { signalGroup: pid };
}

/**
 * Splits a command line into program and arguments the way Windows programs do (CommandLineToArgvW rules):
 * double quotes group, backslashes are literal unless they precede a quote. This also reads POSIX-style simple
 * command lines correctly, so `nodeProcessCommandLine` means the same everywhere.
 */
export function splitCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let slashes = 0;
      while (line[i] === '\\') {
        slashes++;
        i++;
      }
      if (line[i] === '"') {
        current += '\\'.repeat(Math.floor(slashes / 2));
        if (slashes % 2 === 1) current += '"';
        else quoted = !quoted;
      } else {
        current += '\\'.repeat(slashes);
        i--;
      }
      inArg = true;
    } else if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        current += '"';
        i++;
      } else {
        quoted = !quoted;
      }
      inArg = true;
    } else if ((ch === ' ' || ch === '\t') && !quoted) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}
