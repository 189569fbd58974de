/**
 * The engine's errors: each has a code (the control API maps it to a protocol code) and a sentence that says what to
 * do about it.
 */
import { findPortHolder } from '../platform/port-holder.js';
import type { Platform } from '../platform/platform.js';
import { RegistryError } from '../registry/registry.js';

export type EngineErrorCode =
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'NOT_A_FOLDER'
  | 'ALREADY_ADDED'
  | 'APP_NOT_FOUND'
  | 'NAME_TAKEN'
  | 'INVALID_NAME'
  | 'APP_NOT_RUNNING'
  | 'APP_MISSING'
  | 'WRITE_FAILED'
  | 'ENGINE_STOPPING';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A registry that could not be written becomes WRITE_FAILED; anything else goes through unchanged. */
export function asEngineError(error: unknown): Error {
  if (error instanceof RegistryError) return new EngineError('WRITE_FAILED', error.message);
  return error as Error;
}

/** Why the front server could not listen, naming the program that holds the port when it can be found. */
export async function listenError(error: unknown, host: string, port: number, platform: Platform, option = '--port'): Promise<EngineError> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const holder = await findPortHolder(port, platform);
    const who = holder ? ` by ${holder.name ?? 'a process'} (pid ${holder.pid})` : ' by another program';
    return new EngineError('PORT_IN_USE', `Port ${port} on ${host} is already in use${who}. Stop that program, or start Berth on another port with ${option}.`);
  }
  if (code === 'EACCES') return new EngineError('LISTEN_FAILED', `Berth is not allowed to listen on ${host}:${port}. Use a port above 1024 with ${option}.`);
  return new EngineError('LISTEN_FAILED', `Berth could not listen on ${host}:${port}: ${(error as Error).message}`);
}
