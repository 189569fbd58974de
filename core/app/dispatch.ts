/**
 * Which worker takes a request, or why none can (the 503 pages' words): the debug cookie first, then the
 * balancing policy with the sticky-session slot (nodeProcessStickySessions, or engine.io traffic under
 * stickyRealtime) and the per-worker cap. Also the iisnode-debug header's facts.
 */
import type { Settings } from '../config/schema.js';
import { debugHeaderValue } from '../proxy/debug-header.js';
import type { Dispatch, ExchangeFacts, Unavailable } from '../proxy/front-server.js';
import type { RequestHead } from '../proxy/http-parse.js';
import { DEBUG_COOKIE } from './debug-session.js';
import type { AppWorker, Balancing, Generation } from './generation.js';
import { engineIoRequest, hasCookie, stickyCookieFor, stickySlot } from './sticky.js';
import type { AppProblem } from './version.js';

/** The app as the dispatch sees it. */
export interface DispatchFacts {
  app: string;
  settings: Settings;
  /** Why the app is errored, when it is. */
  problem: AppProblem | undefined;
  /** The generation that takes requests (undefined while the app is stopped or stopping). */
  serving: Generation | undefined;
  /** The cookie-mode debug worker's generation and cookie value. */
  debug: { generation: Generation; cookie: string } | undefined;
  /** The last crashed worker's stderr, for the restarting page. */
  crashStderr: string;
}

/**
 * The worker for a request with these `cookie` and `target`. Engine.io traffic (socket.io) is pinned by the sticky
 * cookie under `stickyRealtime: auto`, so the handshake's worker keeps the session (its response sets the cookie).
 */
export function dispatch(facts: DispatchFacts, head: Pick<RequestHead, 'cookie' | 'target'>): Dispatch | Unavailable {
  const cookieHeader = head.cookie;
  const { app, problem, serving: generation, settings, debug } = facts;
  if (problem) {
    return {
      unavailable: true,
      status: 503,
      title: problem.title,
      advice: problem.detail,
      app,
      ...(problem.stderr !== undefined ? { stderr: problem.stderr } : {}),
    };
  }
  if (!generation) {
    return { unavailable: true, status: 503, title: `The app ${app} is stopped.`, advice: 'Start it from Berth to serve requests again.', app };
  }
  if (debug && cookieHeader && hasCookie(cookieHeader, DEBUG_COOKIE, debug.cookie)) {
    const choice = debug.generation.choose('roundRobin', Number.MAX_SAFE_INTEGER);
    if ('worker' in choice) return { worker: choice.worker };
  }
  const sticky = settings.nodeProcessStickySessions || (settings.stickyRealtime === 'auto' && engineIoRequest(head.target) !== undefined);
  const wanted = sticky ? stickySlot(cookieHeader) : undefined;
  const choice = generation.choose(settings.loadBalancing as Balancing, settings.maxConcurrentRequestsPerProcess, wanted);
  if ('worker' in choice) {
    const setCookie = sticky ? stickyCookieFor(wanted, choice.slot, generation.size) : undefined;
    return setCookie ? { worker: choice.worker, setCookie } : { worker: choice.worker };
  }
  if (choice.none === 'full') {
    const cap = settings.maxConcurrentRequestsPerProcess;
    return {
      unavailable: true,
      status: 503,
      retryAfter: 1,
      title: `The app ${app} is at capacity: each of its ${generation.size} worker(s) already holds ${cap} request(s).`,
      publicTitle: 'The app is at capacity. Try again in a moment.',
      advice: 'Every worker holds maxConcurrentRequestsPerProcess requests (open WebSockets count). Try again shortly, raise maxConcurrentRequestsPerProcess, or add workers with nodeProcessCountPerApplication.',
      app,
    };
  }
  return {
    unavailable: true,
    status: 503,
    title: `The app ${app} is restarting after a crash.`,
    advice: `Its workers exited unexpectedly and are being restarted. Try again in a moment${facts.crashStderr.trim() ? '; their last output is below' : ' (the last one wrote nothing to stderr or stdout)'}.`,
    app,
    stderr: facts.crashStderr,
  };
}

/** The iisnode-debug header for a response from `worker`, or undefined when debugHeaderEnabled is off. */
export function debugHeaderFor(worker: AppWorker, facts: ExchangeFacts, settings: Settings, serving: Generation | undefined): string | undefined {
  if (!settings.debugHeaderEnabled) return undefined;
  const metrics = worker.metrics;
  return debugHeaderValue({
    host: facts.host,
    nodeCommandLine: settings.nodeProcessCommandLine,
    nodePid: worker.pid ?? 0,
    nodeRssBytes: metrics?.rss,
    nodePrivateBytes: metrics ? metrics.heapTotal + metrics.external : undefined,
    appProcesses: serving?.size ?? 0,
    processActiveRequests: worker.active,
    appActiveRequests: serving?.activeRequests ?? 0,
    totalRequests: facts.totalRequests,
    connectRetries: facts.connectRetries,
    requestTimeMs: facts.requestTimeMs,
  });
}
