// Source-level profiles, end to end on what ships: a TypeScript program compiled by tsc,
// and bundled by esbuild with minified identifiers, and its JavaScript twin bundled by
// webpack and rollup, profiled by `ferroprof run`. Every output names the original
// files, the original function names, the two call sites of a caller and the two hot
// lines of a leaf in the proportion of the work done there.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import test from 'ava';

import { L, fixture, lineOf, weightOf, writeJsTwin } from './helpers/source-lines.mjs';
import { testWithTool } from './helpers/tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const bin = (name) => join(root, 'node_modules', '.bin', name);
// Asynchronous, so ava hears from each test while the others' children run.
const run = promisify(execFile);

/** The original files of the TypeScript fixture, as frames name them (suffixes). */
const TS_FILES = { app: '/source-lines/app.ts', other: '/source-lines/other.ts' };

/**
 * webpack in a project folder with its sources in src/ and the bundle in dist/: the map
 * names `webpack:///./src/app.js`, which must come back as the real path.
 */
async function webpackBuild(dir, mode) {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  const files = writeJsTwin(join(project, 'src'));
  const { default: webpack } = await import('webpack');
  const config = {
    mode,
    devtool: 'source-map',
    target: 'node',
    context: project,
    entry: './src/app.js',
    output: { path: join(project, 'dist'), filename: 'bundle.js' },
  };
  await new Promise((done, fail) =>
    webpack(config, (err, stats) => (err || stats.hasErrors() ? fail(err ?? new Error(stats.toString())) : done())),
  );
  const map = JSON.parse(readFileSync(join(project, 'dist', 'bundle.js.map'), 'utf8'));
  if (!map.sources.some((s) => s.startsWith('webpack://') && s.endsWith('/src/app.js')))
    throw new Error(`unexpected sources ${map.sources}`);
  return { script: join(project, 'dist', 'bundle.js'), files };
}

/** Each build returns the script to run and the original files its frames must name. */
const builds = {
  tsc: async (dir) => {
    await run(bin('tsc'), ['-p', join(fixture, 'tsconfig.json'), '--outDir', dir], { timeout: 100_000 });
    return { script: join(dir, 'app.js'), files: TS_FILES };
  },
  'esbuild --minify-identifiers': async (dir) => {
    const out = join(dir, 'bundle.js');
    await run(bin('esbuild'), [
      join(fixture, 'app.ts'),
      '--bundle',
      '--minify-identifiers',
      '--sourcemap',
      '--platform=node',
      `--outfile=${out}`,
    ]);
    return { script: out, files: TS_FILES };
  },
  // A project folder with its sources in src/ and the bundle in dist/: the map names
  // `webpack://<project>/./src/app.js`, which must come back as the real path.
  'webpack (webpack:// sources)': (dir) => webpackBuild(dir, 'development'),
  // rollup renames other.js's `compute` (two in one scope): the map's names undo it.
  rollup: async (dir) => {
    const { rollup } = await import('rollup');
    mkdirSync(join(dir, 'src'));
    const files = writeJsTwin(join(dir, 'src'));
    const bundle = await rollup({ input: files.app });
    const out = join(dir, 'bundle.mjs');
    await bundle.write({ file: out, format: 'es', sourcemap: true });
    await bundle.close();
    if (!/function compute\$1\b/.test(readFileSync(out, 'utf8'))) throw new Error('rollup did not rename the second compute');
    return { script: out, files };
  },
};

/** Runs the script under `ferroprof run`; returns the outputs. */
async function profile(script) {
  const out = join(dirname(script), 'out');
  const r = await run(
    process.execPath,
    [cli, 'run', '--hz', '499', '--out', out, '--format', 'speedscope,pprof,html', script, '2500'],
    { timeout: 90_000 },
  );
  return { out, stderr: r.stderr, speedscope: JSON.parse(readFileSync(join(out, 'profile.speedscope.json'), 'utf8')) };
}

/** The 1-based lines of the generated `script` that its source map maps. */
async function generatedLines(script) {
  const { TraceMap, eachMapping } = await import('@jridgewell/trace-mapping');
  const map = new TraceMap(readFileSync(`${script}.map`, 'utf8'));
  const lines = new Set();
  eachMapping(map, (m) => {
    if (m.source !== null) lines.add(m.generatedLine);
  });
  return lines;
}

const at = (name, file, line) => (f) =>
  f.name === name && f.file?.endsWith(file.startsWith('/') ? file : `/source-lines/${file}`) && f.line === line;

for (const [kind, build] of Object.entries(builds)) {
  test(`${kind}: frames name the original files, functions, call sites and hot lines`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferroprof-lines-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { script, files } = await build(dir);
    const { speedscope, stderr, out } = await profile(script);
    const total = weightOf(speedscope, () => true, false);
    t.true(total > 0);

    // The leaf's two hot lines: 3n and n iterations of the same statement.
    const hotA = weightOf(speedscope, at('compute', files.app, L.hotA), true);
    const hotB = weightOf(speedscope, at('compute', files.app, L.hotB), true);
    t.log(`${kind}: compute@${L.hotA} ${hotA}, compute@${L.hotB} ${hotB}, ratio ${(hotA / hotB).toFixed(2)} (work 3:1)`);
    t.true(hotB > 0 && hotA / hotB > 1.8 && hotA / hotB < 5, `hot lines ${hotA}:${hotB}`);

    // The caller's two call sites: compute(3n) and compute(n).
    const callA = weightOf(speedscope, at('dispatch', files.app, L.callA), false);
    const callB = weightOf(speedscope, at('dispatch', files.app, L.callB), false);
    t.log(`${kind}: dispatch@${L.callA} ${callA}, dispatch@${L.callB} ${callB}, ratio ${(callA / callB).toFixed(2)} (work 3:1)`);
    t.true(callB > 0 && callA / callB > 1.8 && callA / callB < 5, `call sites ${callA}:${callB}`);

    // The other file's `compute` stays apart from app.ts's.
    const other = weightOf(speedscope, at('compute', files.other, L.other), true);
    t.true(other > 0, "the other file's compute has its own frames");

    // `top` (printed by run) names the original file, the original function names and
    // the line where each function starts (its rows add up all its lines).
    const appName = files.app.split('/').pop().replace('.', '\\.');
    t.regex(stderr, new RegExp(`compute\\s.*${appName}:${L.compute}\\)`));
    t.regex(stderr, new RegExp(`compute\\s.*${files.other.split('/').pop().replace('.', '\\.')}:${L.otherCompute}\\)`));
    // The flame page names the lines.
    const html = readFileSync(join(out, 'profile.html'), 'utf8');
    t.true(html.includes(`${files.app}:${L.hotA}`) && html.includes(`${files.other}:${L.other}`));

    // A row may name the generated file only where its map has no mapping: the
    // bundler's or compiler's own code (esbuild's export helpers, tsc's prologue),
    // which a sample on a loaded machine can catch. Those rows hold a sliver of the time.
    const generated = await generatedLines(script);
    const rows = stderr.split('\n').filter((l) => l.includes('%'));
    const named = rows.filter((r) => r.includes(script) && /:\d+\)$/.test(r));
    for (const r of named) {
      const line = Number(/:(\d+)\)$/.exec(r)[1]);
      t.false(generated.has(line), `${r.trim()}: line ${line} of the generated file has a mapping`);
      t.true(Number(/([\d.]+)%/.exec(r)[1]) < 1, `${r.trim()}: more than 1% of the time in unmapped code`);
    }
  });
}

// A fully minified one-line bundle: V8's lines are all 1 and its only column is where
// each function starts, so frames get their original file, function name and first
// line (no call sites, no hot lines), and same-named functions stay apart.
test('esbuild --minify (one line, inline map): original files, names and function lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'bundle.js');
  await run(bin('esbuild'), [
    join(fixture, 'app.ts'),
    '--bundle',
    '--minify',
    '--sourcemap=inline',
    '--platform=node',
    `--outfile=${script}`,
  ]);
  t.is(readFileSync(script, 'utf8').trim().split('\n').length, 2, 'code on one line, then the map comment');
  const { speedscope } = await profile(script);
  const start = (file, marker) => lineOf(file, marker);
  const app = weightOf(speedscope, at('compute', 'app.ts', start('app.ts', 'export function compute')), true);
  const other = weightOf(speedscope, at('compute', 'other.ts', start('other.ts', 'export function compute')), true);
  const dispatch = weightOf(speedscope, at('dispatch', 'app.ts', start('app.ts', 'export function dispatch')), false);
  t.log(`one line: compute app.ts ${app}, compute other.ts ${other}, dispatch ${dispatch}`);
  t.true(app > 0 && other > 0 && dispatch >= app + other);
  t.true(app / other > 1 && app / other < 6, 'app.ts compute runs 16n iterations, other.ts 8n');
});

// webpack's production build: terser renames every function without recording most
// names in the map, inlines other.js's compute as an anonymous function expression, and
// prints one line. The original names come from the original source, where the map
// puts each function's name token.
test('webpack production (terser, one line): original files and names, of an inlined function too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { script, files } = await webpackBuild(dir, 'production');
  t.is(readFileSync(script, 'utf8').trim().split('\n').length, 2, 'code on one line, then the map comment');
  const { speedscope } = await profile(script);
  const app = weightOf(speedscope, at('compute', files.app, L.compute), true);
  const other = weightOf(speedscope, at('compute', files.other, L.otherCompute), true);
  const dispatch = weightOf(speedscope, at('dispatch', files.app, L.dispatch), false);
  t.log(`webpack production: compute app.js ${app}, compute other.js ${other}, dispatch ${dispatch}`);
  t.true(app > 0 && other > 0 && dispatch >= app + other);
  t.true(app / other > 1 && app / other < 6, 'app.js compute runs 16n iterations, other.js 8n');
});

const goAvailable = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
testWithTool(
  '`go tool pprof -lines` names the .ts lines with the same proportions',
  { available: goAvailable, missing: '`go` is not on PATH (install Go to run the `go tool pprof` check)' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferroprof-lines-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { out } = await profile((await builds['esbuild --minify-identifiers'](dir)).script);
    const { stdout: text } = await run('go', ['tool', 'pprof', '-lines', '-top', '-nodecount=200', join(out, 'profile.pb.gz')], {
      timeout: 110_000,
    });
    const flat = (line) => {
      const row = text.split('\n').find((r) => r.includes(`compute`) && r.includes(`app.ts:${line}`));
      return row ? Number.parseFloat(row.trim().split(/\s+/)[0]) : 0;
    };
    const a = flat(L.hotA);
    const b = flat(L.hotB);
    t.log(`pprof -lines: compute app.ts:${L.hotA} ${a}, app.ts:${L.hotB} ${b}`);
    t.true(b > 0 && a / b > 1.8 && a / b < 5, text);
    t.regex(text, /compute .*other\.ts:\d+/);
  },
);
