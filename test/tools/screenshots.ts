/**
 * `npm run screenshots`: the README's pictures of the desktop app's main screens, taken from the real UI against a
 * real engine hosting real apps (three of them, one failing on purpose, with a minute of traffic so the charts and
 * logs have something to show), at 1280×800, light and dark. Writes docs/screenshots/*.png.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDesk, type Desk } from '../e2e/harness.js';
import { REPO } from '../helpers/paths.js';

const OUT = path.join(REPO, 'docs', 'screenshots');
const TRAFFIC_SECONDS = Number(process.env.BERTH_SCREENSHOT_SECONDS ?? 45);

async function addApps(desk: Desk): Promise<void> {
  const shop = await desk.fixture('desktop-demo', 'shop');
  await writeFile(path.join(shop, 'berth.yml'), '# Two workers behind shop.localhost\nnodeProcessCountPerApplication: 2\nloadBalancing: leastBusy\ndebuggerPortRange: 7310-7390\n# The demo collects garbage after each /leak?gc, so the leak hint shows within a minute\nnodeProcessCommandLine: node --expose-gc\n# Environment variables of the shop workers (the settings form shows their names, never the values)\nenv:\n  PAYMENT_API_URL: https://sandbox.payments.example\n  PAYMENT_API_KEY: example-key-for-the-screenshots\n');
  const api = await desk.fixture('counter', 'api');
  const billing = await desk.fixture('crash-on-start', 'billing');
  for (const folder of [shop, api, billing]) await desk.service.engine.addApp(folder).catch(() => undefined);
}

async function traffic(desk: Desk, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  let i = 0;
  while (Date.now() < end) {
    i++;
    const paths = ['/', '/products?page=2', '/cart', '/api/orders/1042', '/checkout'];
    await desk.request('shop', paths[i % paths.length]).catch(() => undefined);
    if (i % 3 === 0) await desk.request('api', '/status').catch(() => undefined);
    if (i % 40 === 0) await desk.request('shop', '/error?text=payment%20provider%20timed%20out').catch(() => undefined);
    // Coloured framework output and structured JSON lines, as real apps write them.
    if (i % 15 === 0) await desk.request('shop', '/color').catch(() => undefined);
    if (i % 25 === 0) await desk.request('shop', '/json').catch(() => undefined);
    // The shop keeps a little more memory every few seconds: the charts climb, as a leak would (and the heap after
    // each garbage collection rises: the leak hint).
    if (i % 40 === 0) await desk.request('shop', '/grow?mb=2').catch(() => undefined);
    if (i % 40 === 0) await desk.request('shop', '/leak?gc&n=20000').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function shoot(desk: Desk, name: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 400));
  await desk.page.screenshot({ path: path.join(OUT, `${name}.png`) });
  process.stdout.write(`docs/screenshots/${name}.png\n`);
}

await mkdir(OUT, { recursive: true });

// The first start, empty.
{
  const desk = await startDesk();
  try {
    await desk.page.getByTestId('empty-state').waitFor();
    await shoot(desk, 'first-start');
    // Something dragged over the window.
    await desk.page.evaluate(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['{}'], 'package.json'));
      window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true }));
    })()`);
    await desk.page.getByTestId('drop-overlay').waitFor();
    await shoot(desk, 'drop-folders');
  } finally {
    await desk.stop();
  }
}

for (const scheme of ['light', 'dark'] as const) {
  // The desktop window's view: the page gets a stand-in for the preload (desktop settings, Explorer buttons).
  const desk = await startDesk({ colorScheme: scheme, desktop: true });
  const suffix = scheme === 'dark' ? '-dark' : '';
  try {
    await addApps(desk);
    const { page } = desk;
    await page.locator('tr[data-app="shop"]').getByText('Running').waitFor({ timeout: 30_000 });
    await page.locator('tr[data-app="shop"]').getByRole('button', { name: 'shop', exact: true }).click();
    await page.locator('[data-tab="overview"]').waitFor();
    // Something for the events list: a worker crash, then a graceful recycle; then the traffic the charts show.
    await traffic(desk, 2);
    await desk.request('shop', '/crash').catch(() => undefined);
    await traffic(desk, 3);
    await desk.service.engine.getApp('shop')?.recycle('server.js changed');
    await traffic(desk, scheme === 'light' ? TRAFFIC_SECONDS : 15);
    await page.getByTestId('nav-apps').click();
    await page.locator('tr[data-app="billing"]').getByText('Errored').waitFor({ timeout: 30_000 }).catch(() => undefined);
    await shoot(desk, `apps${suffix}`);
    await page.locator('tr[data-app="shop"]').getByRole('button', { name: 'shop', exact: true }).click();
    await traffic(desk, 3);
    await shoot(desk, `app-overview${suffix}`);
    if (scheme === 'dark') continue;
    await page.locator('[data-tab="logs"]').click();
    await traffic(desk, 3);
    await page.locator('[data-testid="log-list"] .row.json').last().click().catch(() => undefined);
    await shoot(desk, 'app-logs');
    // The app that failed to start: the banner with the crash's output, and the engine's history of it.
    await page.evaluate(`location.hash = '#/apps/billing'`);
    await page.getByTestId('app-problem').waitFor({ timeout: 30_000 }).catch(() => undefined);
    await shoot(desk, 'app-errored');
    // The smallest supported window: the figures fold into the app's row.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.evaluate(`location.hash = '#/apps'`);
    await page.locator('tr[data-app="shop"]').waitFor();
    await shoot(desk, 'apps-1024');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(`location.hash = '#/apps/shop/logs'`);
    await page.locator('[data-tab="debugging"]').click();
    const toggle = page.getByTestId('debug-toggle');
    // debug.info answers first: either the engine debugs through the API, or the panel says it cannot yet.
    await new Promise((r) => setTimeout(r, 1000));
    if ((await page.getByTestId('debug-unavailable').count()) === 0 && !(await toggle.isDisabled())) {
      await toggle.click();
      await page.getByTestId('inspector-url').waitFor({ timeout: 30_000 }).catch(() => undefined);
    }
    await shoot(desk, 'app-debugging');
    await page.locator('[data-tab="settings"]').click();
    // The environment variables editor: the file's variables (masked), and one being added.
    const env = page.getByTestId('env-editor');
    await env.locator('li.row[data-env="PAYMENT_API_KEY"]').waitFor({ timeout: 30_000 });
    await env.getByTestId('env-add').click();
    await env.locator('li.row').last().getByTestId('env-name').fill('FEATURE_FLAGS');
    await env.locator('li.row').last().getByTestId('env-value').fill('new-checkout');
    await page.locator('[data-setting="nodeProcessCountPerApplication"] input').fill('3');
    await shoot(desk, 'app-settings');
    await page.getByTestId('nav-settings').click();
    await shoot(desk, 'settings');
  } finally {
    await desk.stop();
  }
}
