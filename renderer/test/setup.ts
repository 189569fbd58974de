/** A fresh Pinia and a connection to a fake engine, for store and component tests. */
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { useConnection } from '../src/stores/connection.js';
import { FakeEngine, until } from './fake-engine.js';

export async function connected(engine = new FakeEngine()): Promise<{ engine: FakeEngine; pinia: Pinia }> {
  const pinia = createPinia();
  setActivePinia(pinia);
  const connection = useConnection();
  connection.start({ source: async () => ({ url: 'ws://127.0.0.1:1/control', token: engine.token }), socket: engine.socket });
  await until(() => connection.status === 'connected' && connection.info !== null);
  return { engine, pinia };
}

/** Lets pending promises and Vue's scheduler run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}
