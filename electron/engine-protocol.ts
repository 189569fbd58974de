/**
 * The few messages between the desktop app's main process and the engine's utility process (types only). Everything
 * about apps goes through the control API; this channel only starts, reports and stops the engine.
 */

/** How main starts the engine (passed as one JSON argument). */
export interface EngineLaunch {
  /** The Berth home folder (registry, token, discovery file). */
  home: string;
  /** Front server port (the desktop setting). */
  port: number;
  /** nodeProcessCommandLine for apps that do not set one; '' keeps the engine's default (node on the PATH). */
  nodePath: string;
  /** The desktop window's origin, allowed on the control API. */
  allowedOrigin: string;
}

export type EngineMessage =
  /** The engine serves: where its control API is, its token, and the front server's URL. */
  | { type: 'ready'; url: string; token: string; frontUrl: string; pid: number }
  /** The engine could not start; `code` says whether retrying can help. */
  | { type: 'failed'; code: string; message: string }
  /** The engine stopped after a `stop` request. */
  | { type: 'stopped' };

export type MainMessage = { type: 'stop'; timeoutMs?: number };
