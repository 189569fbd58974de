/** What an engine is made with, and what adding an app may say. */
import type { SettingName } from '../config/schema.js';
import type { HttpsOptions } from './https.js';
import type { Platform } from '../platform/platform.js';
import type { ClientLimits } from '../proxy/client-limits.js';
import type { OverrideValue } from '../registry/format.js';
import type { Registry, RegistryProblem } from '../registry/registry.js';

export interface EngineOptions {
  /** Front server address. Default 127.0.0.1:8080. */
  host?: string;
  port?: number;
  /** Also serve every app over HTTPS (HTTP/2 and HTTP/1.1) on this port, with the local CA in this home folder. */
  https?: HttpsOptions;
  /** Environment for configuration and workers. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: Platform;
  /** Recycle apps when their files change (default true). */
  watchFiles?: boolean;
  /**
   * The remembered apps. With a registry, `start()` hosts its apps (starting the enabled ones), and adding, removing,
   * enabling and disabling apps is saved to it. Without one, apps live as long as the engine.
   */
  registry?: Registry;
  /** The registry file was unusable and moved aside (reported as an event when the engine starts). */
  registryProblem?: RegistryProblem;
  /** Where the apps' event history is kept between runs (core/history); none: in memory only. */
  historyFile?: string;
  /**
   * The front server's limits on clients (engine-wide: they apply before a request is routed to an app). Defaults:
   * headersTimeoutMs 30 000, bodyIdleTimeoutMs 60 000, maxConnections 10 000 (`DEFAULT_CLIENT_LIMITS`).
   */
  clientLimits?: Partial<ClientLimits>;
}

export interface AddAppOptions {
  /** The app's name (a DNS label); default: from the folder's name. */
  name?: string;
  /** Start it now (default true). */
  start?: boolean;
  /** Remembered as started with the engine (default true). */
  enabled?: boolean;
  overrides?: Partial<Record<SettingName, OverrideValue>>;
  /** Save it to the registry (default: when the engine has one). */
  persist?: boolean;
}
