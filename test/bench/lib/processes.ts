/**
 * Every process the benchmark starts goes through here, so that each one is stopped at the end of its measurement,
 * and all of them on failure, Ctrl+C or an unexpected exit of the benchmark itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** How much of a process's output is kept, for error messages and for readiness markers. */
const KEEP_OUTPUT_CHARS = 64 * 1024;

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** First signal sent by stop(): SIGINT for Berth (its graceful stop), SIGTERM for the others. */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits after the first signal before forcing. */
  graceMs?: number;
  /**
   * Where the process's stdout goes: read by the benchmark ('pipe', the default) or an open file descriptor, e.g. of
   * the null device (then `stdout` stays empty).
   */
  stdout?: 'pipe' | number;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  /** performance.now() just before the spawn, for start-up timings. */
  readonly spawnedAt: number;
  /** Resolves when the process has exited, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once its stdout and stderr are closed too ('exit' can come before the last output is read). */
  readonly closed: Promise<void>;
  private output = '';
  private stdoutText = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly outputListeners = new Set<() => void>();

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    private readonly options: StartOptions = {},
  ) {
    this.spawnedAt = performance.now();
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
      // Its own process group (POSIX): a Ctrl+C in the terminal then reaches only the benchmark, which stops each
      // process in order (Berth gets exactly one SIGINT, its graceful stop), and a forced stop can kill the group.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
        this.notify();
      });
      this.child.on('error', (error) => {
        // Spawn failures (ENOENT...) never emit 'exit'.
        this.append(`\n[spawn error] ${error.message}\n`);
        if (!this.exitInfo) {
          this.exitInfo = { code: -1, signal: null };
          live.delete(this);
          resolve(this.exitInfo);
          this.notify();
        }
      });
    });
    this.closed = new Promise((resolve) => {
      this.child.on('close', () => resolve());
      this.child.on('error', () => resolve());
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdoutText = (this.stdoutText + text).slice(-KEEP_OUTPUT_CHARS);
      this.append(text);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => this.append(text));
    live.add(this);
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The last output (stdout and stderr interleaved), for error messages. */
  get recentOutput(): string {
    return this.output;
  }

  /** The last stdout alone, for tools that print a result there and progress on stderr. */
  get stdout(): string {
    return this.stdoutText;
  }

  /** Describes why the process is gone, for error messages. */
  describeExit(): string {
    const info = this.exitInfo;
    const how = !info ? 'is still running' : info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
    const tail = this.output.trimEnd().split('\n').slice(-15).join('\n    ');
    return `${this.name} ${how}${tail ? `; its last output:\n    ${tail}` : ' and printed nothing'}`;
  }

  /** How many times `pattern` (a global RegExp) occurs in the kept stdout, e.g. lines Berth printed. */
  countInStdout(pattern: RegExp): number {
    return this.stdoutText.match(pattern)?.length ?? 0;
  }

  /** Resolves when the output contains `pattern`; rejects when the process exits first or the time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => pattern.test(this.output), timeoutMs, `print ${pattern}`);
  }

  /**
   * Resolves when `condition` holds, checked now and after each piece of output; rejects when the process exits
   * first or the time runs out. `what` completes "did not ..." in the error message.
   */
  waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) finish();
        else if (this.hasExited) finish(new Error(`${this.describeExit()}\n  (waited for it to ${what})`));
      };
      const timer = setTimeout(() => finish(new Error(`${this.name} did not ${what} within ${timeoutMs} ms; ${this.describeExit()}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.outputListeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.outputListeners.add(check);
      check();
    });
  }

  /**
   * Stops the process: the stop signal, then (after graceMs) a second one, which makes `berth serve` kill its workers
   * at once, then SIGKILL to the whole process group. Resolves once it has exited.
   */
  async stop(): Promise<void> {
    if (this.hasExited) return;
    const graceMs = this.options.graceMs ?? 5000;
    const signal = this.options.stopSignal ?? 'SIGTERM';
    this.signal(signal);
    if (await this.exitsWithin(graceMs)) return;
    this.signal(signal);
    if (await this.exitsWithin(1000)) return;
    this.kill();
    await this.exitsWithin(2000);
  }

  /** SIGKILL to the process and its group (cluster workers, plain children). Synchronous: usable on exit. */
  kill(): void {
    if (this.hasExited || this.child.pid === undefined) return;
    try {
      if (process.platform !== 'win32') process.kill(-this.child.pid, 'SIGKILL');
      else this.child.kill('SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  private append(text: string): void {
    this.output = (this.output + text).slice(-KEEP_OUTPUT_CHARS);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.outputListeners]) listener();
  }
}

/** Processes started and not yet exited. */
const live = new Set<ManagedProcess>();
/** Set by stopAll(): the benchmark is shutting down, so nothing new may start behind its back. */
let shuttingDown = false;

export function startProcess(name: string, command: string, args: readonly string[], options?: StartOptions): ManagedProcess {
  if (shuttingDown) throw new Error(`not starting ${name}: the benchmark is stopping`);
  return new ManagedProcess(name, command, args, options);
}

/** Runs `use` with a started process and stops that process afterwards, whatever happens. */
export async function withProcess<T>(proc: ManagedProcess, use: (proc: ManagedProcess) => Promise<T>): Promise<T> {
  try {
    return await use(proc);
  } finally {
    await proc.stop();
  }
}

/** Stops every live process (in parallel: each has its own escalation); no new one can start afterwards. */
export async function stopAll(): Promise<void> {
  shuttingDown = true;
  await Promise.all([...live].map((p) => p.stop()));
}

/** Last resort when the benchmark exits without cleaning up (an exception): SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const p of live) p.kill();
}
