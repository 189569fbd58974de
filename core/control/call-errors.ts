/**
 * Errors of calls, as the protocol carries them: handlers throw ControlCallError with a protocol code; the engine's
 * and the settings writer's errors map to theirs; anything else is INTERNAL (a bug: reported, and the engine goes on).
 */
import { EngineError } from '../engine.js';
import type { ErrorBody, ErrorCode } from './protocol.js';
import { SettingsFileError } from './settings-file.js';

/** An error with a protocol code, thrown by handlers. */
export class ControlCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ControlCallError';
  }
}

const ENGINE_CODES: Partial<Record<string, ErrorCode>> = {
  NOT_A_FOLDER: 'NOT_A_FOLDER',
  ALREADY_ADDED: 'ALREADY_ADDED',
  APP_NOT_FOUND: 'APP_NOT_FOUND',
  NAME_TAKEN: 'NAME_TAKEN',
  INVALID_NAME: 'INVALID_NAME',
  APP_NOT_RUNNING: 'APP_NOT_RUNNING',
  APP_MISSING: 'APP_MISSING',
  WRITE_FAILED: 'WRITE_FAILED',
  ENGINE_STOPPING: 'ENGINE_STOPPING',
};

export function internalMessage(error: unknown): string {
  return `Berth failed unexpectedly: ${error instanceof Error ? error.message : String(error)}. The engine goes on; please report this.`;
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof ControlCallError) return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  if (error instanceof SettingsFileError) return { code: error.code, message: error.message, details: error.details };
  if (error instanceof EngineError) {
    const code = ENGINE_CODES[error.code];
    if (code) return { code, message: error.message };
  }
  return { code: 'INTERNAL', message: internalMessage(error) };
}
