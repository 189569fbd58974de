/**
 * Preloaded into every worker with `node --require`, so the user's entry stays the real main module (CommonJS and
 * ES modules alike). It talks to the engine over the IPC channel node sets up with the 'ipc' stdio slot:
 *
 *   worker → engine  { berth: 'listening', address, isPort, keepAliveTimeout }  a server started listening
 *                    { berth: 'listen-redirected', from, to, hint? }             an app's listen() was bound to PORT
 *                                                                                (listen-redirect.cts)
 *                    { berth: 'ready', engineIo? }                               it listens on process.env.PORT
 *                                                                                (engineIo: the app loaded engine.io,
 *                                                                                also sent with the metrics)
 *                    { berth: 'metrics', rss, heapUsed, ... }                    every second: memory, CPU, event
 *                                                                                loop delay, requests served on
 *                                                                                handed connections (also the
 *                                                                                heartbeat)
 *                    { berth: 'connection-closed' }                              a handed connection closed
 *   engine → worker  { berth: 'shutdown' }   stop accepting, finish in-flight requests, then exit
 *                    { berth: 'connection', head } + socket   the fast lane: a client connection handed over with
 *                                             the bytes already read from it (base64): serve it as a new connection
 *                    { berth: 'drain' }       close handed connections at their next response boundary
 *                    { berth: 'heap-snapshot', id, path }       write a heap snapshot → 'heap-snapshot-done'
 *                    { berth: 'cpu-profile', id, path, ms }     profile the CPU for ms → 'cpu-profile-done'
 *
 * No signals are used, so graceful shutdown works the same on Windows. It must stay dependency-free and tiny:
 * it runs inside the user's process, on the user's node.
 */
import net = require('node:net');
import perfHooks = require('node:perf_hooks');
import fs = require('node:fs');
import inspector = require('node:inspector');
import v8 = require('node:v8');
import http = require('node:http');
import redirecting = require('./listen-redirect.cjs');

const { endpointFromEnv, ListenRedirect, realAddress } = redirecting;
type Endpoint = ReturnType<typeof endpointFromEnv>;
import workerThreads = require('node:worker_threads');

type Message = { berth: string; [key: string]: unknown };

const send = process.send?.bind(process);

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

  const handed = new HandedConnections(post, () => [...servers].find((s) => s.listening), () => maybeExit());

  const redirect = listenRedirect(endpoint, post);
  const originalListen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
    args = redirect.rewrite(this, args);
    this.once('listening', () => {
      // Closed already by an earlier 'listening' listener: a port probe (Vite tries the port on every host), not a server.
      if (!this.listening) return;
      const address = realAddress(this);
      const isEndpoint = isEndpointAddress(address, endpointFromEnv(endpoint));
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
        else post(engineIoLoaded() ? { berth: 'ready', engineIo: true } : { berth: 'ready' });
      }
    });
    return (originalListen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof net.Server.prototype.listen;

  function closeServer(server: net.Server): void {
    server.close();
    // http.Server: close keep-alive connections that carry no request now; busy ones close after their response.
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  }

  let openServers = 0;
  function maybeExit(): void {
    // runs the app's process.on('exit') handlers; handed connections are not the servers' own, so they are waited for
    if (shuttingDown && openServers === 0 && handed.count === 0) process.exit(0);
  }

  function shutdown(): void {
    if (shuttingDown) return;
    shuttingDown = true;
    handed.drain();
    const pending = [...servers].filter((s) => s.listening);
    openServers = pending.length;
    for (const server of pending) {
      server.once('close', () => {
        openServers--;
        maybeExit();
      });
      closeServer(server);
    }
    maybeExit();
  }

  startMetrics(post, () => handed.requests);

  process.on('message', (message: unknown, handle: unknown) => {
    if (!message || typeof message !== 'object') return;
    const m = message as Message;
    if (m.berth === 'connection') handed.adopt(m, handle);
    else if (m.berth === 'drain') handed.drain();
    else if (m.berth === 'shutdown') shutdown();
    else if (m.berth === 'heap-snapshot') writeHeapSnapshot(m, post);
    else if (m.berth === 'cpu-profile') profileCpu(m, post);
  });
  // The engine went away (it exited or was killed): leave no orphan behind. Closing the servers first removes
  // their unix socket files (named pipes vanish by themselves).
  process.on('disconnect', () => {
    for (const server of servers) server.close();
    // The last exit handler (added now, after the app's): end what this worker started too. Outside Windows the
    // worker leads its own process group (workerSpawnOptions), so one signal reaches every descendant.
    if (process.platform !== 'win32') process.once('exit', killOwnProcessGroup);
    process.exit(0);
  });
  startOrphanWatchdog();
  // The listeners above must not keep an app alive that would otherwise finish on its own.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}

/** How long a handed connection may sit idle once draining before it is closed (a client may be about to send). */
const DRAIN_IDLE_MS = 1000;

/**
 * The fast lane inside the worker: client connections the engine handed over. Each is given to the app's server on
 * PORT as a new connection (`server.emit('connection')`, after pushing back the bytes the engine read), so the
 * app serves it as any other. The engine learns when each closes. When draining (a recycle, a shutdown), every
 * further response on them says `Connection: close`, and one idle for a moment is closed: clients move to the new
 * workers at a response boundary, so no request is lost.
 */
class HandedConnections {
  private readonly sockets = new Set<net.Socket>();
  private readonly hooked = new WeakSet<net.Server>();
  private draining = false;
  /** Requests served on handed connections (the engine does not see them): reported with the metrics. */
  requests = 0;

  constructor(
    private readonly post: (message: Message) => void,
    private readonly server: () => net.Server | undefined,
    private readonly emptied: () => void,
  ) {}

  get count(): number {
    return this.sockets.size;
  }

  adopt(m: Message, handle: unknown): void {
    if (!(handle instanceof net.Socket)) return;
    const socket = handle;
    const server = this.server();
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.post({ berth: 'connection-closed' });
      if (this.sockets.size === 0) this.emptied();
    });
    if (!server) {
      socket.destroy(); // no server on PORT any more (shutting down): the client reconnects to another worker
      return;
    }
    this.hook(server);
    socket.unshift(Buffer.from(String(m.head), 'base64'));
    server.emit('connection', socket);
    if (this.draining) this.closeWhenIdle(socket);
  }

  /** Sees each request on a handed connection, to mark its response `Connection: close` while draining. */
  private hook(server: net.Server): void {
    if (this.hooked.has(server) || !(server instanceof http.Server)) return;
    this.hooked.add(server);
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!this.sockets.has(req.socket as net.Socket)) return;
      this.requests++;
      if (this.draining && !res.headersSent) res.setHeader('Connection', 'close');
    });
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const socket of this.sockets) this.closeWhenIdle(socket);
  }

  private closeWhenIdle(socket: net.Socket): void {
    const current = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (current) {
      // A response is under way: it closes the connection if it can still say so, else close right after it.
      if (!current.headersSent) current.setHeader('Connection', 'close');
      else current.once('finish', () => setImmediate(() => this.closeIfIdle(socket)));
      return;
    }
    // Idle now, but the client may be sending its next request: give it a moment (that request is answered with
    // Connection: close); a connection still idle after it is closed.
    setTimeout(() => this.closeIfIdle(socket), DRAIN_IDLE_MS).unref();
  }

  private closeIfIdle(socket: net.Socket): void {
    if (socket.destroyed) return;
    if ((socket as { _httpMessage?: unknown })._httpMessage) return; // the hook marked that response: it closes
    // Upgraded (a WebSocket: node's HTTP parser let go of it): the app owns it, and it ends as the proxy lane's
    // tunnels do, when either side closes it or the worker stops.
    if (!(socket as { parser?: unknown }).parser) return;
    socket.end();
    setTimeout(() => socket.destroy(), DRAIN_IDLE_MS).unref();
  }
}

/** The redirect of the app's listen() calls, reported on the worker's stderr and to the engine. */
function listenRedirect(endpoint: string, post: (message: Message) => void): InstanceType<typeof ListenRedirect> {
  const enabled = process.env.BERTH_REDIRECT_LISTEN !== '0';
  return new ListenRedirect(endpointFromEnv(endpoint), enabled, (redirected) => {
    const to = `process.env.PORT (${endpoint})`;
    process.stderr.write(
      `[berth] The app's HTTP server asked for ${redirected.from}; Berth bound it to ${to} so requests reach it ` +
        `(redirectListen: false turns this off).${redirected.hint ? ` Hint: ${redirected.hint}` : ''}\n`,
    );
    post({ berth: 'listen-redirected', from: redirected.from, to: endpoint, ...(redirected.hint ? { hint: redirected.hint } : {}) });
  });
}

function isEndpointAddress(address: ReturnType<net.Server['address']>, endpoint: Endpoint): boolean {
  if (endpoint.kind === 'tcp') return address !== null && typeof address === 'object' && address.port === endpoint.port;
  return typeof address === 'string' && samePath(address, endpoint.path);
}

function killOwnProcessGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a group leader (a wrapper started node): only this process ends.
  }
}

/**
 * The 'disconnect' handler above needs this process's event loop; an app stuck in `while (true) {}` never runs it
 * and would outlive the engine. This guard runs on its own thread: it polls the engine's pid, and once the engine
 * is gone and the main thread has not ended the process within the grace period, it kills the process from the
 * thread (no exit handler can run on a blocked main thread; the parent that would care is gone anyway), with its
 * process group outside Windows, with its tree via taskkill on Windows. Node has no job objects (iisnode's
 * kill-on-close), so on Windows a crash of the engine is caught by polling too, and a pid reused within the poll
 * interval would hide it; see docs/ARCHITECTURE.md.
 */
function startOrphanWatchdog(): void {
  const source = `
    const { workerData } = require('node:worker_threads');
    const { enginePid, pollMs, graceMs } = workerData;
    const alive = (pid) => {
      try { process.kill(pid, 0); return true; } catch (error) { return error.code === 'EPERM'; }
    };
    const timer = setInterval(() => {
      if (process.ppid === enginePid && alive(enginePid)) return;
      clearInterval(timer);
      setTimeout(() => {
        if (process.platform === 'win32') {
          try {
            require('node:child_process').execFileSync('taskkill', ['/pid', String(process.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
          } catch {}
        } else {
          try { process.kill(-process.pid, 'SIGKILL'); } catch {}
        }
        process.kill(process.pid, 'SIGKILL');
      }, graceMs);
    }, pollMs);
  `;
  try {
    const watchdog = new workerThreads.Worker(source, {
      eval: true,
      workerData: { enginePid: process.ppid, pollMs: 250, graceMs: 1000 },
      // Not the app's --require/--import flags: an APM agent has no business in this thread.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    });
    watchdog.unref(); // it must not keep an app alive that would otherwise finish on its own
    watchdog.on('error', () => undefined);
  } catch {
    // No threads (a node built without them): the 'disconnect' handler is the only guard.
  }
}

function samePath(a: string, b: string): boolean {
  // Windows pipe names are case-insensitive.
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

const ENGINE_IO_FILE = /[\\/]node_modules[\\/]engine\.io[\\/]/;
let engineIoFound = false;
let modulesChecked = 0;

/**
 * Whether the app has loaded engine.io (socket.io's transport; also when imported from an ES module, which loads
 * its CommonJS build): its sessions must stay on one worker, so the engine keeps the app on the proxy lane
 * (stickyRealtime). Only modules loaded since the last call are looked at.
 */
function engineIoLoaded(): boolean {
  if (engineIoFound) return true;
  const files = Object.keys(require.cache);
  for (let i = modulesChecked; i < files.length && !engineIoFound; i++) engineIoFound = ENGINE_IO_FILE.test(files[i]!);
  modulesChecked = files.length;
  return engineIoFound;
}

/**
 * Reports memory, CPU and event-loop delay every second. The engine also reads these messages as a heartbeat: a
 * worker whose event loop is blocked sends none. Measured here, inside the process, so nothing needs wmic.
 */
function startMetrics(post: (message: Message) => void, handedRequests: () => number): void {
  const intervalMs = 1000;
  // Heap size right after each major GC: what the program really holds (the leak hint reads the trend).
  const heapAfterGc: number[] = [];
  const gcObserver = new perfHooks.PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = ((entry as { detail?: { kind?: number } }).detail)?.kind;
      if (kind === perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR) {
        heapAfterGc.push(v8.getHeapStatistics().used_heap_size);
        if (heapAfterGc.length > 10) heapAfterGc.shift();
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const delay = perfHooks.monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(lastCpu);
    const elapsedUs = Number(now - lastAt) / 1000;
    lastCpu = process.cpuUsage();
    lastAt = now;
    const memory = process.memoryUsage();
    post({
      berth: 'metrics',
      at: Date.now(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      cpuPercent: elapsedUs > 0 ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10 : 0,
      eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      heapAfterGc: [...heapAfterGc],
      handedRequests: handedRequests(),
      ...(engineIoLoaded() ? { engineIo: true } : {}),
    });
    delay.reset();
  }, intervalMs);
  timer.unref();
}

/** A heap snapshot of this process (V8 writes it; the process pauses meanwhile, as with DevTools). */
function writeHeapSnapshot(m: Message, post: (message: Message) => void): void {
  try {
    const file = v8.writeHeapSnapshot(String(m.path));
    post({ berth: 'heap-snapshot-done', id: m.id, path: file, size: fs.statSync(file).size });
  } catch (error) {
    post({ berth: 'heap-snapshot-done', id: m.id, error: (error as Error).message });
  }
}

/** A CPU profile of this process for `ms` milliseconds, through an in-process inspector session (no port needed). */
function profileCpu(m: Message, post: (message: Message) => void): void {
  const session = new inspector.Session();
  const fail = (error: Error | null) => {
    session.disconnect();
    post({ berth: 'cpu-profile-done', id: m.id, error: error?.message ?? 'the profiler failed' });
  };
  try {
    session.connect();
  } catch (error) {
    fail(error as Error);
    return;
  }
  session.post('Profiler.enable', (enableError) => {
    if (enableError) return fail(enableError);
    session.post('Profiler.start', (startError) => {
      if (startError) return fail(startError);
      setTimeout(() => {
        session.post('Profiler.stop', (stopError, result) => {
          if (stopError) return fail(stopError);
          try {
            fs.writeFileSync(String(m.path), JSON.stringify(result.profile));
            session.disconnect();
            post({ berth: 'cpu-profile-done', id: m.id, path: m.path, size: fs.statSync(String(m.path)).size });
          } catch (error) {
            fail(error as Error);
          }
        });
      }, Number(m.ms));
    });
  });
}

// Last: the class above must be initialised before it is used.
if (send) installBootstrap(send);
