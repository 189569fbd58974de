/**
 * `berth serve [<folder>...]`: runs the engine in the foreground until Ctrl+C. Without folders it hosts the apps Berth
 * remembers (the registry); with folders it hosts those for this run only. Either way the control API is up, so
 * `berth ls`, `berth logs` and the other commands work against it from another terminal.
 */
import { parseArgs } from 'node:util';
import { EngineError } from '../engine.js';
import { defaultBerthHome, homeFile } from '../home.js';
import { RegistryError } from '../registry/registry.js';
import { ServiceError, startService, type Service } from '../control/service.js';
import { onInterrupt } from './interrupt.js';
import { EventPrinter } from './printer.js';
import { Dashboard } from '../ui/dashboard.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../proxy/client-limits.js';
import { DEFAULT_HTTPS_PORT } from '../engine/https.js';
import { endStartUpWhenAppsSettle } from '../engine/start-up.js';


export async function serve(args: string[], usage: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'https-port': { type: 'string' },
        'control-port': { type: 'string', default: '0' },
        'follow-logs': { type: 'boolean', default: false },
        'headers-timeout': { type: 'string' },
        'body-idle-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
      },
    });
  } catch (error) {
    process.stderr.write(`berth serve: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const folders = parsed.positionals;
  const ports: Record<string, number> = {};
  for (const option of ['port', 'control-port'] as const) {
    const text = parsed.values[option];
    if (!/^\d+$/.test(text) || Number(text) > 65535) {
      process.stderr.write(`berth serve: --${option} must be a number from 0 to 65535, not "${text}".\n`);
      return 2;
    }
    ports[option] = Number(text);
  }
  // The front server's limits on clients (engine-wide; see core/proxy/client-limits.ts).
  const clientLimits: Partial<ClientLimits> = {};
  const limitFlags = { 'headers-timeout': 'headersTimeoutMs', 'body-idle-timeout': 'bodyIdleTimeoutMs', 'max-connections': 'maxConnections' } as const;
  for (const [flag, key] of Object.entries(limitFlags) as [keyof typeof limitFlags, keyof ClientLimits][]) {
    const text = parsed.values[flag];
    if (text === undefined) continue;
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
      process.stderr.write(`berth serve: --${flag} must be a whole number above 0, not "${text}" (default ${DEFAULT_CLIENT_LIMITS[key]}).\n`);
      return 2;
    }
    clientLimits[key] = Number(text);
  }

  const home = defaultBerthHome();
  // HTTPS on 8443 unless told otherwise; when that default port is taken, Berth serves plain HTTP and says so.
  const httpsText = parsed.values['https-port'] ?? String(DEFAULT_HTTPS_PORT);
  if (httpsText !== 'off' && (!/^\d+$/.test(httpsText) || Number(httpsText) > 65535)) {
    process.stderr.write(`berth serve: --https-port must be a number from 0 to 65535, or off, not "${httpsText}".\n`);
    return 2;
  }
  const https = httpsText === 'off' ? undefined : { port: Number(httpsText), home, optional: parsed.values['https-port'] === undefined };
  const printer = new EventPrinter(process.stdout, process.stderr);
  const follow = parsed.values['follow-logs'];
  // The web dashboard (the desktop app's UI) on the control API's port, when the renderer was built.
  const ui = await Dashboard.load();
  let service: Service;
  try {
    service = await startService({
      ...(ui ? { serveHttp: (req: IncomingMessage, res: ServerResponse) => ui.handle(req, res) } : {}),
      home,
      mode: folders.length ? 'folders' : 'registry',
      host: parsed.values.host,
      port: ports.port!,
      ...(https ? { https } : {}),
      controlPort: ports['control-port']!,
      clientLimits,
      attach: (engine) => {
        engine.on('event', (event) => printer.print(event));
        if (!follow) return;
        engine.on('event', (event) => {
          if (event.type !== 'app-added') return;
          engine.getApp(event.app)?.tail.subscribe({ lines: 0 }, (batch) => {
            if (batch.dropped) process.stderr.write(`[${event.app}] (${batch.dropped} lines not shown: they came too fast)\n`);
            for (const line of batch.lines) {
              (line.stream === 'stderr' ? process.stderr : process.stdout).write(`[${event.app} ${line.pid}] ${line.text}\n`);
            }
          });
        });
      },
      onInternalError: (error) => process.stderr.write(`berth: control API: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
    });
  } catch (error) {
    if (error instanceof EngineError || error instanceof ServiceError || error instanceof RegistryError) {
      process.stderr.write(`berth: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const { engine } = service;
  if (service.notice) process.stderr.write(`berth: warning: ${service.notice}\n`);
  if (engine.https?.problem) process.stderr.write(`berth: warning: ${engine.https?.problem}\n`);
  const secure = engine.https?.info;
  if (secure) {
    const port = secure.port === 443 ? '' : `:${secure.port}`;
    process.stdout.write(`HTTPS (HTTP/2) on https://<app>.localhost${port}/ with certificates from the local CA ${secure.caPath}; \`npx berth trust\` makes this user's browsers trust it.\n`);
  }
  if (service.control) {
    process.stdout.write(`Control API on ${service.control.url} (token in ${homeFile(home, 'token')}); try \`npx berth ls\` in another terminal.\n`);
    if (ui) process.stdout.write('The web dashboard is on the same port: `npx berth dashboard` prints its address (with the token).\n');
  }

  if (folders.length) {
    let failures = 0;
    for (const folder of folders) {
      try {
        await engine.addApp(folder);
      } catch (error) {
        failures++;
        process.stderr.write(`berth: ${error instanceof EngineError ? error.message : String(error)}\n`);
      }
    }
    if (failures === folders.length) {
      await service.stop(0);
      return 1;
    }
  } else if (!engine.appRecords().length) {
    process.stdout.write(`No apps yet. Add one with \`npx berth add <folder>\` from another terminal; Berth remembers it (in ${homeFile(home, 'registry')}).\n`);
  }
  endStartUpWhenAppsSettle(engine); // V8 optimizes what is hot once the apps have started (core/engine/v8-flags.ts)

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        process.stdout.write('\nStopping: waiting for in-flight requests to finish (press Ctrl+C again to stop at once)...\n');
        void service.stop().then(() => {
          process.stdout.write('Stopped.\n');
          resolve(0);
        });
      } else {
        process.stdout.write('Killing the workers.\n');
        engine.kill();
        resolve(130);
      }
    };
    onInterrupt(onSignal, ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']);
  });
}
