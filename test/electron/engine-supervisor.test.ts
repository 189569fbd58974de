import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { connectControl, type NodeControlClient as ControlClient } from '../../core/control/client.js';
import { EngineSupervisor, nextDelay, type EngineChild, type EngineStatus } from '../../electron/engine-supervisor.js';
import type { EngineLaunch, EngineMessage, MainMessage } from '../../electron/engine-protocol.js';
import { copyFixture, REPO } from '../helpers/paths.js';
import { eventually } from '../helpers/wait.js';

class FakeChild extends EventEmitter implements EngineChild {
  static count = 0;
  readonly pid = ++FakeChild.count;
  received: MainMessage[] = [];
  killed = false;
  postMessage(message: MainMessage): void {
    this.received.push(message);
    if (message.type === 'stop') setTimeout(() => this.exit(0), 5);
  }
  kill(): boolean {
    this.killed = true;
    setTimeout(() => this.exit(1), 1);
    return true;
  }
  say(message: EngineMessage): void {
    this.emit('message', message);
  }
  exit(code: number): void {
    this.emit('exit', code);
  }
}

const launch: EngineLaunch = { home: '/h', port: 8080, nodePath: '', allowedOrigin: 'berth://app' };
const backoff = { firstMs: 10, maxMs: 40, resetAfterMs: 1000 };

function ready(child: FakeChild, port = 1): void {
  child.say({ type: 'ready', url: `ws://127.0.0.1:${port}/control`, token: `t${port}`, frontUrl: 'http://127.0.0.1:8080/', pid: child.pid });
}

describe('engine supervisor', () => {
  test('restart delays double up to the cap and start over after a healthy run', () => {
    assert.equal(nextDelay(undefined, 0), 1000);
    assert.equal(nextDelay(1000, 500), 2000);
    assert.equal(nextDelay(16_000, 500), 30_000);
    assert.equal(nextDelay(30_000, 500), 30_000);
    assert.equal(nextDelay(30_000, 61_000), 1000);
  });

  test('waits for the engine to say where it listens, and restarts it when it dies', async () => {
    const children: FakeChild[] = [];
    const statuses: EngineStatus['state'][] = [];
    const supervisor = new EngineSupervisor(() => {
      const c = new FakeChild();
      children.push(c);
      return c;
    }, launch, { backoff });
    supervisor.on('status', (s) => statuses.push(s.state));
    supervisor.start();
    const endpoint = supervisor.endpoint();
    ready(children[0]!, 1);
    assert.deepEqual(await endpoint, { url: 'ws://127.0.0.1:1/control', token: 't1' });
    children[0]!.exit(3);
    assert.equal(supervisor.status.state, 'restarting');
    assert.match((supervisor.status as { reason: string }).reason, /exit code 3/);
    const next = supervisor.endpoint();
    await eventually(() => children.length === 2, 1000, 2);
    ready(children[1]!, 2);
    assert.deepEqual(await next, { url: 'ws://127.0.0.1:2/control', token: 't2' });
    assert.deepEqual(statuses, ['starting', 'running', 'restarting', 'starting', 'running']);
    await supervisor.stop();
  });

  test('a failure a restart cannot fix (the port is taken) stops the loop and says why', async () => {
    const children: FakeChild[] = [];
    const supervisor = new EngineSupervisor(() => {
      const c = new FakeChild();
      children.push(c);
      return c;
    }, launch, { backoff });
    supervisor.start();
    const waiting = supervisor.endpoint();
    children[0]!.say({ type: 'failed', code: 'PORT_IN_USE', message: 'Port 8080 is in use by nginx.exe (pid 42).' });
    children[0]!.exit(1);
    await assert.rejects(waiting, /Port 8080 is in use/);
    // Proving an absence by timer order, not by time: a restart would have been scheduled at the exit with at most
    // backoff.maxMs, so a timer of that length set now fires after it.
    await new Promise((r) => setTimeout(r, backoff.maxMs));
    assert.equal(children.length, 1, 'no restart');
    assert.deepEqual(supervisor.status, { state: 'failed', code: 'PORT_IN_USE', message: 'Port 8080 is in use by nginx.exe (pid 42).' });
    // Changing the port (a restart with new settings) tries again.
    await supervisor.restart({ port: 8081 });
    assert.equal(children.length, 2);
    await supervisor.stop();
  });

  test('stop asks for a graceful stop, kills a child that does not go, and an exit after stop is not a crash', async () => {
    const stubborn = new FakeChild();
    stubborn.postMessage = (m) => void stubborn.received.push(m);
    const supervisor = new EngineSupervisor(() => stubborn, launch, { backoff });
    supervisor.start();
    ready(stubborn);
    await supervisor.stop(10);
    assert.deepEqual(stubborn.received, [{ type: 'stop', timeoutMs: 10 }]);
    assert.equal(stubborn.killed, true);
    assert.equal(supervisor.status.state, 'stopped');
  });

  test('restart with new settings stops the old engine gracefully and starts one with them', async () => {
    const launches: EngineLaunch[] = [];
    const children: FakeChild[] = [];
    const supervisor = new EngineSupervisor((l) => {
      launches.push(l);
      const c = new FakeChild();
      children.push(c);
      return c;
    }, launch, { backoff });
    supervisor.start();
    ready(children[0]!);
    await supervisor.restart({ port: 9090, nodePath: 'C:\\node\\node.exe' });
    assert.deepEqual(children[0]!.received, [{ type: 'stop', timeoutMs: 10_000 }]);
    assert.deepEqual(launches[1], { ...launch, port: 9090, nodePath: 'C:\\node\\node.exe' });
    assert.equal(supervisor.status.state, 'starting');
    await supervisor.stop();
  });
});

/** The real engine entry in a plain Node child (what the utility process runs), speaking over process.send. */
function forkEngine(home: string): (l: EngineLaunch) => EngineChild {
  return (l) => {
    const child: ChildProcess = fork(path.join(REPO, 'dist', 'electron', 'engine-entry.js'), [JSON.stringify(l)], {
      env: { ...process.env, BERTH_HOME: home, NODE_PATH: path.join(REPO, 'node_modules') },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return {
      get pid() {
        return child.pid;
      },
      postMessage: (m: MainMessage) => void child.send(m),
      kill: () => child.kill('SIGKILL'),
      on(event: 'message' | 'exit', listener: (arg: never) => void) {
        child.on(event, listener as never);
        return this;
      },
    } as EngineChild;
  };
}

describe('engine supervisor with the real engine process', () => {
  test('the engine comes back after it is killed, hosting the same apps', { timeout: 60_000 }, async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'berth-desktop-home-'));
    const apps = await mkdtemp(path.join(os.tmpdir(), 'berth-desktop-apps-'));
    const supervisor = new EngineSupervisor(forkEngine(home), { home, port: 0, nodePath: '', allowedOrigin: 'berth://app' }, { backoff: { firstMs: 50, maxMs: 200, resetAfterMs: 60_000 } });
    const clients: ControlClient[] = [];
    try {
      supervisor.start();
      const first = await supervisor.endpoint();
      const client = await connectControl(first);
      clients.push(client);
      const folder = await copyFixture('counter', apps);
      const added = await client.call('apps.add', { folder });
      assert.equal(added.state, 'running');
      const pid = (supervisor.status as { pid: number }).pid;

      process.kill(pid, 'SIGKILL');
      await eventually(() => supervisor.status.state === 'running' && (supervisor.status as { pid: number }).pid !== pid, 30_000);
      const second = await supervisor.endpoint();
      assert.notEqual(second.token, first.token, 'a new engine has a new token');
      const again = await connectControl(second);
      clients.push(again);
      const resumed = await eventually(async () => {
        const list = await again.call('apps.list');
        return list.find((a) => a.name === added.name && a.state === 'running');
      }, 20_000);
      assert.equal(resumed!.folder, folder);
    } finally {
      for (const c of clients) await c.close();
      await supervisor.stop(2000);
      await rm(home, { recursive: true, force: true });
      await rm(apps, { recursive: true, force: true });
    }
  });
});
