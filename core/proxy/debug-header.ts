/**
 * The `iisnode-debug` response header (debugHeaderEnabled, iisnode §5.1): a URL whose fragment carries iisnode's
 * fields with Berth's values. iisnode pointed at a bit.ly page; Berth serves the page itself on the app's host.
 */
import os from 'node:os';
import { IISNODE_COMPAT_VERSION } from '../version.js';
import { renderPage } from '../shared/page.js';

/** Berth's own pages live under this path on every app's host. */
export const BERTH_PATH_PREFIX = '/__berth/';
export const DEBUG_PAGE_PATH = `${BERTH_PATH_PREFIX}iisnode-debug`;

export interface DebugFacts {
  /** The app's host as the client named it (with port), for the page URL. */
  host: string;
  nodeCommandLine: string;
  /** The worker that served the request. */
  nodePid: number;
  nodeRssBytes: number | undefined;
  nodePrivateBytes: number | undefined;
  /** Configured number of workers (iisnode: app_processes). */
  appProcesses: number;
  processActiveRequests: number;
  appActiveRequests: number;
  totalRequests: number;
  connectRetries: number;
  requestTimeMs: number;
}

let engineMemory = { rss: 0, private: 0, at: 0 };

/** The engine's memory, measured at most once a second (reading it per request would cost more than it tells). */
function engineMemoryNow(now = Date.now()): { rss: number; private: number } {
  if (now - engineMemory.at > 1000) {
    const usage = process.memoryUsage();
    engineMemory = { rss: usage.rss, private: usage.heapTotal + usage.external, at: now };
  }
  return engineMemory;
}

const kb = (bytes: number | undefined) => (bytes === undefined ? '' : String(Math.round(bytes / 1024)));

/** The header value: `http://<host>/__berth/iisnode-debug#iisnode_ver=...&...`, values percent-encoded. */
export function debugHeaderValue(facts: DebugFacts): string {
  const engine = engineMemoryNow();
  const fields: [string, string | number][] = [
    ['iisnode_ver', IISNODE_COMPAT_VERSION],
    ['node', facts.nodeCommandLine],
    ['dns', os.hostname()],
    ['worker_pid', process.pid],
    ['node_pid', facts.nodePid],
    ['worker_mem_ws', kb(engine.rss)],
    ['worker_mem_pagefile', kb(engine.private)],
    ['node_mem_ws', kb(facts.nodeRssBytes)],
    ['node_mem_pagefile', kb(facts.nodePrivateBytes)],
    ['app_processes', facts.appProcesses],
    ['process_active_req', facts.processActiveRequests],
    ['app_active_req', facts.appActiveRequests],
    ['worker_total_req', facts.totalRequests],
    ['np_retry', facts.connectRetries],
    ['req_time', facts.requestTimeMs],
    ['hresult', 0],
  ];
  return `http://${facts.host}${DEBUG_PAGE_PATH}#${fields.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')}`;
}

/** The page the header points to. Static: the facts travel in the URL fragment, which never reaches a server. */
export function renderDebugPage(): string {
  return renderPage({
    title: 'iisnode-debug',
    widthRem: 50,
    css: 'table{margin-bottom:1.5rem}th{width:45%;font-weight:600}',
    body: `<h1>HTTP response diagnostics</h1>
<p>Berth added an <code>iisnode-debug</code> header to a response because <code>debugHeaderEnabled</code> is true.
This page reads the facts from the address's fragment (after <code>#</code>).</p>
<div id="facts"><noscript><p>Turn on JavaScript to see the facts as a table; they are also readable in the
address bar after the <code>#</code>.</p></noscript></div>
<script>
const labels = {
  'This request': [['req_time', 'Time from sending the request to the worker to its response headers (ms)'], ['np_retry', 'Connection attempts needed to reach the worker'], ['hresult', 'HRESULT']],
  'Processes': [['worker_pid', 'Berth engine process id (iisnode: w3wp.exe)'], ['node_pid', 'Worker process id (node)'], ['app_processes', 'Worker processes configured for the app']],
  'Memory (KB)': [['worker_mem_ws', 'Engine resident memory'], ['worker_mem_pagefile', 'Engine heap and external memory'], ['node_mem_ws', 'Worker resident memory'], ['node_mem_pagefile', 'Worker heap and external memory']],
  'Counters': [['process_active_req', 'Active requests in this worker'], ['app_active_req', 'Active requests in the app'], ['worker_total_req', 'Requests served by this engine']],
  'Environment': [['iisnode_ver', 'iisnode compatibility version'], ['dns', 'Computer name'], ['node', 'nodeProcessCommandLine']],
};
const values = Object.fromEntries(location.hash.slice(1).split('&').filter(Boolean).map((pair) => {
  const i = pair.indexOf('=');
  const decode = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
  return [decode(pair.slice(0, i)), decode(pair.slice(i + 1))];
}));
const root = document.getElementById('facts');
for (const [section, rows] of Object.entries(labels)) {
  const h = document.createElement('h2'); h.textContent = section; root.append(h);
  const table = document.createElement('table');
  for (const [key, label] of rows) {
    const tr = table.insertRow(); const th = document.createElement('th'); th.textContent = label; tr.append(th);
    tr.insertCell().textContent = values[key] ?? '(not reported)';
  }
  root.append(table);
}
</script>`,
  });
}
