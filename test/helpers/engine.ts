import path from 'node:path';
import { Engine, type EngineOptions } from '../../core/engine.js';
import { EventRecorder } from './events.js';
import { REPO } from './paths.js';
import type { EngineEvent } from '../../core/events.js';
import type { App } from '../../core/app/app.js';

export interface TestEngine {
  engine: Engine;
  port: number;
  events: EngineEvent[];
  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(match: (e: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  stop(): Promise<void>;
}

/**
 * An engine on an ephemeral loopback port, recording its events. Environment: process.env plus `env`, and NODE_PATH
 * pointing at the project's node_modules: fixture apps copied to temp folders find their dependencies (`ws`) there,
 * as a real app finds its own node_modules.
 */
export async function startEngine(env: NodeJS.ProcessEnv = {}, options: Pick<EngineOptions, 'watchFiles' | 'https' | 'clientLimits'> = {}): Promise<TestEngine> {
  const engine = new Engine({ host: '127.0.0.1', port: 0, env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules'), ...env }, ...options });
  const recorder = new EventRecorder();
  engine.on('event', recorder.record);
  await engine.start();
  return {
    engine,
    port: engine.port,
    events: recorder.events,
    waitFor: (match, timeoutMs) => recorder.waitFor(match, timeoutMs),
    stop: () => engine.stop(2000),
  };
}

/** Adds an app and waits until all its workers are ready. */
export async function addRunningApp(t: TestEngine, folder: string): Promise<App> {
  const app = await t.engine.addApp(folder);
  await t.waitFor((e) => e.type === 'app-state' && e.app === app.name && (e.state === 'running' || e.state === 'errored'));
  if (app.state !== 'running') throw new Error(`app ${app.name} is ${app.state}: ${app.problem?.title} ${app.problem?.detail}`);
  return app;
}
