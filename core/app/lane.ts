/**
 * Which lane an app's connections take (`chooseLane` is pure). The proxy lane: every request goes through Berth's proxy, which can
 * add headers, cap, time out, pin and answer for the app. The fast lane: after a connection's first request head is
 * read and routed, the connection itself is handed to a worker, which serves it directly for the rest of its life
 * (no extra process hop per request; see docs/PERFORMANCE.md). An app takes the fast lane only when none of its
 * settings needs the proxy per request; `connectionHandoff: off` keeps it on the proxy lane anyway.
 *
 * socket.io / engine.io (`stickyRealtime: auto`): a session's requests come over several connections (long-polling
 * GET and POST side by side, then the WebSocket upgrade), and all must reach the worker that holds the session. A
 * handed connection would take them to whichever worker got it, so an app that uses engine.io stays on the proxy
 * lane, which pins them by cookie (dispatch.ts). The bootstrap reports engine.io as soon as the app has loaded it
 * (with `ready`, so before any connection is handed); engine.io traffic seen here marks the app too (a bundled copy).
 */
import type { Settings } from '../config/schema.js';
import type { RequestHead } from '../proxy/http-parse.js';
import type { AppWorker, Balancing, Generation } from './generation.js';
import { engineIoRequest } from './sticky.js';

/**
 * The lowest per-worker cap the fast lane accepts: iisnode's default. A handed connection counts as one request for
 * its whole life (an HTTP/1.1 connection carries one request at a time), so a cap at the default or above is still
 * honoured, counting connections; a lower cap is a deliberate per-request limit and needs the proxy.
 */
export const FAST_LANE_MIN_CAP = 1024;

export type Lane = { lane: 'fast' } | { lane: 'proxy'; reasons: string[] };

/** What besides the settings keeps an app on the proxy lane. */
export interface LaneFacts {
  /** The app is one script of a web.config site: URL Rewrite and static files are decided per request. */
  siteApp: boolean;
  /** A debug session runs (exclusive or cookie mode): requests must reach the debug worker. */
  debugging: boolean;
  /**
   * The app uses engine.io (socket.io): a worker reported it loaded, or its traffic was seen. Its sessions span
   * several connections (polling, then the upgrade), which only the proxy can pin to one worker by cookie.
   */
  realtime?: boolean;
}

/** The lane for an app's connections, with every reason it cannot take the fast lane. */
export function chooseLane(settings: Settings, facts: LaneFacts): Lane {
  const reasons: string[] = [];
  if (settings.connectionHandoff === 'off') reasons.push('connectionHandoff is off');
  if (settings.maxConcurrentRequestsPerProcess < FAST_LANE_MIN_CAP) {
    reasons.push(`maxConcurrentRequestsPerProcess is ${settings.maxConcurrentRequestsPerProcess} (below ${FAST_LANE_MIN_CAP}: a per-request cap)`);
  }
  if (settings.enableXFF) reasons.push('enableXFF adds X-Forwarded-For to every request');
  if (settings.promoteServerVars.trim() !== '') reasons.push('promoteServerVars adds headers to every request');
  if (settings.debugHeaderEnabled) reasons.push('debugHeaderEnabled adds iisnode-debug to every response');
  if (settings.nodeProcessStickySessions) reasons.push('nodeProcessStickySessions pins requests by cookie');
  if (settings.requestTimeout > 0) reasons.push('requestTimeout times every request');
  if (settings.idleTimeout > 0) reasons.push('idleTimeout needs to see every request to know when the app is idle');
  if (facts.siteApp) reasons.push('a web.config site decides URL Rewrite and static files per request');
  if (facts.debugging) reasons.push('a debug session runs');
  if (facts.realtime && settings.stickyRealtime === 'auto') reasons.push('socket.io/engine.io sessions are pinned to their worker by cookie (stickyRealtime)');
  return reasons.length ? { lane: 'proxy', reasons } : { lane: 'fast' };
}

/** What `fastLaneWorker` reads of an app (`App` has it). */
export interface FastLaneApp {
  state: string;
  /** The serving generation. */
  generation: Generation | undefined;
  /** A web.config site's script app has a `script`. */
  options: { script?: string };
  debugSession: unknown;
}

/**
 * The worker a connection goes to after its first request `head`, or undefined to keep it on the proxy lane: the
 * app is not running (starting, stopping, errored: the proxy waits or explains), its lane is the proxy's, the
 * request is not a keep-alive HTTP/1.1 one (one request gains nothing from the move), or no worker of the serving
 * generation is ready with room.
 */
export function fastLaneWorker(head: RequestHead, app: FastLaneApp): AppWorker | undefined {
  const generation = app.generation;
  if (app.state !== 'running' || !generation || head.minor !== 1 || head.close) return undefined;
  const settings = generation.version.config.settings;
  // Engine.io traffic itself never takes the fast lane, and marks the app so its other connections stay too.
  if (engineIoRequest(head.target) !== undefined) generation.realtimeSeen = true;
  if (chooseLane(settings, laneFacts(app)).lane !== 'fast') return undefined;
  return generation.chooseConnection(settings.loadBalancing as Balancing, settings.maxConcurrentRequestsPerProcess);
}

/** What keeps the app on the proxy lane besides its settings, as the serving generation has it now. */
export function laneFacts(app: FastLaneApp): LaneFacts {
  return { siteApp: app.options.script !== undefined, debugging: app.debugSession !== undefined, realtime: app.generation?.realtime ?? false };
}

/** What `appLane` reads of an app: `FastLaneApp` and the settings it would start with (`App.settings`). */
export interface LaneApp extends FastLaneApp {
  settings: Settings;
}

/**
 * The lane the app's connections take now (what the control API shows): by its serving generation's settings, or
 * when none serves (stopped, not started yet), by `settings` (default: the ones it would start with).
 */
export function appLane(app: LaneApp, settings: Settings = app.settings): Lane {
  return chooseLane(app.generation?.version.config.settings ?? settings, laneFacts(app));
}
