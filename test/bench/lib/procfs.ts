/**
 * A process's resident memory and the bytes it has written, read the cheap way the platform offers without extra
 * tools. Only Linux is supported (/proc/<pid>/status and /proc/<pid>/io); elsewhere the figure is "not measured"
 * rather than read with a slow or deprecated command (wmic, ps), which would also cost the measured machine CPU.
 */
import { readFileSync } from 'node:fs';

export const RSS_MEASURABLE = process.platform === 'linux';
export const IO_MEASURABLE = process.platform === 'linux';

export const RSS_NOT_MEASURED = {
  label: 'not measured',
  detail: `resident memory is read from /proc/<pid>/status, which only Linux has (this is ${process.platform}); run the benchmark on Linux for this figure`,
};

/** MB in this benchmark's memory and log figures: 2^20 bytes (MiB), as VmRSS and most tools count. */
export const MB = 1024 * 1024;

/** VmRSS of `pid` in MB, or undefined where it cannot be read (not Linux, the process is gone). */
export function rssMb(pid: number | undefined): number | undefined {
  if (!RSS_MEASURABLE || pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Polls the RSS of `pid` every `intervalMs` and keeps the highest value, until stop() (which returns it). */
export function trackPeakRss(pid: number | undefined, intervalMs = 50): { stop(): number } {
  let peak = rssMb(pid) ?? Number.NaN;
  const timer = setInterval(() => {
    const now = rssMb(pid);
    if (now !== undefined && !(now <= peak)) peak = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const now = rssMb(pid);
      if (now !== undefined && !(now <= peak)) peak = now;
      return peak;
    },
  };
}

/**
 * Bytes `pid` has passed to write calls so far, all its threads together (`wchar` in /proc/<pid>/io: files, pipes
 * and sockets alike; what reached the page cache, not necessarily the platter yet). Undefined where it cannot be read.
 */
export function writtenBytes(pid: number | undefined): number | undefined {
  if (!IO_MEASURABLE || pid === undefined) return undefined;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const wchar = /^wchar:\s+(\d+)$/m.exec(io)?.[1];
    return wchar === undefined ? undefined : Number(wchar);
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux build that matters (USER_HZ). */
const USER_HZ = 100;

/** CPU seconds `pid` has used so far, in user mode and in the kernel (all threads), or undefined where unreadable. */
export function cpuTimes(pid: number | undefined): { user: number; system: number } | undefined {
  if (process.platform !== 'linux' || pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? { user: utime / USER_HZ, system: stime / USER_HZ } : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds `pid` has used so far (user + system, all threads), or undefined where it cannot be read. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  const times = cpuTimes(pid);
  return times && times.user + times.system;
}
