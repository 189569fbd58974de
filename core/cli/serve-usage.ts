/** `berth serve`'s usage lines, apart from serve.ts so that `berth --help` and every other command load no engine. */
export const SERVE_USAGE = `  berth serve [<folder>...] [--host <address>] [--port <port>] [--https-port <port>|off] [--control-port <port>] [--follow-logs]
              [--headers-timeout <ms>] [--body-idle-timeout <ms>] [--max-connections <n>]`;
