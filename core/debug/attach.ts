/** What a developer needs to attach a debugger to a worker started with --inspect. */
import { http } from '../util/node-http.js';

export interface AttachInfo {
  host: string;
  port: number;
  /** The inspector's WebSocket URL (ws://127.0.0.1:<port>/<uuid>). */
  webSocketUrl: string;
  /** Opens Chrome's (or Edge's) DevTools on this worker: paste it into the address bar. */
  devtoolsUrl: string;
  /** Where Chrome lists debug targets (add host:port under "Configure"). */
  inspectPage: string;
  /** A ready-to-paste VS Code launch.json configuration. */
  vscode: Record<string, unknown>;
}

interface InspectorTarget {
  id: string;
  webSocketDebuggerUrl?: string;
  devtoolsFrontendUrl?: string;
}

function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/**
 * Asks the inspector for its target (`/json/list`), retrying while it starts, and builds the attach information.
 */
export async function fetchAttachInfo(port: number, options: { app: string; folder: string; timeoutMs?: number }): Promise<AttachInfo> {
  const host = '127.0.0.1';
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const targets = (await getJson(`http://${host}:${port}/json/list`, 2000)) as InspectorTarget[];
      const target = targets.find((t) => t.webSocketDebuggerUrl);
      if (target?.webSocketDebuggerUrl) return attachInfo(host, port, target.webSocketDebuggerUrl, options.app, options.folder);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The inspector on ${host}:${port} did not answer (${lastError instanceof Error ? lastError.message : 'no target'}).`);
}

export function attachInfo(host: string, port: number, webSocketUrl: string, app: string, folder: string): AttachInfo {
  const wsTarget = webSocketUrl.replace(/^ws:\/\//, '');
  return {
    host,
    port,
    webSocketUrl,
    devtoolsUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${wsTarget}`,
    inspectPage: 'chrome://inspect',
    vscode: {
      type: 'node',
      request: 'attach',
      name: `Berth: ${app}`,
      address: host,
      port,
      localRoot: folder,
      remoteRoot: folder,
      skipFiles: ['<node_internals>/**'],
    },
  };
}
