/**
 * The control API's https.status and https.trust (the desktop app's "Trust local HTTPS" button): the trust plan for
 * the engine's system. On Windows https.trust runs certutil on the user's Root store; that part is tested with the
 * Windows plan and a stand-in for certutil (certutil is Windows'). Nothing is run on this system.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ControlCallError } from '../../core/control/call-errors.js';
import { httpsStatus, trustHttps, type HttpsSource } from '../../core/control/https-trust.js';
import { caPaths } from '../../core/tls/local-ca.js';
import { thumbprintOf } from '../../core/tls/trust.js';
import { startTestService, type TestService } from '../helpers/control.js';

describe('https.status and https.trust over the control API', () => {
  let s: TestService;
  before(async () => {
    s = await startTestService({ https: true });
  });
  after(() => s.stop());

  test('https.status names the port, the CA file and its thumbprint, and the commands that trust it here', async () => {
    const client = await s.connect();
    const status = await client.call('https.status', {});
    const caPath = caPaths(s.home).cert;
    assert.equal(status.port, s.service.engine.https!.info!.port);
    assert.equal(status.problem, null);
    assert.equal(status.caPath, caPath);
    assert.equal(status.thumbprint, thumbprintOf(await readFile(caPath, 'utf8')));
    if (process.platform === 'win32') {
      assert.equal(status.canInstall, true);
      assert.deepEqual(status.steps[0]!.commands, [`certutil -user -addstore Root "${caPath}"`]);
    } else {
      assert.equal(status.canInstall, false);
      const commands = status.steps.flatMap((step) => step.commands);
      assert.ok(commands.some((c) => c.includes(caPath)), JSON.stringify(commands));
      assert.ok(status.steps.every((step) => step.label.length > 0 && step.commands.length > 0));
    }
  });

  test('https.trust outside Windows runs nothing and answers with the exact commands', async () => {
    const client = await s.connect();
    // On Windows the call runs certutil, which asks the user: the Windows plan is tested below with a stand-in.
    if (process.platform === 'win32') return assert.equal((await client.call('https.status', {})).canInstall, true);
    const result = await client.call('https.trust', {});
    assert.equal(result.installed, false);
    assert.equal(result.output, '');
    assert.deepEqual(result.status, await client.call('https.status', {}));
    const commands = result.status.steps.flatMap((step) => step.commands);
    assert.ok(commands.some((c) => c.startsWith('sudo ') || c.startsWith('security ')), JSON.stringify(commands));
  });
});

describe('trustHttps with the Windows plan', () => {
  let s: TestService;
  let source: HttpsSource;
  before(async () => {
    s = await startTestService({ https: true });
    source = { https: s.service.engine.https, platform: 'win32' };
  });
  after(() => s.stop());

  test('runs certutil -user -addstore Root <ca> once, and says it is installed', async () => {
    const runs: string[][] = [];
    const result = await trustHttps(source, (args) => {
      runs.push(args);
      return Promise.resolve({ code: 0, output: 'Root "Trusted Root Certification Authorities"\nCertUtil: -addstore command completed successfully.' });
    });
    assert.deepEqual(runs, [['-user', '-addstore', 'Root', caPaths(s.home).cert]]);
    assert.equal(result.installed, true);
    assert.match(result.output, /completed successfully/);
    assert.equal(result.status.canInstall, true);
  });

  test('a declined confirmation (certutil fails) is TRUST_FAILED with certutil\'s words and the command to run', async () => {
    await assert.rejects(
      trustHttps(source, () => Promise.resolve({ code: -2147023673, output: 'CertUtil: The operation was canceled by the user.' })),
      (error: unknown) =>
        error instanceof ControlCallError && error.code === 'TRUST_FAILED' && /canceled by the user/.test(error.message) && error.message.includes('certutil -user -addstore Root'),
    );
  });

  test('status only reads: no certutil run', async () => {
    const status = await httpsStatus(source);
    assert.equal(status.canInstall, true);
    assert.deepEqual(status.steps.map((step) => step.commands), [[`certutil -user -addstore Root "${caPaths(s.home).cert}"`]]);
  });

  test('an engine without HTTPS: status says so; trust is HTTPS_OFF', async () => {
    const none: HttpsSource = { https: undefined, platform: 'win32' };
    const status = await httpsStatus(none);
    assert.deepEqual({ port: status.port, caPath: status.caPath, canInstall: status.canInstall, steps: status.steps }, { port: null, caPath: null, canInstall: false, steps: [] });
    assert.match(status.problem!, /without HTTPS/);
    await assert.rejects(trustHttps(none, () => assert.fail('certutil must not run')), (error: unknown) => error instanceof ControlCallError && error.code === 'HTTPS_OFF');
  });
});
