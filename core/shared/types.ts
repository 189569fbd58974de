/**
 * The words every layer shares, declared once: the engine's objects use them (App, Worker, the log tail), the
 * control protocol sends them (protocol.ts re-exports them), and the window and the CLI show them. Types only, so
 * the engine can use them without importing the wire format, and a browser bundle can too.
 */

/** An app's lifecycle state. `sleeping`: no worker runs until a request comes (startMode onDemand, or stopped after idleTimeout). */
export type AppState = 'stopped' | 'starting' | 'running' | 'errored' | 'stopping' | 'sleeping';

/** A worker process's state. */
export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited';

/**
 * How a debug session takes traffic: `exclusive` sends every request to the one debugged worker; `cookie` sends only
 * requests that carry the debug cookie (everyone else keeps the other workers).
 */
export type DebugMode = 'exclusive' | 'cookie';

/** Which output stream of a worker a log line came from. */
export type LogStream = 'stdout' | 'stderr';

/** One line of an app's output, as the engine's tail keeps it and the protocol sends it. */
export interface LogLine {
  /** Increases by one per line of the app: a gap in what a subscriber got means lines were dropped for it. */
  seq: number;
  /** Epoch ms when the line was complete. */
  time: number;
  pid: number;
  stream: LogStream;
  /** The line without its line ending (`\n` or `\r\n`), decoded as UTF-8. */
  text: string;
  /** The line continues in the next one of the same worker and stream (it was too long to hold, or cut at exit). */
  cut?: boolean;
}
