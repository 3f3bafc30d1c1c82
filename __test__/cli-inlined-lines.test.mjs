// V8's inlining defect: V8 credits the ticks of code it inlined into a function to that
// function with the inlined code's line, which can lie outside the function or in
// another script (a loop around performance.now() gets lines of Node's internals). The
// CLI, which knows the source, shows such time at the function's own line; `top` rows
// add up a function's lines, `top --lines` gives each line its own row.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import test from 'ava';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, '__test__', 'fixtures', 'source-lines', 'inlined.mjs');
const cli = join(root, 'dist', 'cli.js');
const run = promisify(execFile);

const text = readFileSync(script, 'utf8').split('\n');
const lineOf = (marker) => text.findIndex((l) => l.includes(marker)) + 1;
/** busy's lines: from its declaration to its closing brace. */
const BUSY = { start: lineOf('export function busy'), loop: lineOf('while (performance.now()'), end: lineOf('return n;') + 1 };
/** V8's column for busy: where its parameter list begins (1-based). */
const BUSY_COL = text[BUSY.start - 1].indexOf('(') + 1;

/** A raw window profile of `ferroprof run` whose samples of `fn` carry `lines`, one sample each. */
function windowWith(lines, fn = { name: 'busy', file: script, col: BUSY_COL }) {
  const frames = lines.map((lineno) => ({
    function: fn.name,
    abs_path: fn.file,
    filename: fn.file,
    lineno,
    colno: fn.col,
    in_app: true,
  }));
  return {
    id: 1,
    complete: true,
    activeThreadId: 0,
    startNs: 0,
    endNs: lines.length * 10_000_000,
    startUnixMs: Date.now(),
    frames,
    stacks: frames.map((_, i) => [i]),
    samples: lines.map((_, i) => ({ tsNs: i * 10_000_000, threadId: 0, stackId: i, state: 'running' })),
    threadNames: { 0: 'main' },
  };
}

test('a line outside its function (V8 inlining) is shown at the function line; top adds up lines', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-inlined-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Two samples in the loop; one at a line past the end of the file, one at a line of
  // the file outside busy, one before it (lines of other scripts, as V8 reports them).
  writeFileSync(join(dir, 'window-1.json'), JSON.stringify(windowWith([BUSY.loop, BUSY.loop, 530, BUSY.end + 2, 1])));
  const byLine = spawnSync(process.execPath, [cli, 'top', '--lines', dir], { encoding: 'utf8' });
  t.is(byLine.status, 0, byLine.stderr);
  const rows = byLine.stdout.split('\n').filter((l) => l.includes('busy ('));
  const selfOf = (line) =>
    rows
      .find((r) => r.endsWith(`inlined.mjs:${line})`))
      ?.trim()
      .split(/\s+/)[1];
  t.is(selfOf(BUSY.loop), '40.0%', byLine.stdout);
  t.is(selfOf(BUSY.start), '60.0%', 'the three lines outside busy, at its declaration');
  t.true(
    rows.every((r) => r.endsWith(`:${BUSY.loop})`) || r.endsWith(`:${BUSY.start})`)),
    byLine.stdout,
  );

  // By function (the default): one row for busy, at its declaration, with all the time.
  const byFunction = spawnSync(process.execPath, [cli, 'top', dir], { encoding: 'utf8' });
  t.is(byFunction.status, 0, byFunction.stderr);
  const fnRows = byFunction.stdout.split('\n').filter((l) => l.includes('busy ('));
  t.is(fnRows.length, 2, 'one row in each table');
  t.true(
    fnRows.every((r) => r.trim().split(/\s+/)[1] === '100.0%' && r.endsWith(`inlined.mjs:${BUSY.start})`)),
    byFunction.stdout,
  );
});

test("a function's end is found past brackets in strings, templates, regular expressions, comments and a return type", (t) => {
  const file = join(root, '__test__', 'fixtures', 'source-lines', 'spans.ts');
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = (marker) => lines.findIndex((l) => l.includes(marker)) + 1;
  const start = at('export function strings');
  const last = at('STRINGS-LAST');
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-spans-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fn = { name: 'strings', file, col: lines[start - 1].indexOf('(') + 1 };
  // Its own lines stay; a line of `after` is not one of its lines.
  writeFileSync(join(dir, 'window-1.json'), JSON.stringify(windowWith([start + 1, start + 2, last, at('AFTER-BODY')], fn)));
  const r = spawnSync(process.execPath, [cli, 'top', '--lines', dir], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l.includes('strings ('));
  const shown = new Set(rows.map((row) => Number(/:(\d+)\)$/.exec(row)[1])));
  t.deepEqual(
    [...shown].sort((a, b) => a - b),
    [start, start + 1, start + 2, last],
    r.stdout,
  );
});

test('a profiled loop around performance.now(): every line of busy lies within busy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-inlined-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  await run(process.execPath, [cli, 'run', '--hz', '499', '--out', out, '--format', 'speedscope', script, '2000'], {
    timeout: 90_000,
  });
  const { shared, profiles } = JSON.parse(readFileSync(join(out, 'profile.speedscope.json'), 'utf8'));
  const byLine = new Map();
  for (const p of profiles) {
    p.samples.forEach((stack) => {
      const f = shared.frames[stack[stack.length - 1]];
      if (f.name === 'busy' && f.file === script) byLine.set(f.line, (byLine.get(f.line) ?? 0) + 1);
    });
  }
  t.log(`busy's leaf samples by line: ${JSON.stringify([...byLine])} (function ${BUSY.start}-${BUSY.end})`);
  t.true([...byLine.values()].reduce((a, b) => a + b, 0) > 20, 'busy was sampled');
  for (const line of byLine.keys()) t.true(line >= BUSY.start && line <= BUSY.end, `busy sampled at line ${line}`);
  t.true((byLine.get(BUSY.loop) ?? 0) > 0, 'the loop line has samples of its own');
});
