import { PATIENCE } from './wine.js';

/** Polls `check` until it returns a truthy value (which it resolves with) or the time runs out (PATIENCE times longer under Wine). */
export async function eventually<T>(check: () => T | Promise<T>, givenTimeoutMs = 10_000, intervalMs = 50): Promise<NonNullable<T>> {
  const timeoutMs = givenTimeoutMs * PATIENCE;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
