import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { validateEnvelope } from '../dist/testing.js';
import { itemsOfType, parseEnvelope } from './helpers/envelopes.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const example = fileURLToPath(new URL('../examples/cpu-hot.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'ferroprof-cli-'));
const ferroprof = (args, cwd) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

/** The first function listed under a table heading of the summary. */
function firstRow(text, heading) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(heading));
  return lines[at + 2]?.trim().split(/\s+/)[4];
}

test('run profiles the example, writes every format and ranks its hot function first', (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  const r = ferroprof(['run', '--hz', '199', '--out', out, '--format', 'html,speedscope,pprof,envelope', example, '1200'], dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /cpu-hot: done/, 'the script output passes through');
  t.regex(r.stderr, /duration \d/);
  t.regex(r.stderr, /\d+ samples, 1 thread/);
  t.is(firstRow(r.stderr, 'top 10 by self time'), 'hotLoop');
  // The line that burns: the loop in hotLoop, not the line where it starts.
  t.regex(r.stderr, /hotLoop \(.*cpu-hot\.mjs:8\)/);
  for (const f of ['profile.html', 'profile.speedscope.json', 'profile.pb.gz', 'profile.envelope']) {
    t.true(existsSync(join(out, f)), f);
    t.true(r.stderr.includes(join(out, f)), `summary names ${f}`);
  }
  const html = readFileSync(join(out, 'profile.html'), 'utf8');
  t.false(/<script[^>]+src=|<link[^>]+href=|https?:\/\//.test(html), 'the page loads nothing from the network');

  // The envelope holds the chunks of the SDK's continuous profiler, as the native core
  // encoded them: Sentry's rules accept it.
  const envelopeBytes = readFileSync(join(out, 'profile.envelope'));
  t.notThrows(() => validateEnvelope(envelopeBytes));
  const chunks = itemsOfType([parseEnvelope(envelopeBytes)], 'profile_chunk');
  t.true(chunks.length >= 1);
  t.is(chunks[0].payload.client_sdk.name, 'ferroprof.node');

  // view and top read the envelope it wrote back, with the same ranking.
  const view = ferroprof(['view', '--out', join(dir, 'view'), join(out, 'profile.envelope')], dir);
  t.is(view.status, 0, view.stderr);
  t.is(firstRow(view.stdout, 'top 10 by self time'), 'hotLoop');
  t.true(existsSync(join(dir, 'view', 'profile.html')));
  const top = ferroprof(['top', out], dir);
  t.is(top.status, 0, top.stderr);
  t.is(firstRow(top.stdout, 'top 10 by self time'), 'hotLoop');
});

test('run passes the exit code through', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'three.mjs'), 'const e = performance.now() + 100; while (performance.now() < e); process.exitCode = 3;\n');
  const r = ferroprof(['run', '--out', join(dir, 'out'), 'three.mjs'], dir);
  t.is(r.status, 3, r.stderr);
  t.regex(r.stderr, /exited with code 3/);
});

test('a script that throws still gets its profile written and exits 1', (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'throws.mjs'),
    'function spin(n) { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i + x) % 3; return x; }\nconst e = Date.now() + 300;\nwhile (Date.now() < e) spin(100000);\nthrow new Error("boom");\n',
  );
  const r = ferroprof(['run', '--out', join(dir, 'out'), 'throws.mjs'], dir);
  t.regex(r.stderr, /Error: boom/);
  t.true(existsSync(join(dir, 'out', 'profile.html')), r.stderr);
  t.is(firstRow(r.stderr, 'top 10 by self time'), 'spin');
  t.is(r.status, 1, r.stderr);
});

test('bad input gives one ferroprof line and a non-zero exit, never a stack trace', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'corrupt.envelope'), '{"event_id":"x"}\n{"type":"profile_chunk","length":500}\n{"short":1}\n');
  writeFileSync(join(dir, 'garbage.envelope.gz'), 'not gzip at all');
  writeFileSync(join(dir, 'notjson.json'), '{"profile": ');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'empty', 'readme.txt'), 'nothing to see');
  const cases = [
    [['run', 'missing.js'], /cannot find script missing\.js/],
    [['run'], /run needs a script/],
    [['run', '--hz', '0', 'x.js'], /--hz must be/],
    [['run', '--format', 'png', 'x.js'], /unknown --format png/],
    [['view', 'nope.envelope'], /cannot read nope\.envelope/],
    [['view', 'corrupt.envelope'], /runs past the end/],
    [['top', 'garbage.envelope.gz'], /not valid gzip/],
    [['top', 'notjson.json'], /not valid JSON|not a ferroprof or Sentry profile/],
    [['top', 'empty'], /no envelope or profile files/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const r = ferroprof(args, dir);
    t.not(r.status, 0, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    t.regex(lines[0], /^ferroprof: /);
    t.regex(lines[0], message);
  }
});

test('--help describes each command', (t) => {
  for (const args of [['--help'], ['run', '--help'], ['view', '--help'], ['top', '--help']]) {
    const r = ferroprof(args);
    t.is(r.status, 0);
    t.regex(r.stdout + r.stderr, /Usage: ferroprof/);
  }
});
