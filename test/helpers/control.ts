import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectControl, type NodeConnectOptions as ConnectOptions, type NodeControlClient as ControlClient } from '../../core/control/client.js';
import { readToken } from '../../core/control/token.js';
import { startService, type Service, type ServiceOptions } from '../../core/control/service.js';
import type { EngineEvent } from '../../core/events.js';
import { EventRecorder } from './events.js';
import { REPO } from './paths.js';

export interface TestService {
  service: Service;
  home: string;
  url: string;
  token: string;
  /** The engine's own event stream, recorded from the start. */
  events: EngineEvent[];
  waitFor(match: (e: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  /** A client connected with the token (options override). */
  connect(options?: Partial<ConnectOptions>): Promise<ControlClient>;
  stop(): Promise<void>;
}

/**
 * Berth as `berth serve` runs it, in this process: an engine on an ephemeral port with its control API, token and
 * discovery file in a fresh temporary Berth home (removed by stop). Fixture apps find `ws` through NODE_PATH.
 */
export async function startTestService(
  options: { mode?: 'registry' | 'folders'; watchFiles?: boolean; allowedOrigins?: string[]; home?: string; serveHttp?: ServiceOptions['serveHttp']; https?: boolean } = {},
): Promise<TestService> {
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-home-')));
  const recorder = new EventRecorder();
  const internalErrors: unknown[] = [];
  const service = await startService({
    home,
    mode: options.mode ?? 'registry',
    host: '127.0.0.1',
    port: 0,
    env: { ...process.env, BERTH_HOME: home, NODE_PATH: path.join(REPO, 'node_modules') },
    ...(options.watchFiles !== undefined ? { watchFiles: options.watchFiles } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.serveHttp ? { serveHttp: options.serveHttp } : {}),
    ...(options.https ? { https: { port: 0, home } } : {}),
    attach: (engine) => engine.on('event', recorder.record),
    onInternalError: (error) => internalErrors.push(error),
  });
  const token = (await readToken(home))!;
  const url = service.control!.url;
  const clients: ControlClient[] = [];
  return {
    service,
    home,
    url,
    token,
    events: recorder.events,
    waitFor: (match, timeoutMs) => recorder.waitFor(match, timeoutMs),
    async connect(overrides = {}) {
      const client = await connectControl({ url, token, ...overrides });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await service.stop(2000);
      if (!options.home) await rm(home, { recursive: true, force: true });
      // A handler that failed unexpectedly was answered as INTERNAL; in a test that is a bug.
      if (internalErrors.length) throw new Error(`the control API had unexpected errors: ${internalErrors.map(String).join('; ')}`);
    },
  };
}
