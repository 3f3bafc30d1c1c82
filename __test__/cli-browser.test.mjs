import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, openPage } from './helpers/page.mjs';
import { testWithTool } from './helpers/tools.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const example = fileURLToPath(new URL('../examples/cpu-hot.mjs', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

const chromiumTool = { available: existsSync(CHROMIUM), missing: `${CHROMIUM} is absent (apt-get install -y chromium)` };

testWithTool('the flame graph page shows the hot function widest, zooms on click, searches', chromiumTool, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-page-'));
  const run = spawnSync(process.execPath, [cli, 'run', '--out', join(dir, 'out'), '--format', 'html', example, '1200'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(run.status, 0, run.stderr);
  const { page, errors, requests } = await openPage(t, join(dir, 'out', 'profile.html'));

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
  // Where the function starts, with its column (the frame's line is the one executing).
  t.regex(await page.textContent('#tip'), /function starts at \S*cpu-hot\.mjs:6:\d+/);
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
  t.true(
    requests.every((u) => u.startsWith('file:')),
    `no network: ${requests.join(', ')}`,
  );
});

// Two phases one after the other, both called from `main`, one of them also from `other`.
const PHASES = `
function busy(ms) { const e = performance.now() + ms; let x = 0; while (performance.now() < e) x += Math.sqrt(x + 1); return x; }
function phaseEarly() { return busy(500); }
function phaseLate() { return busy(500); }
function other() { return phaseLate(); }
function main() { phaseEarly(); phaseLate(); other(); }
main();
`;

testWithTool(
  'the page: sandwich of a function, a time axis in time order, keyboard and wheel zoom, colour by package',
  chromiumTool,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferroprof-page-'));
    writeFileSync(join(dir, 'phases.js'), PHASES);
    const run = spawnSync(
      process.execPath,
      [cli, 'run', '--hz', '199', '--out', join(dir, 'out'), '--format', 'html', 'phases.js'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    t.is(run.status, 0, run.stderr);
    const { page, errors, requests } = await openPage(t, join(dir, 'out', 'profile.html'));

    // The numbers add up: duration = busy + idle + not sampled, in the status line too.
    const times = await page.evaluate(() => window.__ferroprof.times());
    t.true(Math.abs(times.durationNs - (times.busyNs + times.idleNs + times.notSampledNs)) < 1e3);
    t.regex(await page.textContent('#status'), / = busy .* \+ idle .* \+ not sampled /);

    // Colour by package: the script's frames are "app", Node's internals "node:", in different colours.
    const bars = await page.evaluate(() => window.__ferroprof.bars());
    const app = bars.find((b) => b.name === 'phaseLate');
    t.is(app.package, 'app');
    const internal = bars.find((b) => b.package === 'node:');
    t.truthy(internal, 'some node: frames are drawn');
    t.not(app.color, internal.color);
    t.truthy(await page.$('#legend .pkg[data-package="app"]'));

    // Sandwich of phaseLate, chosen by clicking its row: callers main and other, callees busy.
    await page.click('.self-row[data-function="busy"]');
    t.is((await page.evaluate(() => window.__ferroprof.state())).sandwich, 'busy');
    t.true(await page.evaluate(() => window.__ferroprof.sandwich('phaseLate')));
    t.is((await page.evaluate(() => window.__ferroprof.state())).mode, 'sandwich');
    const sandwich = await page.evaluate(() => window.__ferroprof.bars());
    const callers = sandwich.filter((b) => b.part === 'callers');
    const callees = sandwich.filter((b) => b.part === 'callees');
    t.is(callers[0].name, 'phaseLate', 'the function heads its callers');
    const callerNames = new Set(callers.filter((b) => b.y === callers[0].y + callers[0].h).map((b) => b.name));
    t.deepEqual([...callerNames].sort(), ['main', 'other']);
    t.is(callees[0].name, 'phaseLate');
    t.true(callees.some((b) => b.name === 'busy' && b.y === callees[0].y + callees[0].h));
    t.false(
      sandwich.some((b) => b.name === 'phaseEarly'),
      'unrelated functions are not in the sandwich',
    );
    t.regex(await page.textContent('#status'), /sandwich of phaseLate/);

    // Time order under a time axis: phaseEarly's bar comes before phaseLate's first one.
    await page.click('#mode-time');
    const axis = await page.evaluate(() => window.__ferroprof.axis());
    t.true(axis.length >= 3, JSON.stringify(axis));
    t.true(
      axis.every((a) => /^\d+(\.\d)? (s|ms|\u00b5s)$/.test(a.label)),
      JSON.stringify(axis),
    );
    for (let i = 1; i < axis.length; i++) t.true(axis[i].us > axis[i - 1].us && axis[i].x > axis[i - 1].x);
    const timeBars = await page.evaluate(() => window.__ferroprof.bars());
    const first = (name) => Math.min(...timeBars.filter((b) => b.name === name).map((b) => b.x));
    t.true(first('phaseEarly') < first('phaseLate'), 'phases in the order they ran');
    t.true(first('other') > first('phaseEarly'));

    // Keyboard zoom: '+' narrows the view (the bars widen, the axis steps shrink), '0' resets.
    const wide = Math.max(...timeBars.filter((b) => b.name === 'phaseEarly').map((b) => b.w));
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    const zoomed = await page.evaluate(() => window.__ferroprof.state());
    t.true(zoomed.view[1] - zoomed.view[0] < 0.5, JSON.stringify(zoomed.view));
    const axisZoomed = await page.evaluate(() => window.__ferroprof.axis());
    t.true(axisZoomed[1].us - axisZoomed[0].us < axis[1].us - axis[0].us, 'finer ticks when zoomed');
    await page.keyboard.press('ArrowRight');
    const panned = await page.evaluate(() => window.__ferroprof.state());
    t.true(panned.view[0] > zoomed.view[0], 'the arrow key pans');
    await page.keyboard.press('0');
    t.deepEqual((await page.evaluate(() => window.__ferroprof.state())).view, [0, 1]);
    // Wheel zoom in the flame graph.
    await page.click('#mode-flame');
    const box = await page.locator('#fg').boundingBox();
    await page.mouse.move(box.x + 100, box.y + 10);
    await page.mouse.wheel(0, -400);
    const wheeled = await page.evaluate(() => window.__ferroprof.state());
    t.true(wheeled.view[1] - wheeled.view[0] < 0.9, JSON.stringify(wheeled.view));
    t.true(wide > 0);

    mkdirSync(artifacts, { recursive: true });
    await page.keyboard.press('0');
    await page.evaluate(() => window.__ferroprof.sandwich('phaseLate'));
    await page.screenshot({ path: join(artifacts, 'sandwich.png'), fullPage: true });
    t.deepEqual(errors, []);
    t.true(
      requests.every((u) => u.startsWith('file:')),
      `no network: ${requests.join(', ')}`,
    );
  },
);
