/** The page at `/<entry>/<debuggerPathSegment>/`: how to attach, and the commands. Links only, no bundled debugger. */
import { escapeHtml, renderPage } from '../shared/page.js';
import type { AttachInfo } from './attach.js';
import type { DebugMode } from '../shared/types.js';

export interface DebugPageFacts {
  app: string;
  mode: DebugMode;
  brk: boolean;
  pid: number | undefined;
  info: AttachInfo;
  /** The page's own path, for the command links. */
  path: string;
}

export function renderDebugSessionPage(f: DebugPageFacts): string {
  const vscode = JSON.stringify(f.info.vscode, null, 2);
  const modeText =
    f.mode === 'cookie'
      ? 'Only requests from this browser (they carry the Berth debug cookie) go to the debug worker; everybody else keeps using the normal workers.'
      : 'The app runs as one debug worker, which serves all of its requests until debugging stops.';
  const body = `<h1>Debugging ${escapeHtml(f.app)}</h1>
<p>The debug worker${f.pid ? ` (pid ${f.pid})` : ''} listens for a debugger on <code>${escapeHtml(f.info.host)}:${f.info.port}</code>${
    f.brk ? ', paused before the first line of the app: it serves requests once you continue in the debugger' : ''
  }. ${escapeHtml(modeText)}</p>
<h2>Attach</h2>
<ul>
<li><strong>Chrome or Edge</strong>: paste this address into the address bar (browsers do not open it from a link):<br><code id="devtools">${escapeHtml(f.info.devtoolsUrl)}</code></li>
<li>Or open <code>${escapeHtml(f.info.inspectPage)}</code> (in Edge: <code>edge://inspect</code>), add <code>${escapeHtml(f.info.host)}:${f.info.port}</code> under “Configure”, and click “inspect”.</li>
<li><strong>Any inspector client</strong>: <code>${escapeHtml(f.info.webSocketUrl)}</code></li>
<li><strong>VS Code</strong>: add this to <code>.vscode/launch.json</code>, then run it:
<pre>${escapeHtml(vscode)}</pre></li>
</ul>
<h2>Commands</h2>
<ul>
<li><a href="${escapeHtml(f.path)}?brk">Restart with a break on the first line</a></li>
<li><a href="${escapeHtml(f.path)}?cookie">Debug only my requests</a> (the other workers keep serving everyone else)</li>
<li><a href="${escapeHtml(f.path)}?kill">Stop debugging</a></li>
</ul>
`;
  return renderPage({ title: `Debugging ${f.app}`, body, footer: 'Berth · this page is shown to callers on this computer only.', widthRem: 52, css: 'li{margin:.3rem 0}' });
}
