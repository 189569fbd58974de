/**
 * Answers for the non-app outcomes of resolveSiteRequest: the configuration error page (iisnode test 116), URL
 * Rewrite's CustomResponse, and the plain 400/404/405 pages.
 *
 * iisnode answered a configuration error with HTTP 200 and a friendly page to local callers ("iisnode was unable to
 * read the configuration file. Make sure the web.config file syntax is correct") and a bare 500 to others. Berth
 * keeps the page and the local-only rule, and, as with its other error pages, uses the real status code (500).
 */
import { formatIssue, type ConfigIssue } from '../config/load.js';
import { escapeHtml, renderPage } from '../shared/page.js';

export interface PageResponse {
  status: number;
  /** A reason phrase for the status line, when it is not the standard one. */
  reason?: string;
  headers: Record<string, string>;
  body: string;
}

function html(status: number, body: string, reason?: string): PageResponse {
  return {
    status,
    ...(reason ? { reason } : {}),
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body,
  };
}

function page(title: string, body: string): string {
  return renderPage({ title, body });
}

/**
 * The configuration error page. `details`: the caller is on this computer (loopback), so it may see the file, line,
 * column and message of each problem; other callers get a plain 500 that names nothing. As in iisnode, this does not
 * depend on devErrorsEnabled.
 */
export function configErrorPage(issues: readonly ConfigIssue[], details: boolean): PageResponse {
  if (!details) {
    return html(500, page('500 Internal Server Error', '<h1>500 Internal Server Error</h1>\n<p><strong>The app is not available right now.</strong></p>'));
  }
  const files = [...new Set(issues.map((i) => i.file).filter((f): f is string => !!f))];
  const names = files.map((f) => f.split(/[\\/]/).pop() ?? f);
  const isYaml = names.length > 0 && names.every((n) => /\.ya?ml$/i.test(n));
  const which = names.length === 1 ? `the configuration file ${names[0]}` : 'the configuration files';
  const title = `Berth was unable to read ${which}. Make sure the ${isYaml ? names[0] : 'web.config'} file syntax is correct.`;
  const list = issues.map((issue) => escapeHtml(formatIssue(issue))).join('\n');
  const body =
    `<h1>500 Internal Server Error</h1>\n<p><strong>${escapeHtml(title)}</strong></p>\n` +
    `<p>Nothing was started for this URL. Fix ${issues.length === 1 ? 'this problem' : `these ${issues.length} problems`}, then reload the page:</p>\n<pre>${list}</pre>\n` +
    '<p class="muted">Shown because this request comes from this computer; callers on other computers only learn that the app is not available. ' +
    '(iisnode said "iisnode was unable to read the configuration file".)</p>';
  return html(500, page('500 Internal Server Error', body));
}

/** URL Rewrite's CustomResponse: the status, sub-status and reason the rule gave, and its description. */
export function customResponsePage(outcome: { status: number; subStatus: number; reason: string; description: string }): PageResponse {
  const code = outcome.subStatus ? `${outcome.status}.${outcome.subStatus}` : String(outcome.status);
  const body = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`${code} ${outcome.reason}`)}</title></head><body>\n<h1>${escapeHtml(`${code} ${outcome.reason}`)}</h1>\n${outcome.description ? `<p>${escapeHtml(outcome.description)}</p>\n` : ''}</body></html>\n`;
  return html(outcome.status, body, outcome.reason);
}
