import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crashLoopAdvice, listenedElsewhereProblem, startupHint } from '../../core/worker/startup-hints.js';

describe('start-up hints', () => {
  test('known mistakes are recognised in the output', () => {
    assert.match(startupHint('RangeError [ERR_SOCKET_BAD_PORT]: options.port should be >= 0 and < 65536. Received type string') ?? '', /pipe path/);
    assert.match(startupHint('Error: listen EADDRINUSE: address already in use :::3000') ?? '', /already taken/);
    assert.equal(startupHint('TypeError: x is not a function'), undefined);
  });

  test('the crash-loop advice never points at output that is not there', () => {
    assert.match(crashLoopAdvice('Error: boom', { code: 1, signal: null }), /^Fix the error shown below/);
    const none = crashLoopAdvice('', { code: 3, signal: null });
    assert.doesNotMatch(none, /below/);
    assert.match(none, /exited with code 3 and wrote nothing to stderr or stdout: run the app by hand/);
  });

  test('listening elsewhere names the address and the fix for each redirect setting', () => {
    assert.match(listenedElsewhereProblem('TCP port 3000', false).detail, /redirectListen: true/);
    assert.match(listenedElsewhereProblem('TCP port 3000', true).title, /listens on TCP port 3000, not on process\.env\.PORT/);
  });
});
