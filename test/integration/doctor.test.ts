/** `berth doctor`: each check finds what is really there (a real engine, a real port holder, a real folder). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkFrontPort, checkHome, checkLocalhostNames, checkNode, runChecks, type CheckResult } from '../../core/doctor/checks.js';
import { startTestService } from '../helpers/control.js';
import { copyFixture, REPO, tempDir } from '../helpers/paths.js';

let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ dir, cleanup } = await tempDir('berth-doctor-')));
after(() => cleanup());

const byId = (results: CheckResult[], id: string) => results.find((r) => r.id === id)!;

describe('berth doctor', () => {
  test('the Node version, an unusable home, a port held by another program, *.localhost for Node', async () => {
    assert.equal(checkNode('24.1.0', '>=22.12').status, 'ok');
    const old = checkNode('20.11.1', '>=22.12');
    assert.equal(old.status, 'problem');
    assert.match(old.fix!, /nodejs\.org/);

    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const home = await checkHome(path.join(file, 'home'), process.platform);
    assert.equal(home.status, 'problem');
    assert.match(home.detail, /cannot be written \(ENOTDIR\)/);
    assert.match(home.fix!, /BERTH_HOME/);

    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const held = await checkFrontPort(port, undefined, process.platform);
      assert.equal(held.status, 'problem');
      assert.match(held.fix!, /--port/);
    } finally {
      await new Promise((r) => holder.close(r));
    }

    const unresolved = await checkLocalhostNames(8080, () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })));
    const node = byId(unresolved, 'localhost-node');
    assert.equal(node.status, 'warning');
    assert.match(node.detail, /Node cannot resolve .*ENOTFOUND/);
    assert.match(node.fix!, /127\.0\.0\.1.*Host: shop\.localhost/);
    assert.equal(byId(unresolved, 'localhost-browsers').status, 'ok');
    assert.equal(byId(await checkLocalhostNames(8080, async () => ({ address: '127.0.0.1' })), 'localhost-node').status, 'ok');
  });

  test('with a running engine: reachable, its port is Berth\'s, its apps\' log folders writable; --json from the command', async () => {
    const home = path.join(dir, 'home');
    const t = await startTestService({ home });
    try {
      const folder = await copyFixture('helloworld', dir, 'hello');
      const client = await t.connect();
      await client.call('apps.add', { folder });
      const results = await runChecks({ home, port: 1, platform: process.platform, env: process.env, nodeVersion: process.versions.node, minimumNode: '>=22.12', packageRoot: REPO });
      assert.equal(byId(results, 'engine').status, 'ok', JSON.stringify(results));
      assert.match(byId(results, 'front-port').detail, /used by the running Berth engine/);
      assert.equal(byId(results, 'log-folders').status, 'ok');
      assert.match(byId(results, 'log-folders').detail, /hello/);

      const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(REPO, 'bin', 'berth.js'), 'doctor', '--json'], { env: { ...process.env, BERTH_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.on('close', (code) => resolve({ code, stdout }));
      });
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] };
      assert.equal(run.code, report.ok ? 0 : 1);
      assert.equal(byId(report.checks, 'engine').status, 'ok');
      for (const check of report.checks) {
        assert.ok(['ok', 'warning', 'problem'].includes(check.status));
        if (check.status !== 'ok') assert.ok(check.fix, `${check.id} says how to fix it`);
      }
    } finally {
      await t.stop();
    }
  });
});
