/**
 * The one layout of the HTML pages Berth answers with itself (error pages, the unknown-host page, the debugger and
 * iisnode-debug pages, the log folder's index, IIS-style configuration errors): the same head, type, colours (light
 * and dark) and footer everywhere; each page adds only its body and, if it needs them, a few rules of its own.
 * Pure strings, no Node modules: anything could render these. Everything from outside must go through escapeHtml.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML. Control characters other than tab, newline and carriage return are shown as `[xHH]`, as
 * iisnode's error page did, so binary garbage in stderr cannot break the page.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => ESCAPES[c] ?? `[x${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}]`);
}

export interface PageParts {
  /** Plain text: escaped here, and followed by " · Berth" in the window title. */
  title: string;
  /** The page's HTML (values from outside already escaped). */
  body: string;
  /** The muted last line's HTML (default: "Berth"). */
  footer?: string;
  /** The text column's width in rem (default 60: wide tables want more, prose less). */
  widthRem?: number;
  /** Extra CSS rules for this page only. */
  css?: string;
  /** Extra elements for the head (e.g. a robots meta tag). */
  head?: string;
}

/** Rules every page shares: system type, one readable column, code and tables, and a dark scheme. */
const BASE_CSS = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem}pre{background:#f4f5f7;padding:1rem;overflow:auto;white-space:pre-wrap;border-radius:6px}
code{background:#f4f5f7;padding:0 .25rem;border-radius:3px}.muted{color:#57606a}a{color:#0969da}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #d0d7de}
@media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}pre,code{background:#161b22}.muted{color:#8b949e}a{color:#58a6ff}th,td{border-color:#30363d}}`;

/** A complete HTML document in Berth's layout. */
export function renderPage(parts: PageParts): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${parts.head ? `${parts.head}\n` : ''}<title>${escapeHtml(parts.title)} · Berth</title>
<style>
${BASE_CSS}
body{max-width:${parts.widthRem ?? 60}rem}${parts.css ? `\n${parts.css}` : ''}
</style></head><body>
${parts.body}
<p class="muted">${parts.footer ?? 'Berth'}</p>
</body></html>
`;
}
