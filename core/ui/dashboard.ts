/**
 * The web dashboard: the desktop app's renderer build (dist/renderer), served over HTTP by an engine so that a
 * headless engine (`berth serve` on a server, CI, the end-to-end tests) is managed from a browser with the same UI.
 *
 * The files are the public build output and carry no secret; what they do needs the control API's token, which the
 * dashboard's address carries in its fragment (`#token=…`: browsers never send the fragment to a server, so it stays
 * out of logs and Referer headers). Files are served from an in-memory table read once from the build folder, so a
 * request path is only ever a key, never a file system path. Only loopback Host names are answered (a DNS-rebinding
 * page cannot load the dashboard under its own name).
 */
import { readdir, readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionOf, ownFileType } from '../shared/mime.js';

/** dist/renderer, next to this module's dist/core/ui. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../renderer/', import.meta.url));


/** What a renderer build is made of: other files in the build folder (notes, source maps) are not served. Types: the one table. */
const SERVED = new Set(['.html', '.js', '.css', '.svg', '.png', '.ico', '.woff2']);

/** The dashboard's policy: this origin's files, and the control API's WebSocket on loopback. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  type: string;
  body: Buffer;
  /** Vite names built assets by content hash: they never change under the same name. */
  immutable: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;

export class Dashboard {
  private constructor(private readonly assets: Map<string, Asset>) {}

  /** Reads the build (undefined when the renderer was not built: the engine then serves no dashboard). */
  static async load(dir = DASHBOARD_DIR): Promise<Dashboard | undefined> {
    const assets = new Map<string, Asset>();
    async function walk(folder: string, prefix: string): Promise<void> {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) await walk(full, `${prefix}${entry.name}/`);
        else {
          const type = SERVED.has(extensionOf(entry.name)) ? ownFileType(entry.name) : undefined;
          if (type) assets.set(`${prefix}${entry.name}`, { type, body: await readFile(full), immutable: prefix.startsWith('/assets/') });
        }
      }
    }
    try {
      await walk(dir, '/');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return assets.has('/index.html') ? new Dashboard(assets) : undefined;
  }

  /** Answers a request for a dashboard file; false when it is not one (the caller answers it). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = (req.url ?? '/').split(/[?#]/)[0]!;
    const key = pathname === '/' ? '/index.html' : pathname;
    const asset = this.assets.get(key);
    if (!asset) return false;
    if (!LOOPBACK.test(req.headers.host ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Berth\'s dashboard answers on 127.0.0.1 or localhost only.\n');
      return true;
    }
    res.writeHead(200, {
      'Content-Type': asset.type,
      'Content-Length': asset.body.length,
      'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  get files(): string[] {
    return [...this.assets.keys()].sort();
  }
}

/** The dashboard's address for an engine whose control API listens at `controlUrl` (ws://host:port/control). */
export function dashboardUrl(controlUrl: string, token: string): string {
  const u = new URL(controlUrl);
  return `http://${u.host}/#token=${encodeURIComponent(token)}`;
}
