// The flame page's source panel, on what ships: a TypeScript program compiled by tsc,
// profiled by `ferroprof run`; clicking the leaf's bar shows its .ts lines (from the
// source map's sourcesContent) with the self time of its two hot lines in proportion.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { CHROMIUM, openPage } from './helpers/page.mjs';
import { testWithTool } from './helpers/tools.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = join(root, '__test__', 'fixtures', 'source-lines');
const lineOf = (marker) =>
  readFileSync(join(fixture, 'app.ts'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker)) + 1;

const chromiumTool = { available: existsSync(CHROMIUM), missing: `${CHROMIUM} is absent (apt-get install -y chromium)` };

testWithTool("the page shows the selected function's .ts lines with self and total time per line", chromiumTool, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-source-page-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(fixture, 'tsconfig.json'), '--outDir', join(dir, 'js')], {
    timeout: 100_000,
  });
  // The .ts sources are not next to the output: the text must come from sourcesContent
  // or the map's paths, which point back at the fixture.
  await run(
    process.execPath,
    [
      join(root, 'dist', 'cli.js'),
      'run',
      '--hz',
      '499',
      '--out',
      join(dir, 'out'),
      '--format',
      'html',
      join(dir, 'js', 'app.js'),
      '2000',
    ],
    { timeout: 90_000 },
  );

  const { page, errors } = await openPage(t, join(dir, 'out', 'profile.html'));

  const hotA = lineOf('HOT-A');
  const hotB = lineOf('HOT-B');
  const bars = await page.evaluate(() => window.__ferroprof.bars());
  const bar = bars.find((b) => b.name === 'compute' && b.location.endsWith(`source-lines/app.ts:${hotA}`) && b.w > 2);
  t.truthy(bar, 'a bar for compute at its first hot line');
  const box = await page.locator('#fg').boundingBox();
  await page.mouse.click(box.x + bar.x + bar.w / 2, box.y + bar.y + bar.h / 2);
  await page.waitForSelector('#source', { state: 'visible' });

  const shown = await page.evaluate(() => window.__ferroprofSource.shown());
  t.is(shown.name, 'compute');
  t.true(shown.path.endsWith('source-lines/app.ts'));
  const row = (line) => shown.rows.find((r) => r.line === line);
  t.regex(row(hotA).text, /HOT-A/, "the line's own text");
  t.regex(row(hotB).text, /HOT-B/);
  const ratio = row(hotA).selfNs / row(hotB).selfNs;
  t.log(`self per line: ${hotA}: ${row(hotA).selfNs} ns, ${hotB}: ${row(hotB).selfNs} ns, ratio ${ratio.toFixed(2)} (work 3:1)`);
  t.true(ratio > 1.8 && ratio < 5);
  t.true(row(hotA).totalNs >= row(hotA).selfNs);
  t.regex(await page.textContent('#source-title'), /compute .*app\.ts/);
  t.deepEqual(errors, []);
});
