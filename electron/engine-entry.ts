/**
 * The engine's process in the desktop app: an Electron utility process (plain Node, no Electron API) running the same
 * service as `berth serve` in registry mode. It tells main where its control API listens and with which token, and
 * stops gracefully when asked. Run as a plain Node child (tests), it speaks over process.send instead.
 */
import type { Service } from '../core/control/service.js';
import { applyEngineV8Flags } from '../core/engine/v8-flags.js';
import type { EngineLaunch, EngineMessage, MainMessage } from './engine-protocol.js';

interface Port {
  postMessage(message: EngineMessage): void;
  onMessage(listener: (message: MainMessage) => void): void;
}

function parentPort(): Port {
  const electronPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (event: { data: unknown }) => void): void } }).parentPort;
  if (electronPort) {
    return {
      postMessage: (m) => electronPort.postMessage(m),
      onMessage: (l) => electronPort.on('message', (event) => l(event.data as MainMessage)),
    };
  }
  if (!process.send) throw new Error('engine-entry runs as a utility process or a forked child (it needs a parent to talk to).');
  return {
    postMessage: (m) => process.send!(m),
    onMessage: (l) => process.on('message', (m) => l(m as MainMessage)),
  };
}

async function main(): Promise<void> {
  // The same flags as berth serve, set before the engine's modules load (loading them grows the young generation).
  applyEngineV8Flags();
  const [{ startService }, { readToken }, { DEFAULT_HTTPS_PORT }, { engineEnvironment }, { endStartUpWhenAppsSettle }] = await Promise.all([
    import('../core/control/service.js'),
    import('../core/control/token.js'),
    import('../core/engine/https.js'),
    import('./engine-env.js'),
    import('../core/engine/start-up.js'),
  ]);
  const port = parentPort();
  const launch = JSON.parse(process.argv[2] ?? '{}') as EngineLaunch;
  let service: Service;
  try {
    service = await startService({
      home: launch.home,
      mode: 'registry',
      host: '127.0.0.1',
      port: launch.port,
      // HTTPS next to HTTP: https://<app>.localhost:8443; a taken port turns it off with a reason (https.status says it).
      https: { port: DEFAULT_HTTPS_PORT, home: launch.home, optional: true },
      env: engineEnvironment(process.env, launch),
      allowedOrigins: [launch.allowedOrigin],
      onInternalError: (error) => console.error('berth engine: control API error:', error),
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'FAILED';
    port.postMessage({ type: 'failed', code, message: (error as Error).message });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 50);
    return;
  }
  if (!service.control) {
    port.postMessage({ type: 'failed', code: 'NO_CONTROL', message: service.notice ?? 'The engine started without its control API.' });
    await service.stop(0);
    process.exit(1);
  }
  const token = (await readToken(launch.home)) ?? '';
  port.postMessage({ type: 'ready', url: service.control.url, token, frontUrl: service.discovery?.frontUrl ?? '', pid: process.pid });
  endStartUpWhenAppsSettle(service.engine); // V8 optimizes what is hot once the apps have started (core/engine/v8-flags.ts)

  let stopping = false;
  port.onMessage((message) => {
    if (message.type !== 'stop' || stopping) return;
    stopping = true;
    void service.stop(message.timeoutMs).finally(() => {
      port.postMessage({ type: 'stopped' });
      // Let the message leave before the process goes.
      setTimeout(() => process.exit(0), 50);
    });
  });
}

void main();
