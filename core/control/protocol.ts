/**
 * Berth's control protocol, defined once: every call's parameters and result, every subscription's payload, every
 * error code. The engine's server (server.ts), the CLI's client (client.ts), the desktop app's renderer and the tests
 * all use these types. This file has no runtime imports (only `import type`), so a browser bundle can import it.
 *
 * Transport: one WebSocket to `ws://127.0.0.1:<port>/control` (the URL is in `engine.json` in the Berth home folder).
 * The connection must present the token (the `token` file next to it): as the subprotocol `berth.token.<token>`
 * offered next to `berth.v1` (what a browser can do), or as an `Authorization: Bearer <token>` header. A browser's
 * `Origin` must be one of Berth's own; clients that send no Origin (the CLI) are accepted.
 *
 * Messages are JSON text frames.
 * - Client → engine: `{ "id": 1, "method": "apps.list", "params": {} }` (`id`: a number or a short string, echoed).
 * - Engine → client: first `{ "kind": "hello", ... }`; then for each request `{ "kind": "response", "id": 1, "ok":
 *   true, "result": ... }` or `{ "kind": "response", "id": 1, "ok": false, "error": { "code": ..., "message": ... } }`;
 *   for subscriptions `{ "kind": "push", "subscription": "s1", "topic": "logs", "data": ..., "dropped": 3 }`, and
 *   `{ "kind": "end", "subscription": "s1", "reason": ... }` when the engine ends one (its app was removed).
 */
import type { EngineEvent } from '../events.js';
import type { MetricsBatch, MetricsHistory } from '../metrics/samples.js';
import type { AppState, DebugMode, LogLine, LogStream, WorkerState } from '../shared/types.js';

export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol a client offers (and the engine selects). */
export const PROTOCOL_NAME = 'berth.v1';
/** A browser offers its token as a second subprotocol with this prefix (browsers cannot set headers). */
export const TOKEN_PROTOCOL_PREFIX = 'berth.token.';
/** The endpoint's path. */
export const CONTROL_PATH = '/control';
/** Largest message the engine reads; a bigger one gets a TOO_LARGE error (and one past 4× this ends the connection). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Shared shapes

// The states, debug modes and log lines the engine's objects share with the protocol are declared once, there.
export type { EngineEvent } from '../events.js';
export type { AppState, DebugMode, LogLine, LogStream, WorkerState } from '../shared/types.js';
/** The metrics as the collector makes them and the protocol sends them (declared next to the collector). */
export type { AppMetrics, AppSample, MetricsBatch, MetricsHistory, WorkerMetrics, WorkerSample } from '../metrics/samples.js';

/** `missing`: the registry remembers the app, but its folder does not exist (any more). */
export type AppListState = AppState | 'missing';

/** Why an app cannot serve, or why its last upgrade failed. */
export interface Problem {
  title: string;
  detail: string;
  /** The worker's last stderr output, when it explains the problem. */
  stderr?: string;
}

export interface EngineInfo {
  version: string;
  protocol: number;
  pid: number;
  /** Epoch ms. */
  startedAt: number;
  /** The front server, e.g. http://127.0.0.1:8080/ */
  frontUrl: string;
  /** This endpoint, e.g. ws://127.0.0.1:49152/control */
  controlUrl: string;
  /** The Berth home folder. */
  home: string;
  /**
   * `registry`: the engine hosts the remembered apps and remembers changes (`berth serve` without folders, the
   * desktop app). `folders`: it hosts the folders it was started with and remembers nothing.
   */
  mode: 'registry' | 'folders';
  /** The registry file, in registry mode. */
  registryFile: string | null;
  /** The engine's operating system (`process.platform`: win32, darwin, linux, …): the UI words paths and menus for it. */
  platform: string;
}

/** The HTTPS front and the local CA behind it, with what trusting the CA takes on the engine's system. */
export interface HttpsStatus {
  /** The HTTPS front's port; null when HTTPS is off. */
  port: number | null;
  /** Why HTTPS is off although it was asked for (its default port was taken); null otherwise. */
  problem: string | null;
  /** The local CA's certificate file; null when the engine runs without HTTPS. */
  caPath: string | null;
  /** The CA's SHA-1 thumbprint (hex), as certutil and macOS's security tool name it; null without HTTPS. */
  thumbprint: string | null;
  /** Berth adds the CA itself on `https.trust` (Windows: certutil on the current user's Root store; Windows asks to confirm). */
  canInstall: boolean;
  /** The commands that trust the CA on this system, per store: run them yourself where `canInstall` is false. */
  steps: { label: string; commands: string[] }[];
}

export interface HttpsTrustResult {
  /** certutil added the CA to the current user's Root store (Windows). False: run `status.steps`' commands. */
  installed: boolean;
  /** certutil's output (Windows); empty elsewhere. */
  output: string;
  status: HttpsStatus;
}

export interface AppSummary {
  name: string;
  folder: string;
  /** Where the app answers, e.g. http://shop.localhost:8080/ */
  url: string;
  state: AppListState;
  /** Started when the engine starts (registry mode). */
  enabled: boolean;
  /** Remembered in the registry. */
  persisted: boolean;
  /** The serving generation (1 for the first start, +1 per recycle), null when none. */
  generation: number | null;
  /** Workers of the serving generation, and how many of them are ready. */
  workers: number;
  readyWorkers: number;
  /** Workers the configuration asks for. */
  expectedWorkers: number;
  /** Resident memory of all its workers, bytes. */
  rss: number;
  /** CPU of all its workers, percent of one core. */
  cpuPercent: number;
  requestsPerSecond: number;
  activeRequests: number;
  /** Workers replaced since the app was added (crashes, memory limit, unresponsive). */
  restarts: number;
  problem?: Problem;
  /** The last recycle failed and the previous version kept serving. */
  lastUpgradeProblem?: Problem;
  /**
   * How its connections are served (core/app/lane.ts): `fast`, handed whole to a worker after their first request
   * head; `proxy`, every request through Berth's proxy. By the serving generation's settings, or when none serves,
   * by the settings it would start with. A `lane-changed` event says when it changes.
   */
  lane: 'fast' | 'proxy';
  /** Why not the fast lane, one sentence each (empty on the fast lane). */
  laneReasons: string[];
}

export interface WorkerInfo {
  pid: number | null;
  /** Position in its generation, from 0. */
  slot: number;
  generation: number;
  state: WorkerState;
  /** Epoch ms. */
  startedAt: number;
  uptimeMs: number;
  /** Times this slot's worker was replaced since the app was added. */
  restarts: number;
  activeRequests: number;
  totalRequests: number;
  /** The latest figures from the worker itself (null until it reported; it does every second). */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number } | null;
  cpuPercent: number | null;
  eventLoopDelayMs: { p50: number; p99: number } | null;
  status4xx: number;
  status5xx: number;
  /** Over its latest 1024 requests, ms. */
  latencyP50: number;
  latencyP99: number;
  /**
   * The leak hint (core/debug/leak.ts): heap size right after each of the last major garbage collections, and whether
   * it rose after every one of them. Absent until the worker has reported collections.
   */
  leak?: { suspected: boolean; growth: number; heapAfterGc: number[] };
}

export interface AppDetail extends AppSummary {
  host: string;
  /** The entry script of the serving (or next) version. */
  entry: string | null;
  /** The settings file in use (berth.yml or iisnode.yml), null when the app has none. */
  configFile: string | null;
  workerList: WorkerInfo[];
  config: ConfigView;
}

export type SettingKind = 'uint' | 'bool' | 'string' | 'enum';
export type SettingValue = number | boolean | string;

/** Where an effective value comes from. */
export type SettingSource =
  | { kind: 'default' }
  | { kind: 'env'; name: string }
  /** The app's entry in the registry (`overrides`). */
  | { kind: 'registry' }
  | { kind: 'file'; file: string; line: number };

export interface SettingView {
  name: string;
  value: SettingValue;
  default: SettingValue;
  source: SettingSource;
  kind: SettingKind;
  /** For enums. */
  values?: string[];
  unit?: string;
  description: string;
  /** For numbers: the range the engine accepts. */
  min?: number;
  max?: number;
  /** How Berth treats an iisnode setting: `ignored` ones are accepted but have no effect (`note` says why). */
  support?: 'honoured' | 'improved' | 'ignored';
  note?: string;
  /** Can come from the environment only (iisnode refused it in iisnode.yml); config.set refuses it. */
  notInFile?: boolean;
}

export interface ConfigView {
  /** The settings file read (berth.yml or iisnode.yml), null when none exists. */
  file: string | null;
  /** Where `config.set` writes: the file in use, else berth.yml in the app folder. */
  writesTo: string;
  settings: SettingView[];
  /**
   * The app's own environment variables (berth.yml's `env:`), names only: values are never sent (they may be
   * secrets); `config.set`'s `env` replaces or removes them.
   */
  env: EnvVarView[];
  /** Warnings about the file (unknown keys, ignored settings), formatted with file:line. */
  warnings: string[];
  /** The configuration cannot be used (the values shown are the defaults); the issues with file:line. */
  error?: Problem;
}

/** One of the app's environment variables, without its value. */
export interface EnvVarView {
  name: string;
  /** Where it is set: berth.yml and its line. */
  file: string;
  line: number;
}

export interface SettingChange {
  /** The setting's name; `env.<NAME>` for one of the app's environment variables. */
  setting: string;
  /** The key as written in the file (the user's spelling is kept when the key existed). */
  key: string;
  from: SettingValue | null;
  /** null: the key was removed (the value falls back to the environment or the default). */
  to: SettingValue | null;
  /** An environment variable: `from` and `to` are masked (`••••`, or null when not set), and it did change. */
  secret?: boolean;
}

export interface ConfigWriteResult {
  file: string;
  /** The file did not exist and was created. */
  created: boolean;
  changes: SettingChange[];
  /**
   * What happens next: `recycle` (the app's file watcher sees the change and upgrades gracefully), `next-start` (the
   * app is stopped), or `none` (nothing changed).
   */
  takesEffect: 'recycle' | 'next-start' | 'none';
}

export interface RecycleResult {
  app: AppSummary;
  /** The new version serves. */
  ok: boolean;
  /** Why not (the previous version keeps serving). */
  problem?: Problem;
}


export interface LogBatch {
  lines: LogLine[];
  /** Lines this subscriber missed because it read too slowly. */
  dropped: number;
}

export interface DebugParams {
  app: string;
  /** Pause on the first line (`--inspect-brk`). */
  break?: boolean;
  /** `exclusive` (default): one debug worker serves the app. `cookie`: it serves only requests with the debug cookie. */
  mode?: DebugMode;
  /** Which worker (pid); default: the app's first. */
  worker?: number;
  /** For cpuProfile: how long to record. */
  seconds?: number;
}

export interface DebugInfo {
  app: string;
  active: boolean;
  mode?: DebugMode;
  /** Paused before the first line until a debugger continues it. */
  break?: boolean;
  pid?: number;
  port?: number;
  webSocketUrl?: string;
  /** Paste into Chrome's or Edge's address bar. */
  devtoolsUrl?: string;
  /** chrome://inspect */
  inspectPage?: string;
  /** A ready-to-paste VS Code launch.json configuration. */
  vscode?: Record<string, unknown>;
  /** In cookie mode: the cookie (name=value) that routes a browser's requests to the debug worker. */
  cookie?: string;
}

/** One event the engine remembers (core/history): when it happened, and for a crash the output before it. */
export interface HistoryEntry {
  /** Increases by one per remembered event (across apps and engine restarts). */
  seq: number;
  /** Epoch ms. */
  time: number;
  event: EngineEvent;
  /** For a crash: the app's last output lines before it, oldest first. */
  output?: { stream: LogStream; text: string }[];
}

export interface EventHistoryView {
  app: string;
  /** Oldest first; at most 200 per app are kept. */
  events: HistoryEntry[];
  /** The last crash (a worker exiting unasked, an app error, a failed upgrade), kept even when older than `events`. */
  lastCrash: HistoryEntry | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Calls

type AppRef = { app: string };

/** Every call: its parameters and its result. */
export interface Calls {
  'engine.info': { params: Record<string, never>; result: EngineInfo };
  'apps.list': { params: Record<string, never>; result: AppSummary[] };
  'apps.get': { params: AppRef; result: AppDetail };
  /**
   * Adds a folder and starts it, waiting until it runs or fails; in registry mode it is remembered. `start: false`
   * adds it stopped and disabled (not started with the engine either, until apps.enable).
   */
  'apps.add': { params: { folder: string; name?: string; start?: boolean }; result: AppSummary };
  'apps.remove': { params: AppRef; result: { app: string; persisted: boolean } };
  /** Remembers the app as enabled (started with the engine) and starts it. */
  'apps.enable': { params: AppRef; result: AppSummary };
  /** Remembers the app as disabled and stops it. */
  'apps.disable': { params: AppRef; result: AppSummary };
  /** Starts the app now (until the engine stops; see apps.enable). Waits until it runs or fails. */
  'apps.start': { params: AppRef; result: AppSummary };
  /** Stops the app gracefully (in-flight requests finish). */
  'apps.stop': { params: AppRef; result: AppSummary };
  /** Stops, then starts with freshly read files (also the way out of `errored`). */
  'apps.restart': { params: AppRef; result: AppSummary };
  /** Graceful upgrade: a new generation starts, takes over, the old one drains. */
  'apps.recycle': { params: AppRef & { reason?: string }; result: RecycleResult };
  'config.get': { params: AppRef; result: ConfigView };
  /**
   * Writes settings to the app's berth.yml (or iisnode.yml when that is the file in use), keeping comments and order.
   * `null` removes a key. Every value is validated first; nothing is written unless all are valid. `env` sets the
   * app's environment variables in berth.yml (name → value; null removes one); give `settings`, `env` or both.
   */
  'config.set': { params: AppRef & { settings?: Record<string, SettingValue | null>; env?: Record<string, SettingValue | null> }; result: ConfigWriteResult };
  /** The app's latest output lines (at most 5000). */
  'logs.get': { params: AppRef & { lines?: number; streams?: LogStream[] }; result: LogLine[] };
  'metrics.get': { params: { app?: string }; result: MetricsBatch };
  'metrics.history': { params: AppRef & { seconds?: number }; result: MetricsHistory };
  /**
   * The app's remembered events (from before this connection, and before the engine's last restart), oldest first:
   * the last `limit` of them (default all kept), and its last crash. Read it, then subscribe for what comes next.
   */
  'events.history': { params: AppRef & { limit?: number }; result: EventHistoryView };
  /** Engine events, in order (`app` filters to one app's). */
  'events.subscribe': { params: { app?: string }; result: { subscription: string } };
  /** The app's output: the last `lines` lines (default 0) in the result, then new ones as they come. */
  'logs.subscribe': { params: AppRef & { lines?: number; streams?: LogStream[] }; result: { subscription: string; lines: LogLine[] } };
  /** Metrics once a second (`app` filters to one app). */
  'metrics.subscribe': { params: { app?: string }; result: { subscription: string } };
  unsubscribe: { params: { subscription: string }; result: { subscription: string } };
  'debug.start': { params: DebugParams; result: DebugInfo };
  'debug.stop': { params: DebugParams; result: DebugInfo };
  'debug.info': { params: DebugParams; result: DebugInfo };
  'debug.heapSnapshot': { params: DebugParams; result: { file: string; bytes: number; pid: number } };
  'debug.cpuProfile': { params: DebugParams; result: { file: string; bytes: number; pid: number } };
  /** The HTTPS front, the local CA and the commands that trust it on the engine's system. */
  'https.status': { params: Record<string, never>; result: HttpsStatus };
  /**
   * Trusts the local CA, only when asked (the desktop app's button): on Windows Berth runs certutil on the current
   * user's Root store (no admin rights; Windows shows its own confirmation); elsewhere nothing is run and the result
   * has the exact commands. HTTPS_OFF without HTTPS; TRUST_FAILED when certutil fails (or the user declines).
   */
  'https.trust': { params: Record<string, never>; result: HttpsTrustResult };
}

export type Method = keyof Calls;
export type Params<M extends Method> = Calls[M]['params'];
export type Result<M extends Method> = Calls[M]['result'];

/** What each subscription pushes. */
export interface Topics {
  events: EngineEvent;
  logs: LogBatch;
  metrics: MetricsBatch;
}
export type Topic = keyof Topics;

/** Which call opens which topic. */
export const SUBSCRIBE_METHODS = {
  'events.subscribe': 'events',
  'logs.subscribe': 'logs',
  'metrics.subscribe': 'metrics',
} as const satisfies Partial<Record<Method, Topic>>;

// ---------------------------------------------------------------------------------------------------------------
// Errors

export type ErrorCode =
  /** Not JSON, not an object, a binary frame, or a missing/invalid `id` or `method`. */
  | 'BAD_MESSAGE'
  | 'TOO_LARGE'
  | 'UNKNOWN_METHOD'
  /** Parameters of the wrong type, missing, or unknown; `details.param` names the first bad one. */
  | 'INVALID_PARAMS'
  | 'APP_NOT_FOUND'
  | 'NOT_A_FOLDER'
  | 'ALREADY_ADDED'
  | 'NAME_TAKEN'
  | 'INVALID_NAME'
  /** The app is stopped (recycle needs running workers). */
  | 'APP_NOT_RUNNING'
  /** The app's folder does not exist. */
  | 'APP_MISSING'
  | 'UNKNOWN_SETTING'
  | 'INVALID_SETTING'
  /** The settings file cannot be parsed; Berth does not rewrite a file it cannot read. */
  | 'SETTINGS_FILE_INVALID'
  /** The registry or a settings file could not be written; nothing was changed. */
  | 'WRITE_FAILED'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'ENGINE_STOPPING'
  | 'NOT_IMPLEMENTED'
  /** Debugging could not start or a snapshot/profile failed (no free port, debugging turned off, worker gone). */
  | 'DEBUG_FAILED'
  /** The engine runs without HTTPS (https.trust has no CA to trust). */
  | 'HTTPS_OFF'
  /** certutil could not add the CA (the user declined Windows' confirmation, or the store is locked). */
  | 'TRUST_FAILED'
  | 'INTERNAL';

/** Refusals at connection time (HTTP status of the WebSocket handshake, with a JSON body `{ code, message }`). */
export type HandshakeErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN_ORIGIN' | 'FORBIDDEN_HOST' | 'NOT_FOUND';

export interface ErrorBody {
  code: ErrorCode;
  /** A sentence for a person: what is wrong and what to do. */
  message: string;
  details?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

export type RequestId = number | string;

export interface RequestMessage<M extends Method = Method> {
  id: RequestId;
  method: M;
  params?: Params<M>;
}

export interface HelloMessage {
  kind: 'hello';
  protocol: number;
  version: string;
  pid: number;
}

export type ResponseMessage<M extends Method = Method> =
  | { kind: 'response'; id: RequestId; ok: true; result: Result<M> }
  /** `id` is null when the request's id could not be read. */
  | { kind: 'response'; id: RequestId | null; ok: false; error: ErrorBody };

export type PushMessage = {
  [T in Topic]: {
    kind: 'push';
    subscription: string;
    topic: T;
    data: Topics[T];
    /** Pushes this subscriber missed before this one because it read too slowly. */
    dropped?: number;
  };
}[Topic];

export interface EndMessage {
  kind: 'end';
  subscription: string;
  reason: string;
}

export type ServerMessage = HelloMessage | ResponseMessage | PushMessage | EndMessage;
