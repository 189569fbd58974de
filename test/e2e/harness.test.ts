/**
 * The end-to-end harness itself: when the browser cannot start, it stops the engine it already started (else the
 * engine's sockets keep the test process alive and the run hangs) and says which browser and what to do.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Service } from '../../core/control/service.js';
import { startDesk } from './harness.js';

/** Resolves with the error code of a connection attempt (ECONNREFUSED once nothing listens), or 'connected'. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('a browser that cannot start: the engine is stopped and the error names the path and the fix', async () => {
  const missing = path.join(os.tmpdir(), 'berth-no-such-browser', 'chrome.exe');
  let service: Service | undefined;
  let ports: { front: number; control: number } | undefined;
  await assert.rejects(
    startDesk({
      browserPath: missing,
      onService: (s) => {
        service = s;
        ports = { front: s.engine.port, control: Number(new URL(s.control!.url).port) };
        // The engine really ran before the browser was tried.
        assert.ok(ports.front > 0 && ports.control > 0);
      },
    }),
    (error: Error) => {
      assert.ok(error.message.includes(missing), error.message);
      assert.match(error.message, /set CHROME_PATH/);
      return true;
    },
  );
  assert.ok(service && ports, 'the service had started');
  assert.equal(await connectOutcome(ports.front), 'ECONNREFUSED', 'the front server is closed');
  assert.equal(await connectOutcome(ports.control), 'ECONNREFUSED', 'the control API is closed');
});
