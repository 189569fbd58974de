/** Ports and readiness checks on loopback. */
import http from 'node:http';
import net from 'node:net';
import type { ManagedProcess } from './processes.js';

/**
 * A TCP port that is free on 127.0.0.1 right now: the OS picks one for a throwaway listener, which is then closed.
 * Another program could take it in between, but the window is tiny and a clash shows up as a clear start failure.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** One GET on a fresh connection; resolves with the status code, rejects on connection errors and timeouts. */
export function getStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Polls `url` until it answers 200 and returns performance.now() at that moment. Bounded: gives up after
 * `timeoutMs`, or as soon as `proc` exits (with its output in the error). A refused connection costs almost
 * nothing, so a short interval keeps start-up timings precise to about `intervalMs`.
 */
export async function waitForOk(url: string, proc: ManagedProcess, timeoutMs = 20_000, intervalMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last: string;
  for (;;) {
    if (proc.hasExited) throw new Error(`${proc.describeExit()}\n  (while waiting for ${url} to answer 200)`);
    try {
      const status = await getStatus(url, Math.max(100, Math.min(5000, deadline - performance.now())));
      if (status === 200) return performance.now();
      last = `status ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (performance.now() > deadline) {
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last}); ${proc.describeExit()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
