/**
 * The commands that talk to a running engine through its control API: ls, status, add, remove, start, stop,
 * restart, recycle, enable, disable, logs, config. The engine is found through the discovery file in the Berth home
 * folder (BERTH_HOME, or the system's per-user default).
 *
 * Exit codes (command.ts): 0 success; 1 the command failed (the message says why); 2 wrong usage; 3 no engine is running.
 */
import path from 'node:path';
import { connectControl, ControlError, type NodeControlClient as ControlClient } from '../control/client.js';
import { findEngine } from '../control/discovery.js';
import type { AppSummary, DebugInfo, LogLine, Problem, SettingValue, WorkerInfo } from '../control/protocol.js';
import { readToken } from '../control/token.js';
import { defaultBerthHome, homeFile } from '../home.js';
import { CliError, EXIT, parse, type Command, type Output } from './command.js';
import { events } from './events-command.js';
import { onInterrupt } from './interrupt.js';
import { bytes, duration, laneText, number, table } from './format.js';
import { ENV_MASK } from '../shared/env-vars.js';

const io: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Connects to the engine of this Berth home, or explains why there is none. */
export async function connect(env: NodeJS.ProcessEnv = process.env): Promise<ControlClient> {
  const home = defaultBerthHome(env);
  const start = 'Start one with `npx berth serve`.';
  const lookup = await findEngine(home);
  if (lookup.state === 'none') throw new CliError(EXIT.noEngine, `No Berth engine is running (none is registered in ${home}). ${start}`);
  if (lookup.state === 'stale') {
    throw new CliError(EXIT.noEngine, `No Berth engine is running: ${homeFile(home, 'discovery')} is left over from one that stopped (${lookup.why}). ${start}`);
  }
  const token = await readToken(home);
  if (!token) throw new CliError(EXIT.failed, `The engine's token file ${homeFile(home, 'token')} is missing. Restart the engine (it writes a new one).`);
  try {
    return await connectControl({ url: lookup.discovery.url, token });
  } catch (error) {
    if (error instanceof ControlError && error.code === 'UNAUTHORIZED') {
      throw new CliError(EXIT.failed, `The engine at ${lookup.discovery.url} refused the token in ${homeFile(home, 'token')}: ${error.message}`);
    }
    throw new CliError(EXIT.noEngine, `The engine registered in ${home} does not answer (${(error as Error).message}). ${start}`);
  }
}

function problemText(problem: Problem, indent = '  '): string {
  const lines = [`${indent}${problem.title}`, ...problem.detail.split('\n').map((l) => `${indent}  ${l}`)];
  if (problem.stderr?.trim()) lines.push(`${indent}  last stderr output:`, ...problem.stderr.trimEnd().split(/\r?\n/).slice(-15).map((l) => `${indent}    | ${l}`));
  return `${lines.join('\n')}\n`;
}

function workersText(app: AppSummary): string {
  if (app.state === 'missing') return '-';
  return `${app.readyWorkers}/${app.expectedWorkers}`;
}

function stateText(app: AppSummary): string {
  return app.enabled ? app.state : `${app.state} (disabled)`;
}

/** After start/restart/add: what the app is doing now. Exit 1 when it does not run. */
function reportRunning(app: AppSummary, verb: string, output: Output): number {
  if (app.state === 'running') {
    output.out(`${app.name} ${verb}: ${app.url} (${app.readyWorkers} worker${app.readyWorkers === 1 ? '' : 's'})\n`);
    return EXIT.ok;
  }
  if (app.state === 'sleeping') {
    output.out(`${app.name} is sleeping (startMode onDemand): its workers start at the first request to ${app.url}\n`);
    return EXIT.ok;
  }
  if (app.problem) {
    output.err(`${app.name} is ${app.state}:\n${problemText(app.problem)}`);
    return EXIT.failed;
  }
  output.err(`${app.name} is ${app.state} (${app.readyWorkers} of ${app.expectedWorkers} workers ready). Follow it with \`npx berth logs ${app.name} -f\`.\n`);
  return EXIT.failed;
}

const ls: Command = async (connect, args, output) => {
  const { values } = parse('ls', args, { json: { type: 'boolean' } }, [0, 0, 'no arguments']);
  const client = await connect();
  const apps = await client.call('apps.list');
  if (values.json) {
    output.out(`${JSON.stringify(apps, null, 2)}\n`);
    return EXIT.ok;
  }
  if (!apps.length) {
    output.out('No apps. Add one with `npx berth add <folder>`.\n');
    return EXIT.ok;
  }
  const rows = [['name', 'state', 'workers', 'url', 'folder']];
  for (const app of apps) rows.push([app.name, stateText(app), workersText(app), app.url, app.folder]);
  output.out(table(rows));
  for (const app of apps) if (app.problem) output.out(`\n${app.name}:\n${problemText(app.problem)}`);
  return EXIT.ok;
};

function workerRow(worker: WorkerInfo): string[] {
  const memory = worker.memory;
  return [
    `pid ${worker.pid ?? '-'}`,
    worker.state,
    `up ${duration(worker.uptimeMs)}`,
    memory ? bytes(memory.rss) : '-',
    memory ? `heap ${bytes(memory.heapUsed)}/${bytes(memory.heapTotal)}` : '-',
    worker.cpuPercent === null ? '-' : `cpu ${number(worker.cpuPercent)}%`,
    worker.eventLoopDelayMs ? `loop p99 ${number(worker.eventLoopDelayMs.p99)} ms` : '-',
    `${worker.activeRequests} active`,
    `${worker.totalRequests} req`,
    `restarts ${worker.restarts}`,
  ];
}

const status: Command = async (connect, args, output) => {
  const { values, positionals } = parse('status', args, { json: { type: 'boolean' } }, [0, 1, 'at most one app: berth status [app]']);
  const client = await connect();
  const [info, apps] = await Promise.all([client.call('engine.info'), positionals.length ? [] : client.call('apps.list')]);
  const names = positionals.length ? positionals : apps.map((a) => a.name);
  const details = await Promise.all(names.map((app) => client.call('apps.get', { app })));
  if (values.json) {
    const report = { engine: info, apps: details.map(({ config: _config, ...rest }) => rest) };
    output.out(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  output.out(
    `Berth ${info.version}, pid ${info.pid}, up ${duration(Date.now() - info.startedAt)}\n` +
      `  front server  ${info.frontUrl}\n  control API   ${info.controlUrl}\n` +
      `  apps          ${info.mode === 'registry' ? `remembered in ${info.registryFile}` : 'the folders it was started with (not remembered)'}\n\n`,
  );
  if (!details.length) {
    output.out('No apps. Add one with `npx berth add <folder>`.\n');
    return EXIT.ok;
  }
  const rows = [['app', 'state', 'workers', 'memory', 'cpu', 'req/s', 'active', 'restarts']];
  for (const app of details) {
    // Until the workers' first report (a second after they start) there are no figures yet.
    const reported = app.workerList.some((w) => w.memory !== null);
    rows.push([
      app.name,
      stateText(app),
      workersText(app),
      reported ? bytes(app.rss) : '-',
      reported ? `${number(app.cpuPercent)}%` : '-',
      number(app.requestsPerSecond),
      String(app.activeRequests),
      String(app.restarts),
    ]);
  }
  output.out(table(rows));
  for (const app of details) {
    if (app.state !== 'missing') output.out(`\n${app.name}  Lane: ${laneText(app.lane, app.laneReasons)}\n`);
    if (app.workerList.length) output.out(`\n${app.name} workers:\n${table(app.workerList.map(workerRow), '  ')}`);
    if (app.problem) output.out(`\n${app.name}:\n${problemText(app.problem)}`);
    if (app.lastUpgradeProblem) output.out(`\n${app.name}: the last upgrade failed (the previous version keeps serving):\n${problemText(app.lastUpgradeProblem)}`);
  }
  return EXIT.ok;
};

const add: Command = async (connect, args, output) => {
  const { values, positionals } = parse('add', args, { name: { type: 'string' }, stopped: { type: 'boolean' } }, [1, 1, 'one folder: berth add <folder>']);
  const folder = path.resolve(positionals[0]!);
  const client = await connect();
  const app = await client.call('apps.add', { folder, ...(typeof values.name === 'string' ? { name: values.name } : {}), start: !values.stopped });
  const remembered = app.persisted ? 'Berth remembers it' : 'not remembered: this engine hosts the folders it was started with';
  if (values.stopped) {
    output.out(`Added ${app.name} (${remembered}), stopped and disabled: start it with \`npx berth enable ${app.name}\`.\n`);
    return EXIT.ok;
  }
  output.out(`Added ${app.name} (${remembered}).\n`);
  return reportRunning(app, 'is running', output);
};

const remove: Command = async (connect, args, output) => {
  const { positionals } = parse('remove', args, {}, [1, 1, 'one app name: berth remove <app>']);
  const client = await connect();
  const result = await client.call('apps.remove', { app: positionals[0]! });
  output.out(`Removed ${result.app}${result.persisted ? ' (and forgot it)' : ''}. Its folder was not touched.\n`);
  return EXIT.ok;
};

const lifecycle =
  (verb: 'start' | 'stop' | 'restart' | 'enable' | 'disable'): Command =>
  async (connect, args, output) => {
    const { positionals } = parse(verb, args, {}, [1, 1, `one app name: berth ${verb} <app>`]);
    const app = positionals[0]!;
    const client = await connect();
    switch (verb) {
      case 'start':
        return reportRunning(await client.call('apps.start', { app }), 'is running', output);
      case 'restart':
        return reportRunning(await client.call('apps.restart', { app }), 'restarted', output);
      case 'stop':
        await client.call('apps.stop', { app });
        output.out(`${app} is stopped (until \`npx berth start ${app}\`; \`npx berth disable ${app}\` also keeps it stopped when the engine starts again).\n`);
        return EXIT.ok;
      case 'enable': {
        const summary = await client.call('apps.enable', { app });
        output.out(`${app} is enabled: it starts with the engine${summary.persisted ? '' : ' (not remembered: this engine hosts the folders it was started with)'}.\n`);
        return reportRunning(summary, 'is running', output);
      }
      case 'disable': {
        const summary = await client.call('apps.disable', { app });
        output.out(`${app} is disabled and stopped${summary.persisted ? '; it stays stopped when the engine starts again' : ''}.\n`);
        return EXIT.ok;
      }
    }
  };

const recycle: Command = async (connect, args, output) => {
  const { positionals } = parse('recycle', args, {}, [1, 1, 'one app name: berth recycle <app>']);
  const client = await connect();
  const result = await client.call('apps.recycle', { app: positionals[0]!, reason: 'berth recycle' });
  if (result.ok) {
    output.out(`${result.app.name} upgraded to generation ${result.app.generation} (${result.app.readyWorkers} worker${result.app.readyWorkers === 1 ? '' : 's'}); the previous one drains gracefully.\n`);
    return EXIT.ok;
  }
  output.err(`${result.app.name}: the recycle failed${result.app.generation !== null ? `; generation ${result.app.generation} keeps serving` : ''}:\n${problemText(result.problem!)}`);
  return EXIT.failed;
};

function formatLine(app: string, line: LogLine): string {
  return `[${app} ${line.pid}] ${line.text}\n`;
}

const logs: Command = async (connect, args, output) => {
  const { values, positionals } = parse(
    'logs',
    args,
    { follow: { type: 'boolean', short: 'f' }, stderr: { type: 'boolean' }, stdout: { type: 'boolean' }, lines: { type: 'string', short: 'n' } },
    [1, 1, 'one app name: berth logs <app> [-f] [--stderr]'],
  );
  const app = positionals[0]!;
  const count = values.lines === undefined ? 50 : Number(values.lines);
  if (!Number.isInteger(count) || count < 0 || count > 5000) throw new CliError(EXIT.usage, `berth logs: -n must be a number of lines from 0 to 5000, not "${String(values.lines)}".`);
  const streams = values.stderr && !values.stdout ? (['stderr'] as const) : values.stdout && !values.stderr ? (['stdout'] as const) : undefined;
  const write = (line: LogLine) => (line.stream === 'stderr' ? output.err : output.out)(formatLine(app, line));
  const params = { app, lines: count, ...(streams ? { streams: [...streams] } : {}) };
  const client = await connect();
  if (!values.follow) {
    for (const line of await client.call('logs.get', params)) write(line);
    return EXIT.ok;
  }
  return new Promise<number>((resolve, reject) => {
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      stopListening();
      resolve(code);
    };
    const stopListening = onInterrupt(() => finish(EXIT.ok));
    client.onClose(() => {
      output.err('The engine stopped.\n');
      finish(EXIT.failed);
    });
    client
      .subscribe(
        'logs.subscribe',
        params,
        (batch) => {
          if (batch.dropped) output.err(`[${app}] (${batch.dropped} lines not shown: they came too fast)\n`);
          for (const line of batch.lines) write(line);
        },
        (reason) => {
          output.err(`${reason}\n`);
          finish(EXIT.ok);
        },
      )
      .then((sub) => {
        for (const line of sub.result.lines) write(line);
      }, reject);
  });
};

function parseSettingValue(text: string): SettingValue {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^\d+$/.test(text) && text.length < 16) return Number(text);
  return text;
}

const config: Command = async (connect, args, output) => {
  const { values, positionals } = parse(
    'config',
    args,
    { json: { type: 'boolean' }, all: { type: 'boolean' }, unset: { type: 'string', multiple: true } },
    [1, 64, 'an app name, then optional <setting>=<value> pairs: berth config <app> [<setting>=<value>...] [--unset <setting>]'],
  );
  const [app, ...assignments] = positionals as [string, ...string[]];
  const unset = (values.unset as unknown as string[] | undefined) ?? [];
  const client = await connect();
  if (assignments.length || unset.length) {
    const settings: Record<string, SettingValue | null> = {};
    // env.NAME=value sets one of the app's environment variables (taken as text, as written).
    const env: Record<string, string | null> = {};
    for (const assignment of assignments) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new CliError(EXIT.usage, `berth config: "${assignment}" is not <setting>=<value>.`);
      const key = assignment.slice(0, eq);
      if (/^env\./i.test(key)) env[key.slice(4)] = assignment.slice(eq + 1);
      else settings[key] = parseSettingValue(assignment.slice(eq + 1));
    }
    for (const name of unset) {
      if (/^env\./i.test(name)) env[name.slice(4)] = null;
      else settings[name] = null;
    }
    const hasSettings = Object.keys(settings).length > 0;
    const hasEnv = Object.keys(env).length > 0;
    const result = await client.call('config.set', { app, ...(hasSettings || !hasEnv ? { settings } : {}), ...(hasEnv ? { env } : {}) });
    if (values.json) {
      output.out(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    for (const change of result.changes) {
      output.out(`${change.key}: ${change.from === null ? '(not set)' : JSON.stringify(change.from)} → ${change.to === null ? '(removed)' : JSON.stringify(change.to)}\n`);
    }
    const next = { recycle: `${app} recycles gracefully to apply it.`, 'next-start': `It applies when ${app} starts.`, none: 'Nothing changed.' }[result.takesEffect];
    output.out(`${result.takesEffect === 'none' ? '' : `Written to ${result.file}${result.created ? ' (created)' : ''}. `}${next}\n`);
    return EXIT.ok;
  }
  const view = await client.call('config.get', { app });
  if (values.json) {
    output.out(`${JSON.stringify(view, null, 2)}\n`);
    return EXIT.ok;
  }
  output.out(`${app}: settings file ${view.file ?? `none (settings written with \`berth config\` go to ${view.writesTo})`}\n`);
  if (view.error) output.out(problemText(view.error));
  const shown = values.all ? view.settings : view.settings.filter((s) => s.source.kind !== 'default');
  const rows = shown.map((s) => {
    const source = s.source;
    const from =
      source.kind === 'file' ? `${path.basename(source.file)}:${source.line}` : source.kind === 'env' ? `env ${source.name}` : source.kind === 'registry' ? 'registry' : 'default';
    return [s.name, JSON.stringify(s.value), from];
  });
  if (rows.length) output.out(table([['setting', 'value', 'from'], ...rows]));
  else output.out('Every setting has its default value (`--all` lists them).\n');
  // Names only: the engine never sends the values (they may be secrets); they are in the settings file.
  if (view.env.length) output.out(table([['env', 'value', 'from'], ...view.env.map((v) => [v.name, ENV_MASK, `${path.basename(v.file)}:${v.line}`])]));
  for (const warning of view.warnings) output.out(`warning: ${warning}\n`);
  return EXIT.ok;
};

function attachText(info: DebugInfo): string {
  if (!info.active) return `${info.app}: debugging is off.\n`;
  const lines = [
    `${info.app}: debugging ${info.mode === 'cookie' ? 'requests that carry the debug cookie' : 'the app'} with worker pid ${info.pid}${info.break ? ', paused before the first line until a debugger continues it' : ''}.`,
    `  Inspector:  ${info.webSocketUrl}`,
    `  DevTools:   ${info.devtoolsUrl}`,
    `              (paste it into Chrome's or Edge's address bar, or open ${info.inspectPage} and add 127.0.0.1:${info.port})`,
    ...(info.cookie ? [`  Cookie:     ${info.cookie}   (the app's /<entry>/debug/?cookie page sets it in a browser)`] : []),
    '  VS Code (.vscode/launch.json):',
    ...JSON.stringify(info.vscode, null, 2)
      .split('\n')
      .map((line) => `    ${line}`),
  ];
  return `${lines.join('\n')}\n`;
}

const debug: Command = async (connect, args, output) => {
  const { values, positionals } = parse(
    'debug',
    args,
    { break: { type: 'boolean' }, cookie: { type: 'boolean' }, json: { type: 'boolean' } },
    [2, 2, 'an app name and on, off or info: berth debug <app> on|off|info [--break] [--cookie]'],
  );
  const [app, action] = positionals as [string, string];
  if (action !== 'on' && action !== 'off' && action !== 'info') throw new CliError(EXIT.usage, `berth debug: the second word must be on, off or info, not "${action}".`);
  const client = await connect();
  const info =
    action === 'on'
      ? await client.call('debug.start', { app, break: Boolean(values.break), mode: values.cookie ? 'cookie' : 'exclusive' })
      : action === 'off'
        ? await client.call('debug.stop', { app })
        : await client.call('debug.info', { app });
  output.out(values.json ? `${JSON.stringify(info, null, 2)}\n` : attachText(info));
  return EXIT.ok;
};

function pidOption(value: unknown, command: string): number | undefined {
  if (value === undefined) return undefined;
  const pid = Number(value);
  if (!Number.isInteger(pid) || pid < 1) throw new CliError(EXIT.usage, `berth ${command}: --pid must be a process id, not "${String(value)}".`);
  return pid;
}

const snapshot: Command = async (connect, args, output) => {
  const { values, positionals } = parse('snapshot', args, { pid: { type: 'string' } }, [1, 1, 'one app name: berth snapshot <app> [--pid <pid>]']);
  const worker = pidOption(values.pid, 'snapshot');
  const client = await connect();
  const written = await client.call('debug.heapSnapshot', { app: positionals[0]!, ...(worker ? { worker } : {}) });
  output.out(`Heap snapshot of worker pid ${written.pid}: ${written.file} (${(written.bytes / 1024 / 1024).toFixed(1)} MB). Open it in DevTools' Memory panel.\n`);
  return EXIT.ok;
};

const profile: Command = async (connect, args, output) => {
  const { values, positionals } = parse('profile', args, { pid: { type: 'string' }, seconds: { type: 'string' } }, [1, 1, 'one app name: berth profile <app> [--seconds <n>] [--pid <pid>]']);
  const worker = pidOption(values.pid, 'profile');
  const seconds = values.seconds === undefined ? 10 : Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) throw new CliError(EXIT.usage, `berth profile: --seconds must be from 1 to 600, not "${String(values.seconds)}".`);
  const client = await connect();
  output.out(`Recording a CPU profile for ${seconds} s...\n`);
  const written = await client.call('debug.cpuProfile', { app: positionals[0]!, seconds, ...(worker ? { worker } : {}) });
  output.out(`CPU profile of worker pid ${written.pid}: ${written.file} (${(written.bytes / 1024).toFixed(0)} KB). Open it in DevTools' Performance panel.\n`);
  return EXIT.ok;
};

export const REMOTE_COMMANDS: Record<string, Command> = {
  ls,
  list: ls,
  status,
  add,
  remove,
  rm: remove,
  start: lifecycle('start'),
  stop: lifecycle('stop'),
  restart: lifecycle('restart'),
  enable: lifecycle('enable'),
  disable: lifecycle('disable'),
  recycle,
  logs,
  events,
  config,
  debug,
  snapshot,
  profile,
};

/** Runs one of REMOTE_COMMANDS against the running engine. */
export async function runRemote(command: string, args: string[], output: Output = io): Promise<number> {
  const run = REMOTE_COMMANDS[command]!;
  let client: ControlClient | undefined;
  try {
    return await run(async () => (client = await connect()), args, output);
  } catch (error) {
    if (error instanceof CliError) {
      output.err(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ControlError) {
      output.err(`berth ${command}: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    await client?.close();
  }
}
