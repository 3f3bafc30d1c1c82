import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { testWithTool } from './helpers/tools.mjs';

const CHROMIUM = '/usr/bin/chromium';
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const example = fileURLToPath(new URL('../examples/cpu-hot.mjs', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

const chromiumTool = { available: existsSync(CHROMIUM), missing: `${CHROMIUM} is absent (apt-get install -y chromium)` };

testWithTool('the flame graph page shows the hot function widest, zooms on click, searches', chromiumTool, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-page-'));
  const run = spawnSync(process.execPath, [cli, 'run', '--out', join(dir, 'out'), '--format', 'html', example, '1200'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(run.status, 0, run.stderr);
  const page_ = pathToFileURL(join(dir, 'out', 'profile.html')).href;

  // A fresh profile folder (Playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ferroprof-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(page_);
  await page.waitForFunction(() => window.__ferroprof && window.__ferroprof.bars().length > 0);

  // The self-time bars: hotLoop's is the widest.
  const rows = await page.$$eval('.self-row', (els) =>
    els.map((el) => ({ name: el.dataset.function, width: el.querySelector('.bar').getBoundingClientRect().width })),
  );
  t.true(rows.length >= 3);
  const widest = rows.reduce((a, b) => (b.width > a.width ? b : a));
  t.is(widest.name, 'hotLoop');
  // In the flame graph too, the bar with the most self time is hotLoop's.
  const bars = await page.evaluate(() => window.__ferroprof.bars());
  const hot = bars.filter((b) => b.selfNs !== null).reduce((a, b) => (b.selfNs > a.selfNs ? b : a));
  t.is(hot.name, 'hotLoop');
  t.true(hot.w > 0.5 * Math.max(...bars.map((b) => b.w)), 'hotLoop spans most of its parent');

  // Click it: the view zooms to hotLoop, which now spans the full width.
  const box = await page.locator('#fg').boundingBox();
  await page.mouse.move(box.x + hot.x + hot.w / 2, box.y + hot.y + hot.h / 2);
  await page.waitForSelector('#tip', { state: 'visible' });
  t.regex(await page.textContent('#tip'), /hotLoop[\s\S]*cpu-hot\.mjs:8[\s\S]*self/);
  await page.mouse.click(box.x + hot.x + hot.w / 2, box.y + hot.y + hot.h / 2);
  t.is((await page.evaluate(() => window.__ferroprof.state())).zoom, 'hotLoop');
  const zoomed = await page.evaluate(() => window.__ferroprof.bars());
  const hotZoomed = zoomed.find((b) => b.name === 'hotLoop' && b.selfNs !== null);
  t.true(hotZoomed.w >= box.width - 2, `zoomed width ${hotZoomed.w} of ${box.width}`);

  // Search highlights matching bars.
  await page.click('#reset');
  await page.fill('#search', 'coolLoop');
  const state = await page.evaluate(() => window.__ferroprof.state());
  t.is(state.query, 'coolloop');
  const matched = (await page.evaluate(() => window.__ferroprof.bars())).filter((b) => b.matched);
  t.true(matched.length >= 1);
  t.true(matched.every((b) => b.name === 'coolLoop'));
  t.regex(await page.textContent('#status'), /"coolloop": \d+ bars/);

  // The time-ordered view draws too.
  await page.click('#mode-time');
  t.true((await page.evaluate(() => window.__ferroprof.bars())).some((b) => b.name === 'hotLoop'));
  await page.click('#mode-flame');
  await page.fill('#search', 'Loop');

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'flamegraph.png'), fullPage: true });
  t.deepEqual(errors, []);
  t.true(requests.every((u) => u.startsWith('file:')), `no network: ${requests.join(', ')}`);
});
