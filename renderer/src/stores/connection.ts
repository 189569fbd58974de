/**
 * The connection to the engine, as state the UI can show ("Connecting…", "Reconnecting: why"), and the one place
 * other stores get the live client from. Stores register `onConnected` hooks to (re)load after every connect.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { ControlClient, ControlError } from '../api/control-client.js';
import { EngineSession, type SessionOptions, type SessionStatus } from '../api/session.js';
import type { EngineInfo, HelloMessage } from '../../../core/control/protocol.js';

type Hook = (client: ControlClient, hello: HelloMessage) => void | Promise<void>;

/**
 * The refusal `client()` gives while there is no connection (a reloaded window that is still connecting, a dropped
 * one). A store that loads a screen says nothing then: the banner shows the connection's state, and the store's
 * `onConnected` hook loads the screen as soon as the connection is up.
 */
export function isNotConnected(error: unknown): boolean {
  return error instanceof ControlError && error.code === 'CONNECTION_CLOSED';
}

export const useConnection = defineStore('connection', () => {
  const status = ref<SessionStatus>('idle');
  const detail = ref('');
  const info = ref<EngineInfo | null>(null);
  /** Connected at least once: later drops show "reconnecting" rather than "connecting". */
  const everConnected = ref(false);
  const session = shallowRef<EngineSession>();
  const hooks = new Set<Hook>();

  function start(options: Omit<SessionOptions, 'onStatus'>): void {
    session.value?.stop();
    const s = new EngineSession({
      ...options,
      onStatus: (next, why) => {
        status.value = next;
        detail.value = why;
        if (next === 'connected') everConnected.value = true;
      },
    });
    s.onConnected(async (client, hello) => {
      info.value = await client.call('engine.info', {});
      await Promise.all([...hooks].map((hook) => hook(client, hello)));
    });
    session.value = s;
    s.start();
  }

  function onConnected(hook: Hook): () => void {
    hooks.add(hook);
    const live = session.value?.client;
    if (live?.isOpen) void Promise.resolve(hook(live, live.hello)).catch(() => undefined);
    return () => hooks.delete(hook);
  }

  /** The live client; throws a ControlError (shown like any refusal) while disconnected. */
  function client(): ControlClient {
    const live = session.value?.client;
    if (!live?.isOpen) throw new ControlError('CONNECTION_CLOSED', 'Berth is not connected to its engine right now; it reconnects by itself.');
    return live;
  }

  function reconnect(): void {
    session.value?.reconnect();
  }

  function stop(): void {
    session.value?.stop();
  }

  return { status, detail, info, everConnected, start, stop, onConnected, client, reconnect };
});
