/**
 * The error pages of an exchange that could not get an answer from the app: what went wrong, in words that name
 * the setting to change, and the worker's stderr tail for callers allowed to see details.
 */
import { htmlResponse, renderErrorPage } from './pages.js';
import type { ProxyApp, ProxyWorker, Unavailable } from './proxy-app.js';

/** What callers who may not see details read on Berth's 5xx pages. */
const PUBLIC_TITLES: Record<number, string> = {
  500: 'The app could not be started to answer this request.',
  502: 'The app failed while answering this request.',
  503: 'The app is not available right now. Try again in a moment.',
  504: 'The app took too long to answer this request.',
};

/**
 * The bytes of a Berth error page: the details (advice, stderr) for callers allowed to see them (devErrorsEnabled,
 * loopback unless devErrorsForRemote), a plain page for others. The connection closes after it.
 */
export function failureResponse(page: Unavailable, details: boolean): Buffer {
  page.publicTitle ??= PUBLIC_TITLES[page.status] ?? 'The app could not answer this request.';
  const extra: Record<string, string> = page.status === 503 ? { 'Retry-After': String(page.retryAfter ?? 5) } : {};
  return htmlResponse(page.status, renderErrorPage(page, details), extra);
}

/** A request Berth could not read or accept (bad framing, heads too large); the connection closes after it. */
export function clientErrorResponse(status: number, message: string): Buffer {
  return htmlResponse(status, renderErrorPage({ status, title: message, advice: '' }, false));
}

/** requestTimeout: the app has not started answering in time. */
export function requestTimeoutPage(app: ProxyApp, worker: ProxyWorker | null): Unavailable {
  const seconds = (app.requestTimeoutMs / 1000).toFixed(1);
  return {
    unavailable: true,
    status: 504,
    title: `The app did not start answering within requestTimeout (${seconds} s).`,
    advice: 'The request took longer than requestTimeout allows. The app may be stuck, or the limit too low for this request.',
    app: app.name,
    ...(worker ? { stderr: worker.failureText(), facts: { pid: worker.pid } } : {}),
  };
}

/** The worker is running but refused every connection attempt. */
export function connectFailedPage(app: ProxyApp, worker: ProxyWorker, attempts: number, error: NodeJS.ErrnoException): Unavailable {
  return {
    unavailable: true,
    status: 503,
    title: `Berth could not connect to the app's worker (pid ${worker.pid}) after ${attempts} attempts (${error.code ?? error.message}).`,
    advice: 'The worker is running but does not accept connections on process.env.PORT. Check that the app listens on process.env.PORT and is not stuck.',
    app: app.name,
    stderr: worker.failureText(),
  };
}

/** The worker did not listen within the start-up budget (maxNamedPipeConnectionRetry × namedPipeConnectionRetryDelay). */
export function startTimeoutPage(app: ProxyApp, worker: ProxyWorker, budgetMs: number): Unavailable {
  const seconds = (budgetMs / 1000).toFixed(1);
  return {
    unavailable: true,
    status: 503,
    title: `The app's worker (pid ${worker.pid}) did not start listening on process.env.PORT within ${seconds} s.`,
    advice:
      'An iisnode-style app must call listen(process.env.PORT). If it listens on a fixed port instead, change it to use process.env.PORT. ' +
      'If it is just slow to start, raise maxNamedPipeConnectionRetry or namedPipeConnectionRetryDelay.',
    app: app.name,
    stderr: worker.failureText(),
    facts: { pid: worker.pid, 'waited (ms)': budgetMs },
  };
}

/** The worker wrote something that is not a valid HTTP response. */
export function badResponsePage(app: ProxyApp, worker: ProxyWorker | null, message: string): Unavailable {
  return {
    unavailable: true,
    status: 502,
    title: message,
    advice: 'The app wrote something that is not a valid HTTP response.',
    app: app.name,
    ...(worker ? { stderr: worker.failureText() } : {}),
  };
}

/** The worker could not be spawned, exited, or closed the connection before answering. */
export function workerGonePage(app: ProxyApp, worker: ProxyWorker): Unavailable {
  const exit = worker.exitInfo;
  if (exit?.spawnError) {
    return { unavailable: true, status: 500, title: `The worker could not be started: ${exit.spawnError}`, advice: 'Check nodeProcessCommandLine.', app: app.name };
  }
  if (exit?.beforeReady) {
    return {
      unavailable: true,
      status: 500,
      title: `The app's worker (pid ${worker.pid}) exited before it listened on process.env.PORT.`,
      advice: `The app crashed while starting, or finished without calling listen(process.env.PORT). ${outputBelow(worker)}`,
      app: app.name,
      stderr: worker.failureText(),
      facts: app.describeWorkerExit(worker),
    };
  }
  return {
    unavailable: true,
    status: 502,
    title: exit
      ? `The app's worker (pid ${worker.pid}) exited while handling this request.`
      : `The app's worker (pid ${worker.pid}) closed the connection without answering.`,
    advice: `The app crashed or closed the connection while handling the request. ${outputBelow(worker)}`,
    app: app.name,
    stderr: worker.failureText(),
    facts: exit ? app.describeWorkerExit(worker) : undefined,
  };
}

/** Says what is below, never "below" with nothing there, with the hint for a known start-up mistake. */
function outputBelow(worker: ProxyWorker): string {
  const output = worker.failureText();
  const hint = worker.failureHint();
  const said = output.trim() ? 'Its last output is below.' : 'It wrote nothing to stderr or stdout: run it by hand in its folder to see why.';
  return hint ? `${said} Hint: ${hint}` : said;
}

/** The front server already holds maxConnections client connections: this one is refused with a page saying so. */
export function tooManyConnectionsResponse(maxConnections: number): Buffer {
  const title = `Berth is serving ${maxConnections} client connections, its limit: try again in a moment.`;
  return htmlResponse(503, renderErrorPage({ status: 503, title, advice: '' }, false), { 'Retry-After': '5' });
}
