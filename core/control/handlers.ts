/**
 * The control API's calls, one handler each. Every handler goes through the `Engine`'s operations (never into an
 * `App`, its workers or its log tail), and builds what it answers with views.ts.
 */
import path from 'node:path';
import { EngineError, type Engine } from '../engine.js';
import { ControlCallError } from './call-errors.js';
import { httpsStatus, trustHttps } from './https-trust.js';
import { selectLines } from './log-lines.js';
import type { EngineInfo, Method, Params, Result } from './protocol.js';
import { writeSettings } from './settings-file.js';
import type { Subscriptions } from './subscriptions.js';
import { appConfigView, appDetail, appSummaries, appSummary, debugInfo, recycleResult } from './views.js';

export type Handlers = { [M in Method]: (params: Params<M>, subs: Subscriptions) => Result<M> | Promise<Result<M>> };

export interface HandlerContext {
  engine: Engine;
  /** The Berth home folder: heap snapshots and CPU profiles go to its `snapshots` folder. */
  home: string;
  info(): EngineInfo;
}

/** Debugging failures (no free port, debugging off, worker gone) are the caller's to read, not engine errors. */
async function debugCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ControlCallError || error instanceof EngineError) throw error;
    throw new ControlCallError('DEBUG_FAILED', (error as Error).message);
  }
}

export function makeHandlers({ engine, home, info }: HandlerContext): Handlers {
  const snapshots = path.join(home, 'snapshots');
  /** Throws APP_NOT_FOUND (with the list of apps) unless the app exists. */
  const known = (app: string | undefined): void => {
    if (app !== undefined) engine.appRecord(app);
  };
  return {
    'engine.info': () => info(),
    'apps.list': () => appSummaries(engine),
    'apps.get': ({ app }) => appDetail(engine, app),
    'apps.add': async ({ folder, name, start }) => {
      const app = await engine.addApp(folder, { ...(name !== undefined ? { name } : {}), start: start ?? true });
      return appSummary(engine, start === false ? app.name : await engine.startApp(app.name));
    },
    'apps.remove': async ({ app }) => {
      const persisted = engine.appRecord(app).persisted;
      await engine.removeApp(app);
      return { app, persisted };
    },
    'apps.enable': async ({ app }) => appSummary(engine, await engine.setEnabled(app, true)),
    'apps.disable': async ({ app }) => appSummary(engine, await engine.setEnabled(app, false)),
    'apps.start': async ({ app }) => appSummary(engine, await engine.startApp(app)),
    'apps.stop': async ({ app }) => appSummary(engine, await engine.stopApp(app)),
    'apps.restart': async ({ app }) => appSummary(engine, await engine.restartApp(app)),
    'apps.recycle': async ({ app, reason }) => recycleResult(engine, await engine.recycleApp(app, reason ?? 'asked through the control API')),
    'config.get': ({ app }) => appConfigView(engine, app),
    'config.set': async ({ app, settings, env }) => {
      const { result, takesEffect } = await engine.writeSettings(app, (target) => writeSettings({ ...target, patch: settings ?? {}, ...(env ? { envPatch: env } : {}) }));
      return { ...result, takesEffect };
    },
    'logs.get': ({ app, lines, streams }) => selectLines(engine.logLines(app), lines ?? 100, streams),
    'metrics.get': ({ app }) => {
      known(app);
      return engine.metrics.latest(app);
    },
    'metrics.history': ({ app, seconds }) => {
      known(app);
      return engine.metrics.history(app, seconds);
    },
    // Known apps only; a removed app's history is forgotten with it.
    'events.history': ({ app, limit }) => {
      known(app);
      return engine.history.of(app, limit);
    },
    'events.subscribe': ({ app }, subs) => {
      known(app);
      return { subscription: subs.events(app) };
    },
    'logs.subscribe': ({ app, lines, streams }, subs) => {
      // The history is taken and the subscription made in the same turn: no line falls between the two.
      const history = selectLines(engine.logLines(app), lines ?? 0, streams);
      const subscription = subs.logs(app, streams);
      return { subscription, lines: history };
    },
    'metrics.subscribe': ({ app }, subs) => {
      known(app);
      return { subscription: subs.metrics(app) };
    },
    unsubscribe: ({ subscription }, subs) => {
      if (!subs.unsubscribe(subscription)) {
        throw new ControlCallError('SUBSCRIPTION_NOT_FOUND', `There is no subscription "${subscription}" on this connection (it may have ended already).`);
      }
      return { subscription };
    },
    'debug.start': ({ app, break: brk, mode }) =>
      debugCall(async () => debugInfo(app, await engine.startDebugging(app, { brk: brk ?? false, mode: mode ?? 'exclusive' }))),
    'debug.stop': ({ app }) => debugCall(async () => debugInfo(app, await engine.stopDebugging(app))),
    'debug.info': ({ app }) => debugInfo(app, engine.debugSession(app)),
    'debug.heapSnapshot': ({ app, worker }) =>
      debugCall(async () => {
        const written = await engine.heapSnapshot(app, snapshots, worker);
        return { file: written.path, bytes: written.size, pid: written.pid };
      }),
    'debug.cpuProfile': ({ app, worker, seconds }) =>
      debugCall(async () => {
        const written = await engine.cpuProfile(app, snapshots, seconds ?? 10, worker);
        return { file: written.path, bytes: written.size, pid: written.pid };
      }),
    'https.status': () => httpsStatus(engine),
    'https.trust': () => trustHttps(engine),
  };
}
