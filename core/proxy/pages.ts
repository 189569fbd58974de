/** The HTML pages Berth itself answers with. Everything from outside is escaped. */

import { escapeHtml, renderPage } from '../shared/page.js';

export const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface ErrorPage {
  status: number;
  /** One line: what happened (shown with details). */
  title: string;
  /** What a caller without details sees instead of `title` (default: `title`). */
  publicTitle?: string;
  /** What it means and what to do. */
  advice: string;
  /** The app it concerns. */
  app?: string;
  /** The worker's last stderr output, shown only with details. */
  stderr?: string;
  /** Worker exit details, shown only with details. */
  facts?: Record<string, string | number | undefined>;
}

/** An error page. `details` adds the facts and stderr tail (devErrorsEnabled, loopback callers). */
export function renderErrorPage(page: ErrorPage, details: boolean): string {
  const reason = REASONS[page.status] ?? 'Error';
  const title = details ? page.title : (page.publicTitle ?? page.title);
  let body = `<h1>${page.status} ${escapeHtml(reason)}</h1>\n<p><strong>${escapeHtml(title)}</strong></p>\n`;
  if (details) {
    body += `<p>${escapeHtml(page.advice)}</p>\n`;
    const facts = Object.entries({ app: page.app, ...page.facts }).filter(([, v]) => v !== undefined && v !== '');
    if (facts.length) body += `<pre>${facts.map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(String(v))}`).join('\n')}</pre>\n`;
    if (page.stderr && page.stderr.trim() !== '') {
      body += `<p>The last ${Math.max(1, Math.round(Buffer.byteLength(page.stderr) / 1024))} KB of the worker's output (stderr; stdout when stderr is empty):</p>\n<pre>${escapeHtml(page.stderr)}</pre>\n`;
    } else if (page.stderr !== undefined) {
      body += '<p>The worker wrote nothing to stderr or stdout.</p>\n';
    }
    body +=
      '<p class="muted">These details are shown because devErrorsEnabled is true; callers on other computers get a plain error unless devErrorsForRemote is set. ' +
      'Set <code>devErrorsEnabled: false</code> in berth.yml to hide them.</p>\n';
  }
  return renderPage({ title: `${page.status} ${reason}`, body });
}

export interface HostedApp {
  name: string;
  url: string;
  state: string;
}

/** An app's URL as reached over the HTTPS front on `port` (443: no port in the URL). */
export function httpsUrl(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.protocol = 'https:';
  parsed.port = String(port);
  return parsed.href;
}

/**
 * The page for a host no app answers on: lists the hosted apps. Reached over HTTPS (`httpsPort`: the port the request
 * came to), it links the apps over HTTPS on that port.
 */
export function renderUnknownHostPage(host: string | undefined, hosted: readonly HostedApp[], httpsPort?: number): string {
  const apps = httpsPort === undefined ? hosted : hosted.map((a) => ({ ...a, url: httpsUrl(a.url, httpsPort) }));
  const list = apps.length
    ? `<ul>\n${apps.map((a) => `<li><a href="${escapeHtml(a.url)}">${escapeHtml(a.url)}</a> — ${escapeHtml(a.name)} (${escapeHtml(a.state)})</li>`).join('\n')}\n</ul>`
    : '<p>No apps are hosted yet. Start one with <code>berth serve &lt;folder&gt;</code> or drop a folder on Berth\'s window.</p>';
  const heading = host ? `No app answers on ${escapeHtml(host)}` : 'No app was named in this request';
  return renderPage({ title: '404 Not Found', body: `<h1>${heading}</h1>\n<p>Berth hosts these apps:</p>\n${list}\n` });
}

/** A complete HTTP/1.1 response with an HTML body, as bytes ready to write. */
export function htmlResponse(status: number, html: string, extraHeaders: Record<string, string> = {}, close = true): Buffer {
  const body = Buffer.from(html, 'utf8');
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n`;
  for (const [name, value] of Object.entries(extraHeaders)) head += `${name}: ${value}\r\n`;
  head += close ? 'Connection: close\r\n\r\n' : '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
