/**
 * Preloaded into every worker with `node --require`, so the user's entry stays the real main module (CommonJS and
 * ES modules alike). It talks to the engine over the IPC channel node sets up with the 'ipc' stdio slot:
 *
 *   worker → engine  { berth: 'listening', address, isPort, keepAliveTimeout }  a server started listening
 *                    { berth: 'ready' }                                          it listens on process.env.PORT
 *   engine → worker  { berth: 'shutdown' }   stop accepting, finish in-flight requests, then exit
 *
 * No signals are used, so graceful shutdown works the same on Windows. It must stay dependency-free and tiny:
 * it runs inside the user's process, on the user's node.
 */
import net = require('node:net');

type Message = { berth: string; [key: string]: unknown };

const send = process.send?.bind(process);
if (send) installBootstrap(send);

function installBootstrap(sendToEngine: (message: Message) => boolean): void {
  const endpoint = process.env.PORT ?? '';
  const servers = new Set<net.Server>();
  let shuttingDown = false;

  const post = (message: Message): void => {
    if (!process.connected) return;
    try {
      sendToEngine(message);
    } catch {
      // The engine is gone; the 'disconnect' handler below ends this worker.
    }
  };

  const originalListen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
    this.once('listening', () => {
      const address = this.address();
      const isEndpoint = typeof address === 'string' && samePath(address, endpoint);
      const keepAliveTimeout = (this as { keepAliveTimeout?: unknown }).keepAliveTimeout;
      post({
        berth: 'listening',
        address: typeof address === 'string' ? address : address ? { port: address.port, host: address.address } : null,
        isEndpoint,
        keepAliveTimeout: typeof keepAliveTimeout === 'number' ? keepAliveTimeout : null,
      });
      if (isEndpoint) {
        servers.add(this);
        this.once('close', () => servers.delete(this));
        if (shuttingDown) closeServer(this);
        else post({ berth: 'ready' });
      }
    });
    return (originalListen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof net.Server.prototype.listen;

  function closeServer(server: net.Server): void {
    server.close();
    // http.Server: close keep-alive connections that carry no request now; busy ones close after their response.
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  }

  function shutdown(): void {
    if (shuttingDown) return;
    shuttingDown = true;
    const pending = [...servers].filter((s) => s.listening);
    if (!pending.length) {
      process.exit(0);
      return;
    }
    let open = pending.length;
    for (const server of pending) {
      server.once('close', () => {
        if (--open === 0) process.exit(0); // runs the app's process.on('exit') handlers
      });
      closeServer(server);
    }
  }

  process.on('message', (message: unknown) => {
    if (message && typeof message === 'object' && (message as Message).berth === 'shutdown') shutdown();
  });
  // The engine went away (it exited or was killed): leave no orphan behind.
  process.on('disconnect', () => process.exit(0));
  // The listeners above must not keep an app alive that would otherwise finish on its own.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}

function samePath(a: string, b: string): boolean {
  // Windows pipe names are case-insensitive.
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
