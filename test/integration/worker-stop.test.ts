/**
 * A worker's stop when killing it fails. Windows' taskkill can run and fail (non-zero exit): the worker must then be
 * ended by other means, and a stop must never wait unbounded. taskkill is Windows itself, so the tests replace it
 * with a node process that acts out its failure; everything else (the worker, its pipe or socket) is real. The
 * worker is given the Windows kill plan on every platform, so this runs the same on Linux, Windows and Wine.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportNotStopped } from '../../core/app/spawner.js';
import type { EngineEvent } from '../../core/events.js';
import { endpointId, workerEndpoint } from '../../core/platform/platform.js';
import { UpstreamPool } from '../../core/proxy/upstream-pool.js';
import { Worker } from '../../core/worker/worker.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

/** A taskkill that fails as the real one does when it cannot end the tree. */
const FAILING_TASKKILL = [process.execPath, '-e', 'process.stderr.write("ERROR: The process could not be terminated."); process.exit(1)'];
/** A taskkill that says it succeeded but ended nothing (as a process Windows will not end looks from outside). */
const INEFFECTIVE_TASKKILL = [process.execPath, '-e', 'process.exit(0)'];

function aliveProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stopping a worker whose tree kill fails', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let app: string;
  const started: Worker[] = [];

  before(async () => {
    ({ dir, cleanup } = await tempDir('berth-worker-stop-'));
    app = await copyFixture('helloworld', dir);
  });
  after(async () => {
    for (const worker of started) if (worker.pid !== undefined && aliveProcess(worker.pid)) process.kill(worker.pid, 'SIGKILL');
    await cleanup();
  });

  async function startWorker(taskkill: string[], killDeadlineMs?: number): Promise<Worker> {
    const endpoint = workerEndpoint(process.platform, endpointId());
    const worker = new Worker({
      command: [process.execPath],
      entry: path.join(app, 'hello.js'),
      cwd: app,
      env: { ...process.env, PORT: endpoint },
      endpoint,
      generation: 1,
      index: 0,
      platform: 'win32',
      pool: new UpstreamPool(4, 30_000),
      taskkill,
      ...(killDeadlineMs !== undefined ? { killDeadlineMs } : {}),
    });
    started.push(worker);
    worker.once('exit', () => void rm(endpoint, { force: true }).catch(() => undefined));
    await worker.start();
    await worker.whenReady(60_000);
    return worker;
  }

  test('taskkill exits non-zero: the worker itself is killed and stop() ends with its exit', async () => {
    const worker = await startWorker(FAILING_TASKKILL);
    const pid = worker.pid!;
    const exit = await worker.stop(0);
    assert.equal(exit.notStopped, undefined, exit.notStopped);
    assert.equal(exit.expected, true);
    assert.equal(worker.state, 'exited');
    assert.equal(aliveProcess(pid), false, `worker ${pid} still runs`);
  });

  test('a kill that ends nothing: stop() gives up at its deadline and says what it could not stop', async () => {
    const worker = await startWorker(INEFFECTIVE_TASKKILL, 1_000);
    const exit = await worker.stop(0);
    assert.match(exit.notStopped ?? '', new RegExp(`worker ${worker.pid} did not exit within 1000 ms of being killed.*may still be running`));
    assert.equal(aliveProcess(worker.pid!), true, 'the kill was meant to leave the worker running');
  });

  test('the app tells the user about a worker it could not stop, with its pid and what to do', async () => {
    const worker = await startWorker(INEFFECTIVE_TASKKILL, 1_000);
    const events: EngineEvent[] = [];
    reportNotStopped(worker, 'shop', (event) => events.push(event));
    const exit = await worker.stop(0);
    assert.deepEqual(events, [
      {
        type: 'worker-warning',
        app: 'shop',
        pid: worker.pid,
        message: `${exit.notStopped}. If it still runs, end process ${worker.pid} yourself (Windows: Task Manager, or taskkill /F /T /PID ${worker.pid}).`,
      },
    ]);
  });
});
