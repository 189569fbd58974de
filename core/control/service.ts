/**
 * Berth as a service: the engine, its registry, the control API, the token and the discovery file, started and
 * stopped together. `berth serve` runs this in the foreground; the desktop app runs it in its utility process.
 *
 * Modes:
 * - `registry` (`berth serve` with no folders, the desktop app): hosts the apps remembered in `apps.yml` (starting the
 *   enabled ones), and remembers every app added, removed, enabled or disabled. One such engine per Berth home.
 * - `folders` (`berth serve <folder>...`): hosts those folders for this run only; the registry is neither read nor
 *   written. The control API works the same (`berth ls`, `berth logs` ...), and apps added through it are not
 *   remembered either.
 */
import { readFileSync, rmSync } from 'node:fs';
import { Engine, type EngineOptions } from '../engine.js';
import { ensureHome, homeFile } from '../home.js';
import { Registry } from '../registry/registry.js';
import { BERTH_VERSION } from '../version.js';
import { findEngine, readDiscovery, removeDiscovery, writeDiscovery, type Discovery } from './discovery.js';
import { ControlServer, type ControlServerOptions } from './server.js';
import { writeNewToken } from './token.js';

export interface ServiceOptions extends Omit<EngineOptions, 'registry' | 'registryProblem'> {
  home: string;
  mode: 'registry' | 'folders';
  /** The control API's port (default 0: any free port; the discovery file says which). */
  controlPort?: number;
  /** Browser origins allowed on the control API besides its own (the desktop app's page, a UI dev server). */
  allowedOrigins?: readonly string[];
  /** Called with the engine before it starts, to follow its events from the first one. */
  attach?: (engine: Engine) => void;
  /** Unexpected errors inside control API handlers (answered as INTERNAL). */
  onInternalError?: (error: unknown) => void;
  /** Plain HTTP on the control API's port (the web dashboard); see ControlServerOptions.serveHttp. */
  serveHttp?: ControlServerOptions['serveHttp'];
}

export class ServiceError extends Error {
  constructor(
    readonly code: 'ENGINE_RUNNING' | 'HOME_UNUSABLE',
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface Service {
  engine: Engine;
  /** Undefined when the control API is off (another engine already serves this home; see `notice`). */
  control: ControlServer | undefined;
  discovery: Discovery | undefined;
  /** Something the user should know about how this engine runs. */
  notice: string | undefined;
  /** Stops gracefully: the engine (in-flight requests finish), then the control API; removes the discovery file. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Runs a step that writes to the Berth home folder; a failure says which folder and what to do. */
async function inHome<T>(home: string, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new ServiceError(
      'HOME_UNUSABLE',
      `Berth cannot use its home folder ${home} (${what}: ${code}). Make it writable for this user, or set BERTH_HOME to a folder that is.`,
    );
  }
}

function describeRunning(discovery: Discovery, home: string): string {
  return `Another Berth engine is already running from ${home} (pid ${discovery.pid}, ${discovery.frontUrl}).`;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { home, mode } = options;
  await inHome(home, 'creating it', () => ensureHome(home));
  const lookup = await findEngine(home);
  let notice: string | undefined;
  if (lookup.state === 'running') {
    if (mode === 'registry') {
      throw new ServiceError(
        'ENGINE_RUNNING',
        `${describeRunning(lookup.discovery, home)} It hosts the remembered apps: manage them with \`berth ls\`, \`berth add\` and the other commands, or stop it first. To run a separate engine, set BERTH_HOME to another folder.`,
      );
    }
    notice = `${describeRunning(lookup.discovery, home)} This one hosts its folders, but \`berth ls\` and the other commands reach the other engine; set BERTH_HOME to another folder to control this one.`;
  }

  let registry: Registry | undefined;
  let registryProblem;
  if (mode === 'registry') {
    const opened = await Registry.open(homeFile(home, 'registry'), options.platform ? { platform: options.platform } : {});
    registry = opened.registry;
    registryProblem = opened.problem;
  }
  const { home: _home, mode: _mode, controlPort, allowedOrigins, attach, onInternalError, serveHttp, ...engineOptions } = options;
  // The history file belongs to the home's one engine: a second engine (folders mode beside a running one) keeps its own in memory.
  const historyFile = notice === undefined ? homeFile(home, 'history') : undefined;
  const engine = new Engine({
    ...engineOptions,
    ...(registry ? { registry } : {}),
    ...(registryProblem ? { registryProblem } : {}),
    ...(historyFile && engineOptions.historyFile === undefined ? { historyFile } : {}),
  });
  attach?.(engine);

  let control: ControlServer | undefined;
  let discovery: Discovery | undefined;
  if (!notice) {
    const token = await inHome(home, 'writing the token', () => writeNewToken(home));
    control = new ControlServer({
      engine,
      token,
      ...(controlPort !== undefined ? { port: controlPort } : {}),
      ...(allowedOrigins ? { allowedOrigins } : {}),
      ...(onInternalError ? { onInternalError } : {}),
      ...(serveHttp ? { serveHttp } : {}),
      home,
      mode,
    });
    await control.listen();
  }
  try {
    await engine.start();
  } catch (error) {
    await control?.close();
    await engine.stop(0);
    throw error;
  }

  // If the process ends without a clean stop (an uncaught exception), the discovery file goes with it.
  const cleanup = () => {
    try {
      const file = homeFile(home, 'discovery');
      if (discovery && (JSON.parse(readFileSync(file, 'utf8')) as Discovery).pid === process.pid) rmSync(file, { force: true });
    } catch {
      // nothing more can be done while exiting
    }
  };
  if (control) {
    discovery = {
      pid: process.pid,
      url: control.url,
      host: control.host,
      port: control.port,
      frontUrl: `http://${engine.host.includes(':') ? `[${engine.host}]` : engine.host}:${engine.port}/`,
      version: BERTH_VERSION,
      startedAt: engine.startedAt,
    };
    const published = discovery;
    try {
      await inHome(home, 'writing engine.json', () => writeDiscovery(home, published));
    } catch (error) {
      await engine.stop(0);
      await control.close();
      throw error;
    }
    process.once('exit', cleanup);
  }

  let stopping: Promise<void> | undefined;
  return {
    engine,
    control,
    discovery,
    notice,
    stop(timeoutMs?: number) {
      stopping ??= (async () => {
        await engine.stop(timeoutMs);
        await control?.close();
        if (discovery) {
          process.off('exit', cleanup);
          const current = await readDiscovery(home).catch(() => undefined);
          if (current?.pid === process.pid && current.port === discovery.port) await removeDiscovery(home);
        }
      })();
      return stopping;
    },
  };
}
