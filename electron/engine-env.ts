/** The environment of the engine's process (and so of every app that does not set its own values). */
import type { EngineLaunch } from './engine-protocol.js';

export function engineEnvironment(base: NodeJS.ProcessEnv, launch: Pick<EngineLaunch, 'nodePath'>): NodeJS.ProcessEnv {
  const env = { ...base };
  // Set by some Electron tooling for itself; a worker's `node` started with it would be fine, but an app that spawns
  // an Electron binary of its own would not.
  delete env.ELECTRON_RUN_AS_NODE;
  // The desktop setting is the default for every app; an app's own nodeProcessCommandLine still wins (a file beats
  // the environment).
  if (launch.nodePath.trim()) env.BERTH_NODEPROCESSCOMMANDLINE = launch.nodePath.trim();
  return env;
}
