/**
 * Names the process holding a TCP port, for "port already in use" errors. Best effort: it reads what the OS
 * offers without admin rights and returns undefined when it cannot tell. No wmic (gone from Windows 11 24H2).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Platform } from './platform.js';

export interface PortHolder {
  pid: number;
  name?: string;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { windowsHide: true, timeout: 5000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => resolve(error ? '' : stdout));
  });
}

/**
 * Parses `netstat -ano -p tcp` output (Windows) for the pid listening on `port`. The state column is translated on
 * non-English Windows, so a listening socket is recognised by its foreign address (`0.0.0.0:0` or `[::]:0`).
 */
export function pidFromNetstat(output: string, port: number): number | undefined {
  for (const line of output.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^TCP/i.test(cols[0]!) || !/:0$/.test(cols[2]!)) continue;
    const local = cols[1]!;
    if (Number(local.slice(local.lastIndexOf(':') + 1)) === port) return Number(cols[4]);
  }
  return undefined;
}

/** Parses `tasklist /fi "PID eq N" /fo csv /nh` output for the image name. */
export function nameFromTasklist(output: string): string | undefined {
  const match = /^"([^"]+)"/.exec(output.trim());
  return match?.[1];
}

/** Finds the socket inode listening on `port` in /proc/net/tcp{,6} text (Linux). */
export function inodesFromProcNet(text: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const localPort = parseInt(cols[1]!.split(':')[1] ?? '', 16);
    if (localPort === port && cols[3] === '0A') inodes.push(cols[9]!); // 0A = LISTEN
  }
  return inodes;
}

async function linuxHolder(port: number): Promise<PortHolder | undefined> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const inodes = new Set(tables.flatMap((t) => inodesFromProcNet(t, port)));
  if (!inodes.size) return undefined;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        // The program's own name (argv[0]); `comm` may be a thread name such as "MainThread".
        const argv0 = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
        const name = argv0 ? argv0.split('/').pop()! : (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
        return { pid: Number(entry), ...(name ? { name } : {}) };
      }
    }
  }
  return undefined;
}

async function windowsHolder(port: number): Promise<PortHolder | undefined> {
  const pid = pidFromNetstat(await run('netstat', ['-ano', '-p', 'tcp']), port);
  if (pid === undefined) return undefined;
  // PID 4 is the System process: http.sys (IIS, other Windows web services) holds the port.
  if (pid === 4) return { pid, name: 'System (http.sys: IIS or another Windows web service)' };
  const name = nameFromTasklist(await run('tasklist', ['/fi', `PID eq ${pid}`, '/fo', 'csv', '/nh']));
  return { pid, ...(name ? { name } : {}) };
}

async function lsofHolder(port: number): Promise<PortHolder | undefined> {
  const out = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
  const pid = /^p(\d+)$/m.exec(out)?.[1];
  const name = /^c(.+)$/m.exec(out)?.[1];
  return pid ? { pid: Number(pid), ...(name ? { name } : {}) } : undefined;
}

export async function findPortHolder(port: number, platform: Platform = process.platform): Promise<PortHolder | undefined> {
  try {
    if (platform === 'win32') return await windowsHolder(port);
    if (platform === 'linux') return await linuxHolder(port);
    return await lsofHolder(port);
  } catch {
    return undefined;
  }
}
