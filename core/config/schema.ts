/**
 * Every setting Berth knows, defined once: iisnode's settings with iisnode's defaults and meaning
 * (reference: iisnode's `iisnode_schema.xml`), plus Berth's own keys. Loaders, validation, the README table,
 * the control API and the settings form are all derived from this table.
 */

/** How Berth treats an iisnode setting. */
export type Support =
  /** Works as in iisnode. */
  | 'honoured'
  /** Works, and better than in iisnode (the note says how). */
  | 'improved'
  /** Accepted so existing files keep working, but has no effect (the note says why). */
  | 'ignored';

interface Meta {
  /** One sentence: what the setting does in Berth. */
  description: string;
  support: Support;
  /** Why it is improved or ignored. */
  note?: string;
  /** Extra key names accepted in YAML files (iisnode spelled one key differently in iisnode.yml). */
  aliases?: readonly string[];
  /** `%VAR%` references are expanded from the environment when the value comes from a file (iisnode did this). */
  expand?: boolean;
  /** iisnode refused this key in iisnode.yml; it can only come from the environment. */
  notInFile?: boolean;
  /** A Berth key that iisnode did not have. */
  berthOnly?: boolean;
}

export interface UintSetting extends Meta {
  kind: 'uint';
  default: number;
  min?: number;
  max?: number;
  /** iisnode's `allowInfinite`: the word `infinite` means no limit. */
  allowInfinite?: boolean;
  unit?: 'ms' | 's' | 'KB' | 'bytes' | 'MB' | 'days';
}

export interface BoolSetting extends Meta {
  kind: 'bool';
  default: boolean;
}

export interface StringSetting extends Meta {
  kind: 'string';
  default: string;
  /** A check run on non-empty values; returns the problem, or undefined when the value is fine. */
  check?: (value: string) => string | undefined;
  /** What a valid value looks like, for error messages. */
  expected?: string;
}

export interface EnumSetting extends Meta {
  kind: 'enum';
  default: string;
  values: readonly string[];
}

export type SettingDef = UintSetting | BoolSetting | StringSetting | EnumSetting;

/** The largest value iisnode's DWORD settings take; `infinite` maps to it. */
export const INFINITE = 4294967295;

const uint = (def: number, meta: Omit<UintSetting, 'kind' | 'default'>): UintSetting => ({ kind: 'uint', default: def, ...meta });
const bool = (def: boolean, meta: Meta): BoolSetting => ({ kind: 'bool', default: def, ...meta });
const str = (def: string, meta: Omit<StringSetting, 'kind' | 'default'>): StringSetting => ({ kind: 'string', default: def, ...meta });

export function checkPortRange(value: string): string | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  if (!match) return 'is not a port or a port range';
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start < 1025) return 'starts below 1025';
  if (end > 65535) return 'ends above 65535';
  if (end < start) return 'ends before it starts';
  return undefined;
}

function checkHostname(value: string): string | undefined {
  const labels = value.toLowerCase().split('.');
  for (const label of labels) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) return `has an invalid DNS label "${label}"`;
  }
  return undefined;
}

function checkRelativeEntry(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character';
  return undefined;
}

export const SETTINGS = {
  node_env: str('', {
    description: 'NODE_ENV given to the workers. Empty means the workers inherit NODE_ENV from Berth.',
    support: 'improved',
    note: 'The configured value wins over an inherited NODE_ENV (iisnode let the inherited one win, issue #606).',
    expand: true,
  }),
  asyncCompletionThreadCount: uint(0, {
    description: "Size of iisnode's IO completion thread pool inside IIS.",
    support: 'ignored',
    note: 'Berth has no IIS thread pool; its engine is one event loop.',
  }),
  nodeProcessCountPerApplication: uint(1, {
    description: 'Number of worker processes per app; 0 means one per CPU.',
    support: 'honoured',
    max: 256,
  }),
  nodeProcessCommandLine: str('node', {
    description: 'Command that starts node, found on PATH unless a full path is given; it may carry extra node flags.',
    support: 'honoured',
    note: 'The default is `node` (iisnode: `node.exe`); `node.exe` works too on Windows.',
    expand: true,
  }),
  interceptor: str('', {
    description: "Script iisnode launched in front of the app to capture its output.",
    support: 'ignored',
    note: 'Berth reads the workers\' output itself and preloads its own bootstrap, so the app stays the main module.',
    expand: true,
  }),
  maxConcurrentRequestsPerProcess: uint(1024, {
    description: 'Most requests (an open WebSocket counts as one) a worker holds at once.',
    support: 'honoured',
    min: 1,
    allowInfinite: true,
  }),
  maxNamedPipeConnectionRetry: uint(100, {
    description: 'How many times a request retries connecting to a worker that is still starting.',
    support: 'honoured',
  }),
  namedPipeConnectionRetryDelay: uint(250, {
    description: 'Delay between those retries; retries × delay is how long a request waits for a starting worker.',
    support: 'improved',
    note: 'A request is sent as soon as the worker reports it listens, rather than at the next retry tick.',
    unit: 'ms',
  }),
  maxNamedPipeConnectionPoolSize: uint(512, {
    description: 'Most idle connections kept open to each worker for reuse.',
    support: 'honoured',
  }),
  maxNamedPipePooledConnectionAge: uint(30000, {
    description: 'Idle pooled connections older than this are closed instead of reused.',
    support: 'improved',
    note: "A pooled connection is also never kept longer than the worker's own keep-alive timeout.",
    unit: 'ms',
  }),
  initialRequestBufferSize: uint(4096, {
    description: "Initial size of iisnode's per-request buffer.",
    support: 'ignored',
    note: 'Berth streams requests without a growing buffer, so there is nothing to size.',
    unit: 'bytes',
  }),
  maxRequestBufferSize: uint(65536, {
    description: 'Largest request or response header block accepted.',
    support: 'honoured',
    min: 1024,
    unit: 'bytes',
  }),
  uncFileChangesPollingInterval: uint(5000, {
    description: 'Polling period for watched files on network folders.',
    support: 'honoured',
    unit: 'ms',
  }),
  gracefulShutdownTimeout: uint(60000, {
    description: 'How long stopping workers may take to finish in-flight requests before they are killed.',
    support: 'improved',
    note: 'Workers are asked to stop over IPC first, so their exit handlers run (iisnode only killed them).',
    unit: 'ms',
  }),
  logDirectory: str('iisnode', {
    description: "Folder for the workers' log files, relative to the entry's folder unless absolute.",
    support: 'honoured',
    expand: true,
  }),
  loggingEnabled: bool(true, {
    description: "Capture the workers' stdout and stderr into log files, served at `/<logDirectory>/` to callers on this computer.",
    support: 'improved',
    note: 'Berth reads the output pipes and writes asynchronously, so a slow disk never blocks the app and an unwritable folder never stops it.',
  }),
  maxLogFileSizeInKB: uint(128, {
    description: 'A log file rolls over to a new one past this size (at a line boundary). 0: no limit.',
    support: 'improved',
    note: 'No line is cut in half or lost at a roll-over.',
    unit: 'KB',
  }),
  maxTotalLogFileSizeInKB: uint(1024, {
    description: "Oldest log files are deleted while the app's log files take more than this. 0: no limit.",
    support: 'improved',
    note: 'Only Berth\'s own log files count and are deleted (iisnode deleted any file in the folder), never one being written.',
    unit: 'KB',
  }),
  maxLogFiles: uint(20, {
    description: 'Oldest log files are deleted while there are more than this. 0: no limit.',
    support: 'improved',
    note: 'Only Berth\'s own log files count and are deleted, never one being written.',
  }),
  debuggingEnabled: bool(true, {
    description: 'Allow debugging the app through `/<entry>/<debuggerPathSegment>/` URLs and the debug commands.',
    support: 'improved',
    note: "Uses node's built-in inspector; reachable from loopback only.",
  }),
  debuggerPathSegment: str('debug', {
    description: 'URL segment after the entry file name that opens the debugger page.',
    support: 'honoured',
    expand: true,
  }),
  debuggerPortRange: str('5058-6058', {
    description: 'TCP ports the inspector may listen on (`start-end` or one port).',
    support: 'honoured',
    aliases: ['debugPortRange'],
    check: checkPortRange,
    expected: 'a port range such as 5058-6058, from 1025 to 65535',
    expand: true,
  }),
  debuggerVirtualDir: str('', {
    description: "Where iisnode unpacked node-inspector's files.",
    support: 'ignored',
    note: 'node-inspector is gone; Berth links to Chrome DevTools and VS Code instead.',
  }),
  debuggerExtensionDll: str('iisnode-inspector-0.7.3.dll', {
    description: 'Which node-inspector build iisnode used.',
    support: 'ignored',
    note: 'node-inspector is gone; Berth links to Chrome DevTools and VS Code instead.',
  }),
  debugHeaderEnabled: bool(false, {
    description: 'Add the `iisnode-debug` diagnostics header to responses.',
    support: 'honoured',
  }),
  devErrorsEnabled: bool(true, {
    description: "Berth's own 5xx pages explain the failure and show the worker's last stderr output.",
    support: 'improved',
    note: 'Shown to loopback callers only, with the real status code (iisnode answered 200 to anyone).',
  }),
  flushResponse: bool(false, {
    description: 'Flush streamed responses chunk by chunk.',
    support: 'improved',
    note: 'Berth always streams response bytes as they arrive, so this is always on.',
  }),
  watchedFiles: str('*.js;iisnode.yml', {
    description: 'Files whose change recycles the app: `;`-separated, relative to the entry folder, with wildcards.',
    support: 'honoured',
    expand: true,
  }),
  enableXFF: bool(false, {
    description: 'Add the client address to `X-Forwarded-For` and add `X-Forwarded-Proto`.',
    support: 'honoured',
  }),
  promoteServerVars: str('', {
    description: 'Comma-separated server variables passed to the app as `X-iisnode-<NAME>` request headers.',
    support: 'honoured',
  }),
  configOverrides: str('iisnode.yml', {
    description: 'Name of the iisnode YAML file read next to the entry (berth.yml is always read first).',
    support: 'honoured',
    notInFile: true,
    expand: true,
  }),
  recycleSignalEnabled: bool(false, {
    description: 'Give workers `IISNODE_CONTROL_PIPE`; writing `recycle` to it recycles the app.',
    support: 'improved',
    note: 'Recycles only this app, gracefully, every time (iisnode recycled all of IIS, once).',
  }),
  idlePageOutTimePeriod: uint(0, {
    description: "Period at which iisnode trimmed idle processes' working sets.",
    support: 'ignored',
    note: 'Paging memory out by force does not free it; Windows trims idle processes by itself.',
    unit: 'ms',
  }),
  nodeProcessStickySessions: bool(false, {
    description: 'Route requests carrying the `iisnode.session.cookie` cookie to the same worker.',
    support: 'honoured',
  }),

  // Berth's own keys.
  entry: str('', {
    description: 'Entry script, relative to the app folder. Empty: package.json `main`, else server.js, app.js, index.js.',
    support: 'honoured',
    berthOnly: true,
    check: checkRelativeEntry,
  }),
  start: str('', {
    description: 'A command that starts the app instead of an entry script (`npm run preview`, `vite preview`, `node dist/server.js`); a package.json `start` script is used when there is no entry script. Runs without a shell, in portMode tcp.',
    support: 'honoured',
    berthOnly: true,
  }),
  loadBalancing: {
    kind: 'enum',
    default: 'roundRobin',
    values: ['roundRobin', 'leastBusy'],
    description: 'How requests are spread over workers: `roundRobin` (iisnode\'s order) or `leastBusy` (fewest active requests, ties in round-robin order).',
    support: 'honoured',
    berthOnly: true,
  },
  connectionHandoff: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'off'],
    description:
      "`auto`: when no setting needs the proxy per request, a client's connection is handed to a worker after its first request (the fast lane, see docs/PERFORMANCE.md). `off`: every request goes through Berth's proxy.",
    support: 'honoured',
    berthOnly: true,
  },
  startMode: {
    kind: 'enum',
    default: 'always',
    values: ['always', 'onDemand'],
    description:
      "`always`: the workers start with the app. `onDemand` (iisnode's way): no worker runs until the first request, which waits for them within the pipe retry budget; the app shows as sleeping until then.",
    support: 'honoured',
    berthOnly: true,
  },
  idleTimeout: uint(0, {
    description:
      'An app with no request and no open WebSocket for this long is stopped gracefully and shown as sleeping; the next request starts it again. 0 never stops it; 900 (15 minutes) suits a machine hosting many apps. Keeps the app on the proxy lane.',
    support: 'honoured',
    berthOnly: true,
    unit: 's',
  }),
  stickyRealtime: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'off'],
    description:
      "`auto`: socket.io / engine.io requests (an `EIO=` query) are pinned to the worker that answered their handshake with iisnode's sticky cookie, and an app that uses engine.io takes the proxy lane, so several workers work for clients that keep cookies. `off`: they are balanced like any request.",
    support: 'honoured',
    berthOnly: true,
  },
  portMode: {
    kind: 'enum',
    default: 'pipe',
    values: ['pipe', 'tcp'],
    description: "What each worker gets in `PORT`: `pipe` (a named pipe or unix socket path, as iisnode) or `tcp` (a free loopback port number, for tools that insist on numbers; Berth dials 127.0.0.1:port).",
    support: 'honoured',
    berthOnly: true,
  },
  redirectListen: bool(true, {
    description: "When the app never listens on process.env.PORT, bind its first plain-HTTP server there anyway (`listen(3000)`, `Number(process.env.PORT) || 3000`, Fastify's `listen({ port })`); later servers stay where the app put them.",
    support: 'honoured',
    berthOnly: true,
  }),
  devErrorsForRemote: bool(false, {
    description: 'Show the devErrorsEnabled details (stderr output) to callers on other computers too.',
    support: 'honoured',
    berthOnly: true,
  }),
  requestTimeout: uint(0, {
    description: 'A request the app has not started answering after this long gets a 504. 0 turns it off.',
    support: 'honoured',
    berthOnly: true,
    unit: 'ms',
  }),
  unresponsiveTimeout: uint(0, {
    description: "A worker whose event loop stays blocked this long is replaced gracefully. 0 turns it off; use several seconds.",
    support: 'honoured',
    berthOnly: true,
    unit: 'ms',
  }),
  logRetentionDays: uint(0, {
    description: 'Log files last written more than this many days ago are deleted. 0 keeps them.',
    support: 'honoured',
    berthOnly: true,
    unit: 'days',
  }),
  logsForRemote: bool(false, {
    description: 'Serve the log folder over HTTP to callers on other computers too.',
    support: 'honoured',
    berthOnly: true,
  }),
  maxMemoryPerProcessInMB: uint(0, {
    description: 'A worker whose resident memory stays above this for 3 s is replaced gracefully. 0 turns it off.',
    support: 'honoured',
    berthOnly: true,
    unit: 'MB',
  }),
  mountPath: str('', {
    description: 'URL path a web.config site is mounted at, like an IIS virtual directory (`/node`); its apps see full paths including it.',
    support: 'honoured',
    berthOnly: true,
    check: (value) => (value.startsWith('/') ? undefined : 'does not start with /'),
    expected: 'a URL path such as /node',
  }),
  hostname: str('', {
    description: 'Host name the app answers on: a label (`shop` → shop.localhost) or a full name. Empty: the folder name.',
    support: 'honoured',
    berthOnly: true,
    check: checkHostname,
    expected: 'a DNS name such as shop or shop.localhost',
  }),
} as const satisfies Record<string, SettingDef>;

export type SettingName = keyof typeof SETTINGS;

type ValueOf<D> = D extends UintSetting ? number : D extends BoolSetting ? boolean : string;

/** The effective value of every setting. */
export type Settings = { -readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export function settingDef(name: SettingName): SettingDef {
  return SETTINGS[name];
}

export function defaultSettings(): Settings {
  const values: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) values[name] = SETTINGS[name].default;
  return values as Settings;
}

/** Lower-cased key or alias → setting name, for the case-insensitive lookups iisnode did. */
export const SETTING_BY_KEY: ReadonlyMap<string, SettingName> = (() => {
  const map = new Map<string, SettingName>();
  for (const name of SETTING_NAMES) {
    const def: SettingDef = SETTINGS[name];
    map.set(name.toLowerCase(), name);
    for (const alias of def.aliases ?? []) map.set(alias.toLowerCase(), name);
  }
  return map;
})();

