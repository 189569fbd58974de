/**
 * "control-api": the control API (issue 6) streaming to a UI. Five copies of the `ticker` app run 50 workers under
 * one `berth serve`; the 10 workers of the first app print 100 timestamped lines per second each (1 000 lines/s in
 * all). One subscriber connects to the control endpoint (WebSocket, token from the Berth home folder), subscribes to
 * that app's log lines and to every app's metrics, and measures, for each line, the delay from the worker printing
 * it to the subscriber receiving it (both on this machine's clock, to the microsecond).
 * Reference: the same engine and apps without a subscriber, for the engine's CPU: the difference is the share of
 * the work that serving the subscriber costs.
 * Targets (issue 6): median delay ≤ 50 ms; the subscriber costs the engine ≤ 5% of one core.
 *
 * Where the control API is missing (no core/control/server.ts, or `berth serve` publishes no endpoint), the scenario
 * reports "not available yet" (not a failure). It uses core/control/ as of 2026-11-20 (written while that was being
 * built, run end to end against it the same day): `engine.json` (with `url`) and `token` in BERTH_HOME, subprotocols
 * `berth.v1` + `berth.token.<token>`, `logs.subscribe` / `metrics.subscribe` calls, `push` messages with `LogBatch` /
 * `MetricsBatch` data.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { sleep, withAppCopies } from '../lib/apps.js';
import { withBerth } from '../lib/hosts.js';
import { REPO } from '../lib/paths.js';
import { cpuSeconds } from '../lib/procfs.js';
import { berthFigure, figure, median, NotAvailable, type BenchOptions, type Metrics, type Scenario } from '../lib/scenario.js';

const APPS = 5;
const LINES_PER_SECOND_PER_WORKER = 100; // × 10 workers of the first app = 1 000 lines/s

/**
 * Finds the control endpoint and token that `berth serve` published in the Berth home folder (core/control/
 * discovery.ts: `engine.json` with `url`; token.ts: `token`). None in time: the API is not wired into the engine yet.
 */
async function discover(home: string, timeoutMs: number): Promise<{ url: string; token: string }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const info = JSON.parse(await readFile(path.join(home, 'engine.json'), 'utf8')) as Record<string, unknown>;
      const token = (await readFile(path.join(home, 'token'), 'utf8')).trim();
      const url = [info.url, info.controlUrl, ...Object.values(info)].find((v): v is string => typeof v === 'string' && v.startsWith('ws://'));
      if (url && token) return { url, token };
    } catch {
      // not written yet
    }
    if (performance.now() > deadline) {
      throw new NotAvailable({
        label: 'not available yet',
        detail: `berth serve did not publish a control endpoint (engine.json with a ws:// URL, and token, in BERTH_HOME) within ${timeoutMs / 1000} s of all its apps running: the control API (issue 6) is not wired into the engine yet`,
      });
    }
    await sleep(50);
  }
}

interface Push {
  kind: string;
  id?: number;
  ok?: boolean;
  error?: { code: string; message: string };
  topic?: string;
  data?: { lines?: { text: string }[]; dropped?: number; t?: number; apps?: { workers?: unknown[] }[] };
  dropped?: number;
}

/**
 * One subscriber: after `warmupSeconds`, for `seconds`: log-line delays (ms), metrics pushes and the workers they
 * covered, drops, and the engine's (`pid`) CPU over the same window.
 */
async function subscribe(url: string, token: string, app: string, warmupSeconds: number, seconds: number, pid: number | undefined): Promise<Metrics> {
  const ws = new WebSocket(url, ['berth.v1', `berth.token.${token}`]);
  const delays: number[] = [];
  const metricsDelays: number[] = [];
  const workersPerBatch: number[] = [];
  let dropped = 0;
  let measuring = false;
  let cpuBefore: number | undefined;
  let cpuAfter: number | undefined;
  let failure: Error | undefined;
  const pending = new Map<number, (message: Push) => void>();
  ws.on('message', (raw) => {
    const now = performance.timeOrigin + performance.now();
    const message = JSON.parse(String(raw)) as Push;
    if (message.kind === 'response' && message.id !== undefined) pending.get(message.id)?.(message);
    if (message.kind !== 'push' || !measuring) return;
    dropped += message.dropped ?? 0;
    if (message.topic === 'logs') {
      dropped += message.data?.dropped ?? 0;
      for (const line of message.data?.lines ?? []) {
        const sent = /^tick (\d+\.\d+) /.exec(line.text);
        if (sent) delays.push(now - Number(sent[1]));
      }
    } else if (message.topic === 'metrics') {
      if (typeof message.data?.t === 'number') metricsDelays.push(now - message.data.t);
      workersPerBatch.push((message.data?.apps ?? []).reduce((sum, a) => sum + (a.workers?.length ?? 0), 0));
    }
  });
  ws.on('error', (error) => (failure = error));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`the control endpoint refused the connection: HTTP ${res.statusCode}`)));
  });
  let nextId = 1;
  const call = (method: string, params: Record<string, unknown>) =>
    new Promise<Push>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`${method}: no response within 10 s`)), 10_000);
      pending.set(id, (message) => {
        clearTimeout(timer);
        pending.delete(id);
        if (message.ok) resolve(message);
        else reject(new Error(`${method}: ${message.error?.code}: ${message.error?.message}`));
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('logs.subscribe', { app, lines: 0 });
    await call('metrics.subscribe', {});
    await sleep(warmupSeconds * 1000);
    cpuBefore = cpuSeconds(pid);
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    cpuAfter = cpuSeconds(pid);
    if (failure) throw failure;
  } finally {
    ws.terminate();
  }
  if (!delays.length) throw new Error('the subscriber received no log line');
  const sorted = [...delays].sort((a, b) => a - b);
  return {
    delayMs: median(delays),
    p99DelayMs: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!,
    linesPerSecond: delays.length / seconds,
    dropped,
    metricsPerSecond: metricsDelays.length / seconds,
    metricsDelayMs: median(metricsDelays),
    workersPerBatch: median(workersPerBatch),
    ...(cpuBefore !== undefined && cpuAfter !== undefined ? { engineCpuPercent: ((cpuAfter - cpuBefore) / seconds) * 100 } : {}),
  };
}

function measureSeconds(options: BenchOptions): number {
  return options.quick ? 3 : 10;
}

const scenario: Scenario = {
  name: 'control-api',
  description: '1 000 log lines/s + metrics of 50 workers to one control-API subscriber; delay from print to receipt',
  referenceLabel: 'no subscriber',
  // Each side starts 50 workers: one round is what the 10-minute budget allows.
  rounds: () => 1,
  unavailable: () =>
    existsSync(path.join(REPO, 'core', 'control', 'server.ts'))
      ? undefined
      : {
          label: 'not available yet',
          detail: 'the control API (issue 6) has not landed: core/control/server.ts does not exist yet; this scenario measures it as soon as it does',
        },
  async measure(side, options) {
    const home = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-home-'));
    const copies = Array.from({ length: APPS }, (_, i) => ({ app: 'ticker', as: `ticker-${String(i + 1).padStart(2, '0')}` }));
    try {
      return await withAppCopies(copies, async (folders) => {
        await writeFile(path.join(folders[0]!, 'ticker.json'), JSON.stringify({ linesPerSecond: LINES_PER_SECOND_PER_WORKER }));
        return withBerth(
          folders,
          async (berth) => {
            const pid = berth.proc.child.pid;
            const seconds = measureSeconds(options);
            const warmup = options.warmupSeconds;
            // Both sides: the reference needs no endpoint, but finding none there saves starting 50 workers again.
            const { url, token } = await discover(home, 5_000);
            if (side === 'reference') {
              await sleep(warmup * 1000);
              const before = cpuSeconds(pid);
              await sleep(seconds * 1000);
              const after = cpuSeconds(pid);
              return before === undefined || after === undefined ? {} : { engineCpuPercent: ((after - before) / seconds) * 100 };
            }
            return subscribe(url, token, path.basename(folders[0]!), warmup, seconds, pid);
          },
          { env: { BERTH_HOME: home } },
        );
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  },
  figures: (ref, berth) => [
    berthFigure('log line delay, median', 'ms', berth.delayMs!, { kind: 'berth-at-most', value: 50 }),
    berthFigure('log line delay, p99', 'ms', berth.p99DelayMs!),
    berthFigure('log lines received', 'lines/s', berth.linesPerSecond!),
    berthFigure('workers in each metrics push', 'workers', berth.workersPerBatch!),
    figure('engine CPU', '% of a core', ref.engineCpuPercent ?? Number.NaN, berth.engineCpuPercent ?? Number.NaN, 'added', { kind: 'added-at-most', value: 5 }),
  ],
};

export default scenario;
