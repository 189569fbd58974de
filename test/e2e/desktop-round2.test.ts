/**
 * The desktop UI, round 2, in a real Chromium against a real engine: history from before the window opened (the
 * errored banner shows its reason), routes that survive a reload and follow Back/Forward, wrapped and coloured logs
 * with JSON lines and "first error", and the 1024×700 layout where nothing is cut without a tooltip.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDesk, type Desk } from './harness.js';

async function until<T>(what: string, check: () => Promise<T | false | undefined | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Elements whose text is cut (scrollWidth > clientWidth) with no tooltip on them or on an ancestor within three
 * levels: what a user could not read at this size. Runs in the page.
 */
const CUT_WITHOUT_TOOLTIP = `(() => {
  const cut = [];
  for (const el of document.querySelectorAll('main *, nav *')) {
    if (!(el instanceof HTMLElement) || !el.offsetParent || !el.textContent.trim()) continue;
    // Text for screen readers only is clipped to 1px on purpose.
    if (el.closest('.visually-hidden')) continue;
    if (el.closest('[data-testid="log-list"], svg, pre, select, input')) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    // A scroll container shows everything by scrolling: not cut.
    if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) continue;
    let titled = false;
    for (let n = el, i = 0; n && i < 4; n = n.parentElement, i++) if (n.title || n.getAttribute('aria-label')) titled = true;
    for (const child of el.querySelectorAll('[title]')) titled = true;
    if (!titled) cut.push(el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 60));
  }
  return cut;
})()`;

describe('desktop UI end to end, round 2', { timeout: 180_000 }, () => {
  let desk: Desk;

  before(async () => {
    desk = await startDesk();
  });
  after(async () => {
    await desk?.stop();
  });

  test('an app that failed before the window opened: the banner shows why, the events come from the engine', async () => {
    const { page, service } = desk;
    const broken = await desk.fixture('crash-on-start', 'broken');
    await service.engine.addApp(broken).catch(() => undefined);
    await until('broken is errored', async () => service.engine.getApp('broken')?.state === 'errored');
    // A window that opens now, straight at the app's address.
    await page.evaluate(`location.hash = '#/apps/broken'`);
    await page.reload();
    await page.getByTestId('app-problem').waitFor();
    assert.match(await page.getByTestId('app-problem').innerText(), /crashed \d+ times/);
    assert.match(await page.getByTestId('app-problem-output').innerText(), /Cannot find module '\.\/idonotexist'/);
    const events = page.locator('section[aria-labelledby="events-title"]');
    await events.getByText(/Worker \d+ crashed \(exit code 1\)/).first().waitFor();
    assert.match(await events.innerText(), /Errored: the app stopped restarting|crashed/);
  });

  test('routes: every screen has an address; reload keeps it; Back and Forward move between screens', async () => {
    const { page } = desk;
    await page.evaluate(`location.hash = '#/apps'`);
    await page.locator('tr[data-app="broken"]').waitFor();
    // The whole row opens the app, not only its name.
    await page.locator('tr[data-app="broken"] td:nth-child(2)').click();
    await until('the app view', async () => (await page.evaluate('location.hash')) === '#/apps/broken');
    await page.locator('[data-tab="logs"]').click();
    await until('the logs address', async () => (await page.evaluate('location.hash')) === '#/apps/broken/logs');
    await page.reload();
    await page.getByTestId('log-list').waitFor();
    assert.equal(await page.locator('h1').innerText(), 'broken');
    await page.goBack();
    await until('back at the overview', async () => (await page.evaluate('location.hash')) === '#/apps/broken');
    await page.locator('[data-tab="overview"][aria-selected="true"]').waitFor();
    await page.goForward();
    await page.getByTestId('log-list').waitFor();
    await page.getByTestId('nav-settings').click();
    await until('the settings address', async () => (await page.evaluate('location.hash')) === '#/settings');
    await page.reload();
    await page.getByTestId('engine-info').waitFor();
  });

  test('logs: long lines wrap (and scroll sideways when wrapping is off), ANSI colours are drawn, JSON opens, first error', async () => {
    const { page, service } = desk;
    const demo = await desk.fixture('desktop-demo', 'demo');
    await service.engine.addApp(demo);
    await page.evaluate(`location.hash = '#/apps/demo/logs'`);
    await page.getByTestId('log-list').waitFor();
    const long = `/${'segment-'.repeat(60)}end`;
    await desk.request('demo', long);
    await desk.request('demo', '/error?text=disk%20full');
    await desk.request('demo', '/color');
    await desk.request('demo', '/json');
    const list = page.getByTestId('log-list');
    await list.getByText('order placed', { exact: false }).waitFor();
    const longRow = list.locator('.row', { hasText: 'segment-segment' });
    const wrapped = (await longRow.boundingBox())!;
    assert.ok(wrapped.height > 30, `a long line takes several rows (${wrapped.height}px)`);
    assert.equal(await list.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth <= el.clientWidth + 1), true, 'no sideways scrolling while wrapping');
    await page.getByTestId('log-wrap').click();
    await until('one row per line, scrolling sideways', async () => (await longRow.boundingBox())!.height <= 21 && (await list.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth > el.clientWidth)));
    await page.getByTestId('log-wrap').click();

    const nest = list.locator('.row', { hasText: 'RoutesResolver' });
    const text = await nest.locator('.text').innerText();
    assert.doesNotMatch(text, /\u001b|\[3\dm/, 'no raw escape codes');
    assert.equal(await nest.locator('span', { hasText: '[Nest]' }).last().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color), 'rgb(22, 163, 74)');

    await list.locator('.row', { hasText: 'order placed' }).click();
    const pretty = await page.getByTestId('log-json').innerText();
    assert.match(pretty, /\n {2}"msg": "order placed",\n/);

    await page.getByTestId('log-first-error').click();
    await until('the first error is marked', async () => /disk full/.test(await list.locator('.row.marked').innerText()));
    assert.equal(await page.getByTestId('log-follow').getAttribute('aria-pressed'), 'false');
  });

  test('at 1024×700 the apps list keeps its columns readable, and nothing is cut without a tooltip', async () => {
    const { page } = desk;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.evaluate(`location.hash = '#/apps'`);
    await page.locator('tr[data-app="demo"]').waitFor();
    const name = (await page.locator('tr[data-app="demo"] td.name-cell').boundingBox())!;
    assert.ok(name.width >= 150, `the app column keeps room for names (${name.width}px)`);
    assert.equal(await page.locator('tr[data-app="demo"] [data-testid="row-figures"]').isVisible(), true, 'the figures fold into the row');
    assert.deepEqual(await page.evaluate(CUT_WITHOUT_TOOLTIP), []);
    const screens: [route: string, ready: string][] = [
      ['#/apps/demo', '[data-testid="app-charts"]'],
      ['#/apps/broken', '[data-testid="app-problem-output"]'],
      ['#/apps/demo/settings', '[data-setting="nodeProcessCountPerApplication"]'],
      ['#/settings', '[data-testid="engine-info"]'],
    ];
    for (const [route, ready] of screens) {
      await page.evaluate(`location.hash = '${route}'`);
      await page.locator(ready).first().waitFor();
      assert.deepEqual(await page.evaluate(CUT_WITHOUT_TOOLTIP), [], `on ${route}`);
    }
    assert.deepEqual(desk.pageErrors, []);
  });
});
