/**
 * `berth events <app> [--json] [-f] [-n <count>]`: what happened to an app, from the engine's history (core/history:
 * kept across engine restarts), then, with -f, what happens next. The last crash is printed with its output even when
 * it is older than the events shown.
 */
import type { EngineEvent } from '../events.js';
import type { HistoryEntry } from '../control/protocol.js';
import { onInterrupt } from './interrupt.js';
import { EventPrinter } from './printer.js';
import { CliError, EXIT, parse, type Command, type Output } from './command.js';

function clock(time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One event as lines for a person: the serve printer's wording, or its type and state for the quiet ones. */
function describe(printer: EventPrinter, event: EngineEvent): { text: string; error?: boolean } {
  const printed = printer.format(event);
  if (printed) return printed;
  const app = 'app' in event ? `[${event.app}] ` : '';
  if (event.type === 'app-state') return { text: `${app}${event.state}${event.problem ? `: ${event.problem}` : ''}\n` };
  if (event.type === 'worker-started') return { text: `${app}worker ${event.slot + 1} started (pid ${event.pid}, generation ${event.generation})\n` };
  if (event.type === 'worker-exit') return { text: `${app}worker pid ${event.pid} stopped (code ${event.code})\n` };
  return { text: `${app}${event.type}\n` };
}

function printEntry(printer: EventPrinter, entry: { time: number; event: EngineEvent }, output: Output): void {
  const { text, error } = describe(printer, entry.event);
  (error ? output.err : output.out)(`${clock(entry.time)} ${text}`);
}

function printCrash(crash: HistoryEntry, output: Output): void {
  if (!crash.output?.length) return;
  output.err(`  output before the crash:\n${crash.output.map((l) => `    ${l.stream === 'stderr' ? '!' : '|'} ${l.text}\n`).join('')}`);
}

export const events: Command = async (connect, args, output) => {
  const { values, positionals } = parse(
    'events',
    args,
    { json: { type: 'boolean' }, follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } },
    [1, 1, 'one app name: berth events <app> [--json] [-f] [-n <count>]'],
  );
  const app = positionals[0]!;
  const limit = values.lines === undefined ? 50 : Number(values.lines);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(EXIT.usage, `berth events: -n must be a number of events from 1 to 1000, not "${String(values.lines)}".`);
  const client = await connect();
  const printer = new EventPrinter({ write: output.out }, { write: output.err });
  const show = (entry: { time: number; event: EngineEvent }) =>
    values.json ? output.out(`${JSON.stringify(entry)}\n`) : printEntry(printer, entry, output);

  // Subscribing first and reading the history second could print an event twice; the other order could miss one.
  // Events pushed before the history arrived are held, and only those newer than its last one are printed.
  const held: EngineEvent[] = [];
  let historyRead = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  if (values.follow) {
    client.onClose(() => {
      output.err('The engine stopped.\n');
      finish(EXIT.failed);
    });
    await client.subscribe(
      'events.subscribe',
      { app },
      (event) => (historyRead ? show({ time: Date.now(), event }) : held.push(event)),
      (reason) => {
        output.err(`${reason}\n`);
        finish(EXIT.ok);
      },
    );
  }
  const history = await client.call('events.history', { app, limit });
  historyRead = true;
  if (values.json && !values.follow) {
    output.out(`${JSON.stringify(history, null, 2)}\n`);
    return EXIT.ok;
  }
  const crash = history.lastCrash;
  if (crash && !history.events.some((e) => e.seq === crash.seq)) {
    if (!values.json) output.err('Last crash (older than the events below):\n');
    show(crash);
  }
  for (const entry of history.events) {
    show(entry);
    if (!values.json && entry.seq === crash?.seq) printCrash(crash, output);
  }
  if (!values.json && crash && !history.events.some((e) => e.seq === crash.seq)) printCrash(crash, output);
  if (!history.events.length && !crash && !values.json) output.out(`No events remembered for ${app} yet.\n`);
  if (!values.follow) return EXIT.ok;
  // Held events that the history already holds are the last ones of it (same order): skip as many as overlap.
  const tail = history.events.slice(-held.length).map((e) => JSON.stringify(e.event));
  let skip = 0;
  while (skip < held.length && tail.includes(JSON.stringify(held[skip]))) skip++;
  for (const event of held.slice(skip)) show({ time: Date.now(), event });
  const stopListening = onInterrupt(() => finish(EXIT.ok));
  const code = await done;
  stopListening();
  return code;
};
