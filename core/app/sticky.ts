/**
 * Cookies that steer a request to one worker: iisnode's sticky-session cookie (Azure iisnode,
 * nodeProcessStickySessions) and the check for Berth's debug cookie.
 */

/** iisnode's sticky-session cookie. */
export const STICKY_COOKIE = 'iisnode.session.cookie';

/** The worker ordinal in a sticky-session cookie, parsed like iisnode's atoi (at most 9 digits). */
export function stickySlot(cookieHeader: string | undefined): number | undefined {
  if (!cookieHeader) return undefined;
  const match = /(?:^|;)\s*iisnode\.session\.cookie=(\d{1,9})/.exec(cookieHeader);
  return match ? Number(match[1]) : undefined;
}

/**
 * The Set-Cookie value for a request that was served by `slot`, or undefined when the request's own cookie already
 * named that worker. iisnode set the cookie when the request did not carry it, and when it named a worker that
 * could not serve.
 */
export function stickyCookieFor(wanted: number | undefined, slot: number, size: number): string | undefined {
  const honoured = wanted !== undefined && wanted % size === slot;
  return honoured ? undefined : `${STICKY_COOKIE}=${slot}`;
}

/** Whether a Cookie header carries exactly `name=value`. */
export function hasCookie(header: string, name: string, value: string): boolean {
  return header.split(';').some((part) => part.trim() === `${name}=${value}`);
}

/**
 * Whether a request target is engine.io traffic (socket.io's transport): its query has `EIO=<version>` and
 * `transport=`, whatever the path (`/socket.io/`, `/engine.io/` or a custom `path` option). `handshake` is the
 * request that opens a session (no `sid=`); `session` the ones that carry its id. Undefined for anything else.
 */
export function engineIoRequest(target: string): 'handshake' | 'session' | undefined {
  const q = target.indexOf('?');
  if (q === -1 || target.indexOf('EIO=', q) === -1) return undefined;
  const query = target.slice(q + 1);
  if (!/(?:^|&)EIO=\d/.test(query) || !/(?:^|&)transport=/.test(query)) return undefined;
  return /(?:^|&)sid=/.test(query) ? 'session' : 'handshake';
}
