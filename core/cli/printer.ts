/** Turns engine events into the lines `berth serve` prints. */
import type { EngineEvent } from '../events.js';
import { laneText } from './format.js';

interface Output {
  write(text: string): unknown;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function indent(lines: readonly string[], prefix = '    | '): string {
  return lines.map((line) => `${prefix}${line}\n`).join('');
}

export class EventPrinter {
  /** The stderr lines last printed for each app's crash, so a crash loop does not print the same trace again. */
  private readonly lastCrashStderr = new Map<string, string>();

  constructor(
    private readonly out: Output,
    private readonly err: Output,
  ) {}

  print(event: EngineEvent): void {
    const line = this.format(event);
    if (line === undefined) return;
    (line.error ? this.err : this.out).write(line.text);
  }

  format(event: EngineEvent): { text: string; error?: boolean } | undefined {
    switch (event.type) {
      case 'engine-listening':
        return { text: `Berth is listening on ${event.url}\n` };
      case 'app-added':
        return { text: `[${event.app}] ${event.url}  (${event.folder})\n` };
      case 'app-removed':
        return { text: `[${event.app}] removed\n` };
      case 'app-state':
        if (event.state === 'running') return { text: `[${event.app}] running\n` };
        if (event.state === 'sleeping') return { text: `[${event.app}] sleeping: its workers start at the next request\n` };
        if (event.state === 'errored') return undefined; // app-error says why
        return undefined;
      case 'app-error':
        return {
          text: `[${event.app}] error: ${event.title}\n${indent(event.detail.split('\n'), '    ')}${event.stderr ? `  last stderr output:\n${indent(event.stderr.trimEnd().split(/\r?\n/).slice(-10))}` : ''}`,
          error: true,
        };
      case 'config-warnings':
        return { text: event.warnings.map((w) => `[${event.app}] warning: ${w}\n`).join(''), error: true };
      case 'worker-started':
        return undefined;
      case 'worker-ready':
        return { text: `[${event.app}] worker ${event.slot + 1} ready (pid ${event.pid})\n` };
      case 'recycle-started':
        return { text: `[${event.app}] recycling: ${event.reason}\n` };
      case 'recycle-succeeded':
        return { text: `[${event.app}] upgraded to generation ${event.generation} in ${seconds(event.ms)}\n` };
      case 'recycle-failed': {
        const serving = event.stillServing === null ? 'nothing is serving' : `generation ${event.stillServing} keeps serving`;
        const stderr = event.stderr?.trim() ? `  its stderr output:\n${indent(event.stderr.trimEnd().split(/\r?\n/).slice(-30))}` : '';
        return { text: `[${event.app}] upgrade failed: ${event.title} (${serving})\n${indent(event.detail.split('\n'), '    ')}${stderr}`, error: true };
      }
      case 'generation-drained':
        return undefined;
      case 'debug-started':
        return {
          text:
            `[${event.app}] debugging${event.mode === 'cookie' ? ' (only requests with the debug cookie)' : ''}: worker pid ${event.pid}, ` +
            `inspector ${event.webSocketUrl}${event.brk ? ', paused before the first line' : ''}\n    DevTools: ${event.devtoolsUrl}\n`,
        };
      case 'debug-stopped':
        return { text: `[${event.app}] debugging stopped\n` };
      case 'lane-changed':
        return { text: `[${event.app}] lane: ${laneText(event.lane, event.reasons)}\n` };
      case 'log-problem':
        return { text: `[${event.app}] log files: ${event.message}\n`, error: true };
      case 'log-recovered':
        return {
          text: event.droppedBytes
            ? `[${event.app}] log files: writing again; ${event.droppedBytes} bytes of output were dropped while they could not be written (more than Berth keeps in memory)\n`
            : `[${event.app}] log files: writing again; nothing was lost\n`,
          error: Boolean(event.droppedBytes),
        };
      case 'worker-memory-limit':
        return {
          text: `[${event.app}] worker pid ${event.pid} uses ${event.rssMb} MB, above maxMemoryPerProcessInMB (${event.limitMb} MB); replacing it\n`,
          error: true,
        };
      case 'worker-unresponsive':
        return {
          text: `[${event.app}] worker pid ${event.pid} has not answered for ${seconds(event.silentMs)} (event loop blocked?); replacing it (${event.activeRequests} request(s) in flight)\n`,
          error: true,
        };
      case 'worker-warning':
        return { text: `[${event.app}] warning: worker pid ${event.pid}: ${event.message}\n`, error: true };
      case 'app-enabled':
        return { text: `[${event.app}] ${event.enabled ? 'enabled: it starts with the engine' : 'disabled: it stays stopped when the engine starts'}\n` };
      case 'settings-written':
        return {
          text: `[${event.app}] settings written to ${event.file}: ${event.changes.map((c) => (c.to === null ? `${c.setting} removed` : `${c.setting}=${JSON.stringify(c.to)}`)).join(', ')}\n`,
        };
      case 'registry-problem':
        return {
          text: `Berth's app list ${event.file} could not be read (${event.reason}). It was kept as ${event.movedTo} and Berth starts with an empty list: repair that file and put it back while Berth is stopped, or add the apps again.\n`,
          error: true,
        };
      case 'worker-exit': {
        if (event.expected) return undefined;
        if (event.spawnError) return { text: `[${event.app}] worker could not start: ${event.spawnError}\n`, error: true };
        const how = event.signal ? `was killed by ${event.signal}` : `exited with code ${event.code}`;
        const when = event.beforeReady ? 'before it listened on process.env.PORT' : `after ${seconds(event.uptimeMs)}`;
        const lost = event.connectionsLost ? `; ${event.connectionsLost} client connection(s) it held were closed` : '';
        const next = `${lost}${event.restartInMs !== undefined ? `; restarting in ${seconds(event.restartInMs)}` : ''}`;
        const joined = event.stderr.join('\n');
        const repeated = joined !== '' && this.lastCrashStderr.get(event.app) === joined;
        this.lastCrashStderr.set(event.app, joined);
        const stderr = !event.stderr.length
          ? '  (it wrote nothing to stderr or stdout)\n'
          : repeated
            ? '  (the same output as the previous crash)\n'
            : `  last output lines:\n${indent(event.stderr)}`;
        return { text: `[${event.app}] worker pid ${event.pid} ${how} ${when}${next}\n${stderr}`, error: true };
      }
    }
  }
}
