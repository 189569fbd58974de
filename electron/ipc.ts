/**
 * The main side of the bridge: one handler per channel of bridge.ts, each behind the same gate. The sender must be
 * Berth's own page in its main frame (not a frame it embeds, not any other page), the arguments must have the types
 * the channel declares, and the answer is a result envelope: failures cross IPC as data with a code and a sentence.
 */
import type { BridgeResult, InvokeChannel, InvokeChannels } from '../core/shared/bridge.js';
import { isAppUrl } from './origin.js';

/** What a handler sees of the IPC event (Electron's IpcMainInvokeEvent has this shape). */
export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export type Handlers = { [C in InvokeChannel]: (...args: InvokeChannels[C]['args']) => Promise<InvokeChannels[C]['result']> | InvokeChannels[C]['result'] };

/** Checks each channel's arguments (the preload sends them, but a compromised page could send anything). */
const ARGUMENTS: { [C in InvokeChannel]: (args: unknown[]) => args is InvokeChannels[C]['args'] } = {
  'berth:engine-endpoint': (args): args is [] => args.length === 0,
  'berth:pick-folders': (args): args is [] => args.length === 0,
  'berth:open-external': (args): args is [string] => args.length === 1 && typeof args[0] === 'string' && args[0].length < 8192,
  'berth:reveal': (args): args is [string] => args.length === 1 && typeof args[0] === 'string' && args[0].length < 4096,
  'berth:open-folder': (args): args is [string] => args.length === 1 && typeof args[0] === 'string' && args[0].length < 4096,
  'berth:get-settings': (args): args is [] => args.length === 0,
  'berth:set-settings': (args): args is [Record<string, unknown>] => args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]),
};

/** True when the message comes from Berth's page, top frame (pure). */
export function trustedSender(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  return !!frame && frame.parent === null && isAppUrl(frame.url);
}

export class IpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Wraps one handler with the gate and the envelope (exported for tests). */
export function gate<C extends InvokeChannel>(channel: C, handler: Handlers[C], onRefused?: (channel: string, url: string) => void) {
  return async (event: InvokeEventLike, ...args: unknown[]): Promise<BridgeResult<InvokeChannels[C]['result']>> => {
    if (!trustedSender(event)) {
      onRefused?.(channel, event.senderFrame?.url ?? '(no frame)');
      return { ok: false, error: { code: 'FORBIDDEN', message: 'Only Berth\'s own window may call this.' } };
    }
    if (!ARGUMENTS[channel](args)) return { ok: false, error: { code: 'BAD_ARGUMENTS', message: `Wrong arguments for ${channel}.` } };
    try {
      const value = await (handler as (...a: unknown[]) => unknown)(...args);
      return { ok: true, value: value as InvokeChannels[C]['result'] };
    } catch (error) {
      return { ok: false, error: { code: error instanceof IpcError ? error.code : 'FAILED', message: (error as Error).message } };
    }
  };
}

export function registerIpc(ipcMain: IpcMainLike, handlers: Handlers, onRefused?: (channel: string, url: string) => void): () => void {
  const channels = Object.keys(ARGUMENTS) as InvokeChannel[];
  for (const channel of channels) ipcMain.handle(channel, gate(channel, handlers[channel] as never, onRefused) as never);
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}
