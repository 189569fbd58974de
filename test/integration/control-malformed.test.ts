/**
 * Bad input to the control API: every kind gets a typed error that explains itself, the connection goes on, and the
 * engine keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeControlClient as ControlClient } from '../../core/control/client.js';
import { ControlError } from '../../core/control/client.js';
import { MAX_MESSAGE_BYTES, type ServerMessage } from '../../core/control/protocol.js';
import { startTestService, type TestService } from '../helpers/control.js';
import { copyFixture, tempDir } from '../helpers/paths.js';

let t: TestService;
let client: ControlClient;
let cleanup: () => Promise<void>;
const answers: ServerMessage[] = [];

before(async () => {
  let dir: string;
  ({ dir, cleanup } = await tempDir('berth-malformed-'));
  t = await startTestService({ mode: 'folders' });
  await t.service.engine.addApp(await copyFixture('helloworld', dir, 'hello'), { start: false });
  client = await t.connect();
  client.onRaw((message) => answers.push(message));
});
after(async () => {
  await t.stop();
  await cleanup();
});

/** Sends raw data and returns the next response. */
async function raw(data: string | Buffer, binary = false): Promise<Extract<ServerMessage, { kind: 'response' }>> {
  const count = answers.length;
  // Text through the shared client; bytes and binary frames straight through `ws`, which a browser client cannot send.
  if (typeof data === 'string' && !binary) client.sendRaw(data);
  else client.socket.ws.send(data, { binary });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const answer = answers.slice(count).find((m) => m.kind === 'response');
    if (answer && answer.kind === 'response') return answer;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('no answer');
}

async function expectError(data: string | Buffer, code: string, message: RegExp, id: number | string | null = null, binary = false): Promise<void> {
  const answer = await raw(data, binary);
  assert.equal(answer.ok, false, JSON.stringify(answer));
  if (answer.ok) return;
  assert.equal(answer.error.code, code, answer.error.message);
  assert.match(answer.error.message, message);
  assert.equal(answer.id, id);
}

describe('control API: malformed input', () => {
  test('not JSON', () => expectError('{"id": 1, "method": ', 'BAD_MESSAGE', /not JSON.*Send \{"id": 1, "method": "apps\.list"/));

  test('a binary frame', () => expectError(Buffer.from('{"id":1,"method":"apps.list"}'), 'BAD_MESSAGE', /Binary messages are not understood/, null, true));

  test('JSON that is not a request: a list, a number, no id, a bad id, no method', async () => {
    await expectError('[1, 2]', 'BAD_MESSAGE', /must be a JSON object/);
    await expectError('42', 'BAD_MESSAGE', /must be a JSON object/);
    await expectError('{"method": "apps.list"}', 'BAD_MESSAGE', /"id" must be a number or a text/);
    await expectError('{"id": {"x": 1}, "method": "apps.list"}', 'BAD_MESSAGE', /"id" must be/);
    await expectError('{"id": 7}', 'BAD_MESSAGE', /"method" must be the name of a call/, 7);
  });

  test('an unknown method, with a suggestion', async () => {
    await expectError('{"id": "a", "method": "apps.lst"}', 'UNKNOWN_METHOD', /There is no call "apps\.lst"\. Did you mean "apps\.list"\?/, 'a');
    await expectError('{"id": 2, "method": "launch.missiles"}', 'UNKNOWN_METHOD', /There is no call "launch\.missiles"\.$/, 2);
  });

  test('parameters of the wrong type, missing, or unknown: the bad one is named', async () => {
    const cases: [unknown, RegExp, string][] = [
      [{ method: 'apps.get', params: { app: 5 } }, /apps\.get: "app" must be text, not number 5\./, 'app'],
      [{ method: 'apps.get', params: {} }, /apps\.get: "app" is required\./, 'app'],
      [{ method: 'apps.get', params: 'hello' }, /"params" must be an object/, 'params'],
      [{ method: 'apps.get', params: { app: 'hello', verbose: true } }, /Unknown parameter "verbose" \(this call takes "app"\)/, 'verbose'],
      [{ method: 'apps.list', params: { all: true } }, /Unknown parameter "all" \(this call takes none\)/, 'all'],
      [{ method: 'logs.get', params: { app: 'hello', lines: -1 } }, /"lines" must be from 0 to 5000, not -1/, 'lines'],
      [{ method: 'logs.get', params: { app: 'hello', lines: 1.5 } }, /"lines" must be a whole number/, 'lines'],
      [{ method: 'logs.get', params: { app: 'hello', streams: ['stdin'] } }, /"streams" must be a list of "stdout" and\/or "stderr"/, 'streams'],
      [{ method: 'config.set', params: { app: 'hello', settings: {} } }, /"settings" names no setting/, 'settings'],
      [{ method: 'config.set', params: { app: 'hello', settings: { maxLogFiles: [1] } } }, /"settings\.maxLogFiles" must be text, a number, true\/false, or null/, 'settings.maxLogFiles'],
      [{ method: 'apps.add', params: { folder: '' } }, /"folder" must not be empty/, 'folder'],
    ];
    let id = 100;
    for (const [request, message, param] of cases) {
      const answer = await raw(JSON.stringify({ id: ++id, ...(request as object) }));
      assert.ok(!answer.ok, JSON.stringify(request));
      if (answer.ok) continue;
      assert.equal(answer.id, id);
      assert.equal(answer.error.code, 'INVALID_PARAMS');
      assert.match(answer.error.message, message);
      assert.equal(answer.error.details?.param, param);
    }
  });

  test('an oversized message gets TOO_LARGE and the connection goes on', async () => {
    const big = JSON.stringify({ id: 1, method: 'apps.add', params: { folder: 'x'.repeat(MAX_MESSAGE_BYTES + 10) } });
    await expectError(big, 'TOO_LARGE', new RegExp(`at most ${MAX_MESSAGE_BYTES} bytes`));
    assert.deepEqual((await client.call('apps.list')).map((a) => a.name), ['hello']);
  });

  test('a message far too large ends that connection (1009), and only that one', async () => {
    const victim = await t.connect();
    const closed = new Promise<ControlError>((resolve) => victim.onClose(resolve));
    victim.sendRaw('x'.repeat(MAX_MESSAGE_BYTES * 4 + 1));
    assert.match((await closed).message, /1009/);
    assert.equal(client.isOpen, true);
    const fresh = await t.connect();
    assert.deepEqual((await fresh.call('apps.list')).map((a) => a.name), ['hello']);
  });

  test('after all that, the same connection and the engine work as before', async () => {
    const info = await client.call('engine.info');
    assert.equal(info.pid, process.pid);
    assert.equal((await client.call('apps.start', { app: 'hello' })).state, 'running');
  });
});
