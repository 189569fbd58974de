/**
 * On-demand start and idle stop (`startMode: onDemand`, `idleTimeout`). `idleDecision` (pure) says whether an app has
 * been idle long enough to stop; `IdleStop` keeps the last activity, stops the app gracefully into `sleeping` when the
 * decision says so, and gives requests for a sleeping app (or one stopping for idleness) one shared promise to wait
 * on: the stop's end, then the start of new workers. No timer of its own: the engine's once-a-second sweep calls
 * `check`, and every request calls `touch`. What holds the app awake is what the workers count as busy: a request
 * under way, an open WebSocket or other upgrade (the exchange holds its worker until the tunnel closes), a connection
 * handed to a worker.
 */
import type { AppState } from '../shared/types.js';
import type { Generation } from './generation.js';

export interface IdleFacts {
  /** idleTimeout in seconds; 0: never. */
  idleTimeoutS: number;
  state: AppState;
  /** Epoch ms of the last request (or of the moment the app was last seen busy or not yet running). */
  lastActivityAt: number;
  /** Requests, WebSockets and handed connections under way on all of the app's workers. */
  busy: number;
  now: number;
}

/**
 * - `off`: idle stop does not apply now (no idleTimeout, or the app is not running); the idle time starts again.
 * - `held`: something holds the app awake; the idle time starts again.
 * - `awake`: idle, but not for idleTimeout yet.
 * - `stop`: idle for idleTimeout: stop it gracefully.
 */
export type IdleVerdict = 'off' | 'held' | 'awake' | 'stop';

export function idleDecision(facts: IdleFacts): IdleVerdict {
  if (facts.idleTimeoutS <= 0 || facts.state !== 'running') return 'off';
  if (facts.busy > 0) return 'held';
  return facts.now - facts.lastActivityAt >= facts.idleTimeoutS * 1000 ? 'stop' : 'awake';
}

/** Requests, WebSockets and handed connections under way on the workers of these generations. */
export function busyCount(generations: Iterable<Generation>): number {
  let busy = 0;
  for (const generation of generations) for (const worker of generation.running) busy += worker.active + worker.handed;
  return busy;
}

/** What IdleStop needs from its app (App wires it with callbacks). */
export interface IdleHost {
  state(): AppState;
  idleTimeoutS(): number;
  busy(): number;
  /** A graceful stop that ends in `sleeping`. */
  sleep(): Promise<void>;
  /** Starts the workers of a sleeping app (freshly read files); resolves once they are spawned. */
  wake(): Promise<void>;
}

export class IdleStop {
  private lastActivityAt = Date.now();
  /** The idle stop under way. */
  private sleeping: Promise<void> | undefined;
  /** The one promise every waiting request shares (no listener per request). */
  private waking: Promise<void> | undefined;

  constructor(private readonly host: IdleHost) {}

  /** A request arrived. */
  touch(now = Date.now()): void {
    this.lastActivityAt = now;
  }

  /** About once a second: stops the app when it has been idle for idleTimeout. */
  check(now = Date.now()): void {
    const verdict = idleDecision({ idleTimeoutS: this.host.idleTimeoutS(), state: this.host.state(), lastActivityAt: this.lastActivityAt, busy: this.host.busy(), now });
    if (verdict === 'off' || verdict === 'held') this.lastActivityAt = now;
    else if (verdict === 'stop' && !this.sleeping) {
      const sleeping = this.host.sleep().catch(() => undefined).finally(() => {
        if (this.sleeping === sleeping) this.sleeping = undefined;
      });
      this.sleeping = sleeping;
    }
  }

  /**
   * What a request waits on before it is dispatched: for a sleeping app the start of its workers; for one stopping
   * because it was idle, the end of that stop and then the start. Undefined when the request need not wait (the
   * app is running or starting, or stopped or stopping at the user's word).
   */
  starting(state: AppState): Promise<void> | undefined {
    if (this.waking) return this.waking;
    let waking: Promise<void>;
    if (state === 'sleeping') waking = this.wake();
    else if (state === 'stopping' && this.sleeping) waking = this.sleeping.then(() => (this.host.state() === 'sleeping' ? this.wake() : undefined));
    else return undefined;
    const shared = waking.finally(() => {
      if (this.waking === shared) this.waking = undefined;
    });
    this.waking = shared;
    return shared;
  }

  private wake(): Promise<void> {
    this.touch();
    return this.host.wake().catch(() => undefined); // a failed start is the app's problem (errored), shown to the request
  }
}
