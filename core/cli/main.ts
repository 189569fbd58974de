#!/usr/bin/env node
/**
 * The `berth` command. `berth serve` runs the engine in the foreground; the other commands talk to it through its
 * control API (see serve.ts and remote.ts).
 */
import { BERTH_VERSION } from '../version.js';
import { EXIT } from './command.js';
import { REMOTE_COMMANDS, runRemote } from './remote.js';
import { SERVE_USAGE } from './serve-usage.js';

const USAGE = `Berth ${BERTH_VERSION}: host Node.js apps locally, the iisnode way.

Usage:
${SERVE_USAGE}
  berth ls [--json]
  berth status [<app>] [--json]
  berth add <folder> [--name <name>] [--stopped]
  berth remove <app>
  berth start|stop|restart|recycle <app>
  berth enable|disable <app>
  berth logs <app> [-f] [--stderr | --stdout] [-n <lines>]
  berth events <app> [-f] [--json] [-n <count>]
  berth config <app> [<setting>=<value>...] [--unset <setting>] [--all] [--json]
  berth debug <app> on|off|info [--break] [--cookie] [--json]
  berth snapshot <app> [--pid <pid>]
  berth profile <app> [--seconds <n>] [--pid <pid>]
  berth dashboard
  berth doctor [--json] [--port <port>]
  berth trust|untrust [--print]
  berth --version
  berth --help

serve    Runs the engine until Ctrl+C (in-flight requests finish first). Without folders it hosts the apps Berth
         remembers; with folders it hosts those for this run only. Each app answers at
         http://<name>.localhost:<port>/ (and at / when only one app is hosted), and over HTTPS at
         https://<name>.localhost:<https-port>/ with certificates from Berth's local CA (see trust).
ls       The apps, their state and URL.                status   Apps, workers, figures, lane (and why).
add      Hosts a folder (and remembers it).            remove   Stops an app and forgets it (its folder is untouched).
start    Starts an app now.                            stop     Stops an app gracefully.
restart  Stops, then starts with fresh files.          recycle  Graceful upgrade: new workers first, old ones drain.
enable   Starts the app with the engine, and now.      disable  Keeps the app stopped, also after a restart.
logs     The app's recent output; -f follows it.       config   Shows settings and their source, or writes them to
                                                                the app's berth.yml (comments kept); it recycles.
                                                                env.<NAME>=<value> sets an environment variable
                                                                of the app (shown masked; --unset env.<NAME>).
debug    on: one debug worker with node's inspector (--break: paused on the first line; --cookie: only requests
         carrying the debug cookie); prints how to attach from Chrome/Edge DevTools or VS Code. off: back to normal.
snapshot Writes a heap snapshot of a worker (open it in DevTools' Memory panel) into <Berth home>/snapshots.
profile  Records a CPU profile of a worker for --seconds (default 10) into <Berth home>/snapshots.
events   What happened to an app (starts, crashes with their output, upgrades, settings), remembered across engine
         restarts; -f follows new events.
dashboard  The address of the web dashboard (the desktop app's UI in a browser), with the engine's token in it.
doctor   Checks this machine for Berth: Node.js, the Berth home, the engine, the front port, *.localhost names, the
         inspector ports, the log folders, Electron and Chromium; each ok or the problem and its fix.
trust    Trusts Berth's local CA (made at first use) for https://<app>.localhost: on Windows it adds it to your user's
         Root store (Windows asks you to confirm; no admin rights); on macOS and Linux it prints the commands to run.
         untrust removes it. --print only prints the commands.

serve options:
  --host <address>        Address of the front server (default 127.0.0.1).
  --port <port>           Port of the front server (default 8080).
  --https-port <port>|off Port of the HTTPS front (HTTP/2 and HTTP/1.1; default 8443, 443 where you may bind it).
  --control-port <port>   Port of the control API (default: any free port; the commands find it).
  --follow-logs           Also print the apps' output, each line prefixed with [app pid].
  --headers-timeout <ms>  A request head must arrive within this time of its first byte, else 408 (default 30000).
  --body-idle-timeout <ms>  A request body that stops arriving this long is ended with a 408 (default 60000).
  --max-connections <n>   Client connections open at once; the next ones get a 503 page (default 10000).

The commands find the engine through the Berth home folder (BERTH_HOME, default: the per-user settings folder).
Exit codes: 0 done, 1 failed (the message says why), 2 wrong usage, 3 no engine running.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${BERTH_VERSION}\n`);
    return EXIT.ok;
  }
  // The engine (serve), the checks (doctor) and the CA (trust) load only for their own command: a command such as
  // `berth ls` then starts in a fraction of the time (2-3 s less under Wine, where each module file costs a round trip).
  if (command === 'serve') return (await import('./serve.js')).serve(rest, USAGE);
  if (command === 'doctor') return (await import('./doctor.js')).doctor(rest, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (command === 'trust' || command === 'untrust') return (await import('./trust.js')).trust(command, rest, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (command === 'dashboard') return (await import('./dashboard.js')).dashboard(rest, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (Object.prototype.hasOwnProperty.call(REMOTE_COMMANDS, command)) return runRemote(command, rest);
  process.stderr.write(`berth: unknown command "${command}".\n\n${USAGE}`);
  return EXIT.usage;
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
