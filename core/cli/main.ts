#!/usr/bin/env node
/**
 * The `berth` command. `berth serve <folder...>` hosts apps in the foreground until Ctrl+C.
 */
import { parseArgs } from 'node:util';
import { Engine, EngineError } from '../engine.js';
import { BERTH_VERSION } from '../version.js';
import { EventPrinter } from './printer.js';

const USAGE = `Berth ${BERTH_VERSION}: host Node.js apps locally, the iisnode way.

Usage:
  berth serve <folder> [<folder>...] [--host <address>] [--port <port>] [--follow-logs]
  berth --version
  berth --help

serve   Hosts each folder as an app behind one front server, each at http://<folder>.localhost:<port>/
        (or at / when only one app is hosted). Ctrl+C stops gracefully: in-flight requests finish first.

Options:
  --host <address>   Address the front server listens on (default 127.0.0.1).
  --port <port>      Port the front server listens on (default 8080).
  --follow-logs      Also print the apps' output as it comes, each line prefixed with [app pid].
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${BERTH_VERSION}\n`);
    return 0;
  }
  if (command === 'serve') return serve(rest);
  process.stderr.write(`berth: unknown command "${command}".\n\n${USAGE}`);
  return 1;
}

async function serve(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'follow-logs': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`berth serve: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const folders = parsed.positionals;
  const port = Number(parsed.values.port);
  if (!/^\d+$/.test(parsed.values.port) || port > 65535) {
    process.stderr.write(`berth serve: --port must be a number from 0 to 65535, not "${parsed.values.port}".\n`);
    return 1;
  }
  if (!folders.length) {
    process.stderr.write('berth serve: name at least one app folder, for example `berth serve ./my-app`.\n');
    return 1;
  }

  const engine = new Engine({ host: parsed.values.host, port });
  const printer = new EventPrinter(process.stdout, process.stderr);
  engine.on('event', (event) => printer.print(event));
  if (parsed.values['follow-logs']) {
    engine.on('event', (event) => {
      if (event.type !== 'app-added') return;
      const app = engine.getApp(event.app);
      app?.tail.subscribe({ lines: 0 }, (batch) => {
        if (batch.dropped) process.stderr.write(`[${event.app}] (${batch.dropped} lines not shown: they came too fast)\n`);
        for (const line of batch.lines) {
          (line.stream === 'stderr' ? process.stderr : process.stdout).write(`[${event.app} ${line.pid}] ${line.text}\n`);
        }
      });
    });
  }

  try {
    await engine.start();
  } catch (error) {
    process.stderr.write(`berth: ${(error as Error).message}\n`);
    return 1;
  }

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
    await engine.stop(0);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        process.stdout.write('\nStopping: waiting for in-flight requests to finish (press Ctrl+C again to stop at once)...\n');
        void engine.stop().then(() => {
          process.stdout.write('Stopped.\n');
          resolve(0);
        });
      } else {
        process.stdout.write('Killing the workers.\n');
        engine.kill();
        resolve(130);
      }
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const) process.on(signal, onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Workers are detached into their own process groups; nothing else should keep us alive once stopped.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`berth: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
