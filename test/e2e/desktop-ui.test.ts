/**
 * The desktop app's UI against a real engine hosting real apps, in a real Chromium: add an app, see it running,
 * request it and see the log line appear live, see memory figures move, debugging, change a setting and see the
 * YAML file change, add an environment variable and see the app restart with it, stop it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDesk, type Desk } from './harness.js';

/** Polls the page from the test's side until `check` gives a value (no DOM types needed here). */
async function until<T>(what: string, check: () => Promise<T | false | undefined | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function megabytes(text: string): number {
  const m = /([\d.]+)\s*(MB|GB)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'GB' ? 1024 : 1);
}

describe('desktop UI end to end', { timeout: 120_000 }, () => {
  let desk: Desk;
  let folder: string;

  before(async () => {
    desk = await startDesk();
    folder = await desk.fixture('desktop-demo', 'demo');
  });
  after(async () => {
    await desk?.stop();
  });

  test('a first start shows what to do', async () => {
    const { page } = desk;
    await page.getByTestId('empty-state').waitFor();
    assert.match(await page.getByTestId('empty-state').innerText(), /Drop a project folder anywhere on this window/);
  });

  test('adding a folder hosts the app; the list shows it running', async () => {
    const { page } = desk;
    await page.getByTestId('add-folder').click();
    await page.locator('#add-folder-path').fill(folder);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const row = page.locator('tr[data-app="demo"]');
    await row.getByText('Running').waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), /demo\.localhost:\d+/);
    assert.match(await row.locator('[data-col="workers"]').innerText(), /^1\/1$/);
    assert.match(await page.getByTestId('toasts').innerText(), /Added demo/);
    // And it really serves.
    const res = await desk.request('demo', '/');
    assert.equal(res.status, 200);
    assert.match(res.body, /^Hello from \d+/);
  });

  test('a request shows up in the live log, and the filters work', async () => {
    const { page } = desk;
    await page.locator('tr[data-app="demo"]').getByRole('button', { name: 'Logs of demo' }).click();
    await page.getByTestId('log-list').waitFor();
    await desk.request('demo', '/hello-from-e2e');
    await page.getByTestId('log-list').getByText('GET /hello-from-e2e').waitFor({ timeout: 10_000 });
    await desk.request('demo', '/error?text=disk%20full');
    await page.getByTestId('log-list').getByText('something went wrong: disk full').waitFor({ timeout: 10_000 });
    await page.locator('[data-stream="stderr"]').click();
    await until('the stdout line is filtered out', async () => !(await page.getByTestId('log-list').innerText()).includes('GET /hello-from-e2e'));
    assert.match(await page.getByTestId('log-list').innerText(), /disk full/);
    await page.locator('[data-stream="all"]').click();
    await page.getByTestId('log-search').fill('hello-from');
    await page.locator('[data-testid="log-list"] mark').first().waitFor();
    assert.equal(await page.locator('[data-testid="log-list"] mark').first().innerText(), 'hello-from');
    await page.getByTestId('log-search').fill('');
    // Paused, new lines wait aside; resuming shows them.
    await page.getByTestId('log-pause').click();
    await desk.request('demo', '/while-paused');
    await page.getByTestId('log-resume').getByText(/1 new/).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(await page.getByTestId('log-list').innerText(), /while-paused/);
    await page.getByTestId('log-resume').click();
    await page.getByTestId('log-list').getByText('GET /while-paused').waitFor();
  });

  test('a burst of 5 000 lines is followed to its end, with only the visible rows in the page', async () => {
    const { page } = desk;
    await desk.request('demo', '/burst?n=5000');
    await page.getByTestId('log-list').getByText('burst line 5000 of 5000', { exact: true }).waitFor({ timeout: 15_000 });
    const rows = await page.locator('[data-testid="log-list"] .row').count();
    assert.ok(rows > 10 && rows < 100, `${rows} rows in the DOM`);
    assert.match(await page.getByTestId('log-count').innerText(), /^\d+ lines$/);
    assert.ok(Number((await page.getByTestId('log-count').innerText()).split(' ')[0]) >= 5000);
  });

  test('memory figures move when the app holds more memory', async () => {
    const { page } = desk;
    await page.locator('[data-tab="overview"]').click();
    await page.getByTestId('app-lane').getByText('Fast lane').waitFor(); // the demo needs nothing of the proxy per request
    const cell = page.locator('[data-testid="workers-table"] tbody tr').first().locator('[data-col="rss"]');
    const before = await until('the worker reports its memory', async () => megabytes(await cell.innerText()));
    await desk.request('demo', '/grow?mb=64');
    const grown = await until('the memory figure grows by the 64 MB the app now holds', async () => {
      const now = megabytes(await cell.innerText());
      return now > before + 40 && now;
    });
    assert.ok(grown > before + 40, `${before} MB → ${grown} MB`);
    // The chart draws the worker's samples.
    const line = await until('the chart has a line of samples', async () => {
      const d = await page.locator('figure.chart path.line.rss').first().getAttribute('d');
      return d && /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/.test(d) && d;
    });
    assert.ok(line.split('L').length >= 2);
    assert.ok(megabytes(await page.getByTestId('app-memory').innerText()) > 40);
  });

  test('debugging: the toggle starts an inspector, shows where to attach, and turns it off again', async () => {
    const { page } = desk;
    await page.locator('[data-tab="debugging"]').click();
    const toggle = page.getByTestId('debug-toggle');
    await toggle.waitFor();
    await until('the panel knows the session state', async () => !(await toggle.isDisabled()) && (await toggle.getAttribute('aria-checked')) === 'false');
    await toggle.click();
    const url = page.getByTestId('inspector-url');
    await url.waitFor({ timeout: 30_000 });
    const inspector = await url.innerText();
    const match = /^ws:\/\/127\.0\.0\.1:(\d+)\//.exec(inspector);
    assert.ok(match, inspector);
    // A real inspector answers on that port.
    const targets = (await (await fetch(`http://127.0.0.1:${match[1]}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    assert.equal(targets[0]?.webSocketDebuggerUrl, inspector);
    const vscode = JSON.parse(await page.getByTestId('vscode-config').innerText()) as { request: string; port: number };
    assert.equal(vscode.request, 'attach');
    assert.equal(vscode.port, Number(match[1]));
    // The app keeps serving while it is debugged.
    assert.equal((await desk.request('demo', '/while-debugging')).status, 200);
    await toggle.click();
    await url.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');
  });

  test('a setting changed in the form is written to the app\'s berth.yml, keeping its comment, and applied', async () => {
    const { page } = desk;
    await page.locator('[data-tab="settings"]').click();
    const field = page.locator('[data-setting="nodeProcessCountPerApplication"]');
    await field.waitFor();
    assert.match(await field.getByTestId('setting-source').innerText(), /^berth\.yml:\d+$/);
    await field.locator('input').fill('2');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('toasts').getByText('Saved to berth.yml').waitFor({ timeout: 10_000 });
    const yaml = await readFile(path.join(folder, 'berth.yml'), 'utf8');
    assert.match(yaml, /^nodeProcessCountPerApplication: 2$/m);
    assert.match(yaml, /this comment must survive/);
    // The app recycles into two workers.
    await page.locator('[data-tab="overview"]').click();
    const rows = page.locator('[data-testid="workers-table"] tbody tr');
    await until('two ready workers serve', async () => {
      const texts = await rows.allInnerTexts();
      return texts.length === 2 && texts.every((t) => /Ready/.test(t));
    }, 30_000);
  });

  test('an environment variable added in the form reaches the app, which restarts with it; the value is never shown back', async () => {
    const { page } = desk;
    const secret = `e2e-${Date.now().toString(36)}`;
    await page.locator('[data-tab="settings"]').click();
    const editor = page.getByTestId('env-editor');
    await editor.waitFor();
    await editor.getByTestId('env-add').click();
    const row = editor.locator('li.row').last();
    await row.getByTestId('env-name').fill('GREETING');
    await row.getByTestId('env-value').fill(secret);
    assert.equal(await row.getByTestId('env-value').getAttribute('type'), 'password');
    await row.getByTestId('env-show').click();
    assert.equal(await row.getByTestId('env-value').getAttribute('type'), 'text');
    // A name Berth owns is explained on its row.
    await editor.getByTestId('env-add').click();
    const bad = editor.locator('li.row').last();
    await bad.getByTestId('env-name').fill('PORT');
    assert.match(await bad.getByTestId('env-row-error').innerText(), /PORT is set by Berth/);
    await bad.getByTestId('env-remove').click();
    const generation = desk.service.engine.appRecord('demo').app?.generation?.id ?? 0;
    await page.getByTestId('settings-save').click();
    await page.getByTestId('toasts').getByText('Saved to berth.yml').waitFor({ timeout: 10_000 });
    const yaml = await readFile(path.join(folder, 'berth.yml'), 'utf8');
    assert.match(yaml, new RegExp(`^env:\\n {2}GREETING: ${secret}$`, 'm'));
    assert.match(yaml, /this comment must survive/);
    // The app recycles into workers that have it.
    await until('the app answers with the variable', async () => (await desk.request('demo', '/env?name=GREETING')).body.trim() === `GREETING=${secret}`, 30_000);
    assert.ok((desk.service.engine.appRecord('demo').app?.generation?.id ?? 0) > generation);
    // Read again from the engine: the name, with the value masked, and nowhere in the page.
    await page.locator('[data-tab="overview"]').click();
    await page.locator('[data-tab="settings"]').click();
    const saved = page.getByTestId('env-editor').locator('li.row[data-env="GREETING"]');
    await saved.waitFor();
    assert.match((await saved.getByTestId('env-value').getAttribute('placeholder')) ?? '', /^•••• /);
    assert.equal(await saved.getByTestId('env-value').inputValue(), '');
    assert.equal((await page.content()).includes(secret), false);
  });

  test('a reload on the settings or logs screen reconnects at once and shows the same screen; Back and Forward still work', async () => {
    const { page } = desk;
    const connected = page.locator('[data-testid="engine-status"][data-status="connected"]');
    await desk.request('demo', '/before-reload');
    await page.locator('[data-tab="settings"]').click();
    await until('the settings address', async () => (await page.evaluate('location.hash')) === '#/apps/demo/settings');
    await page.locator('[data-tab="logs"]').click();
    await until('the logs address', async () => (await page.evaluate('location.hash')) === '#/apps/demo/logs');
    await page.goBack();
    await until('back on the settings address', async () => (await page.evaluate('location.hash')) === '#/apps/demo/settings');
    // Reloaded, the settings screen connects and fills its form within a normal wait (no tab switching).
    await page.reload();
    await connected.waitFor({ timeout: 5_000 });
    const field = page.locator('[data-setting="nodeProcessCountPerApplication"] input');
    await field.waitFor({ timeout: 5_000 });
    assert.equal(await field.inputValue(), '2');
    await page.getByTestId('env-editor').locator('li.row[data-env="GREETING"]').waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('[data-tab="settings"]').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('main p.problem').count(), 0, 'no "not connected" left on the screen');
    // History survives the reload: Forward goes to the logs, Back to the settings again.
    await page.goForward();
    await page.getByTestId('log-list').getByText('GET /before-reload').waitFor({ timeout: 5_000 });
    await page.reload();
    await connected.waitFor({ timeout: 5_000 });
    await page.getByTestId('log-list').getByText('GET /before-reload').waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate('location.hash'), '#/apps/demo/logs');
    // The log stays live after the reload.
    await desk.request('demo', '/after-reload');
    await page.getByTestId('log-list').getByText('GET /after-reload').waitFor({ timeout: 10_000 });
    await page.goBack();
    await page.locator('[data-setting="nodeProcessCountPerApplication"] input').waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate('location.hash'), '#/apps/demo/settings');
    assert.equal(await page.locator('main p.problem').count(), 0);
  });

  test('stopping the app stops it', async () => {
    const { page } = desk;
    await page.locator('.actions [data-action="stop"]').click();
    await page.getByTestId('app-state').getByText('Stopped').waitFor({ timeout: 30_000 });
    await page.getByTestId('nav-apps').click();
    await page.locator('tr[data-app="demo"]').getByText('Stopped').waitFor();
    const res = await desk.request('demo', '/');
    assert.notEqual(res.status, 200);
    assert.deepEqual(desk.pageErrors, []);
  });
});
