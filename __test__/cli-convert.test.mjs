import test from 'ava';
import Ajv from 'ajv';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import {
  ModelBuilder,
  addWindowProfile,
  computeTop,
  loadProfile,
  chunkEnvelope,
  parseEnvelope,
  toPprof,
  toSpeedscope,
  addPprof,
  addSpeedscope,
  formatTop,
  packageOf,
} from '../dist/cli-lib.js';
import { testWithTool } from './helpers/tools.mjs';

const fixtures = fileURLToPath(new URL('../crates/core/tests/fixtures/valid/', import.meta.url));
const schemaPath = fileURLToPath(new URL('../schemas/speedscope-file-format-schema.json', import.meta.url));
const fixture = (name) => join(fixtures, name);
const tmp = () => mkdtempSync(join(tmpdir(), 'ferroprof-test-'));
const names = (model, thread) => thread.samples.map((s) => s.stack.map((f) => model.frames[f].function).join('<'));

test('v2 profile_chunk: unix-second timestamps, string thread ids, names from metadata', (t) => {
  const model = loadProfile(fixture('profile-chunk-v2-two-threads-measurements.json'));
  t.deepEqual(
    model.threads.map((th) => [th.id, th.name]),
    [
      ['0', 'main'],
      ['1', 'worker'],
    ],
  );
  t.is(model.startUnixNs, 1795694400e9);
  t.is(model.durationNs, 20e6);
  t.deepEqual(names(model, model.threads[0]), ['getUsers<main', 'query<getUsers<main', 'getUsers<main']);
  t.deepEqual(
    model.threads[1].samples.map((s) => s.timestampNs),
    [1e6, 11e6],
  );
  t.is(model.frames.find((f) => f.function === 'query').lineno, 210);
});

test('v1 profile: elapsed_since_start_ns as strings and integers, legacy fields', (t) => {
  const minimal = loadProfile(fixture('profile-v1-minimal.json'));
  t.is(minimal.threads.length, 1);
  t.deepEqual(
    minimal.threads[0].samples.map((s) => s.timestampNs),
    [0, 10e6],
  );
  t.is(minimal.startUnixNs, Date.parse('2026-11-26T12:00:00.000Z') * 1e6);

  const legacy = loadProfile(fixture('profile-v1-idle-edges-legacy-fields.json'));
  const main = legacy.threads.find((th) => th.id === '0');
  t.is(main.samples.length, 4);
  t.is(main.samples[0].stack.length, 0, 'idle sample kept as an empty stack');
  t.truthy(legacy.threads.find((th) => th.id === '7'));

  const anon = loadProfile(fixture('profile-v1-no-thread-metadata.json'));
  t.is(anon.threads[0].name, 'main');
  const two = loadProfile(fixture('profile-v1-two-threads.json'));
  t.deepEqual(
    two.threads.map((th) => th.name),
    ['main', 'worker'],
  );
});

test('envelopes: with length, without length, and gzip (by name and by magic bytes)', (t) => {
  const withProfile = loadProfile(fixture('transaction-with-profile.envelope'));
  t.deepEqual(
    withProfile.threads[0].samples.map((s) => s.timestampNs),
    [0, 10e6, 20e6],
  );
  const chunk = loadProfile(fixture('profile-chunk.envelope'));
  t.is(chunk.threads[0].samples.length, 3);
  const gz = loadProfile(fixture('profile-chunk.envelope.gz'));
  t.deepEqual(gz, chunk);
  const dir = tmp();
  copyFileSync(fixture('profile-chunk.envelope.gz'), join(dir, 'renamed.envelope'));
  t.deepEqual(loadProfile(join(dir, 'renamed.envelope')), chunk);
  // An envelope with a transaction only has nothing to show.
  t.throws(() => loadProfile(fixture('transaction-continuous-profiler-id.envelope')), { message: /no profile or profile_chunk/ });
});

test('chunks of one profiler_id in a folder are joined in time order', (t) => {
  const base = JSON.parse(readFileSync(fixture('profile-chunk-v2-minimal.json'), 'utf8'));
  const dir = tmp();
  mkdirSync(join(dir, 'nested'));
  // The later chunk is written first, in another folder: order comes from timestamps.
  const later = structuredClone(base);
  later.chunk_id = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  later.profile.samples = later.profile.samples.map((s) => ({ ...s, timestamp: s.timestamp + 60 }));
  writeFileSync(join(dir, 'a.json'), JSON.stringify(later));
  writeFileSync(join(dir, 'nested', 'b.json'), JSON.stringify(base));
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const model = loadProfile(dir);
  t.is(model.threads.length, 1);
  t.deepEqual(
    model.threads[0].samples.map((s) => s.timestampNs),
    [0, 10e6, 60e9, 60.01e9],
  );
  t.is(model.durationNs, 60.01e9);

  // A second profiler session keeps its own threads.
  const other = structuredClone(base);
  other.profiler_id = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  writeFileSync(join(dir, 'c.json'), JSON.stringify(other));
  const mixed = loadProfile(dir);
  t.is(mixed.threads.length, 2);
  t.true(mixed.threads.some((th) => th.name === 'main (bbbbbbbb)'));
});

test('low-level WindowProfile JSON converts with monotonic times made wall-clock', (t) => {
  const builder = new ModelBuilder();
  addWindowProfile(builder, {
    id: 1,
    complete: true,
    activeThreadId: 0,
    startNs: 5_000_000,
    endNs: 50_000_000,
    startUnixMs: 1_700_000_000_000,
    frames: [
      { function: 'a', abs_path: '/x.js', lineno: 3 },
      { function: 'b', abs_path: '/x.js', lineno: 9 },
    ],
    stacks: [[1, 0], []],
    samples: [
      { tsNs: 15_000_000, threadId: 0, stackId: 0, state: 'js' },
      { tsNs: 25_000_000, threadId: 4, stackId: 0, state: 'js' },
      { tsNs: 35_000_000, threadId: 0, stackId: 1, state: 'idle' },
    ],
    threadNames: { 0: 'main', 4: 'worker 4' },
  });
  const model = builder.build();
  t.is(model.startUnixNs, 1_700_000_000_000e6 + 10e6);
  t.deepEqual(
    model.threads.map((th) => th.name),
    ['main', 'worker 4'],
  );
  t.deepEqual(
    model.threads[0].samples.map((s) => s.timestampNs),
    [0, 20e6],
  );
  const top = computeTop(model);
  t.is(top.bySelf[0].function, 'b');
  t.is(top.bySelf[0].location, '/x.js:9');
  t.is(top.byTotal[0].totalNs, top.byTotal[1].totalNs);
});

test('the envelope export carries the profile_chunk items as they were encoded, and reads back into the same samples', (t) => {
  const source = fixture('profile-chunk-v2-two-threads-measurements.json');
  const model = loadProfile(source);
  const bytes = chunkEnvelope(source, { name: 'ferroprof.node', version: '1.2.3' });
  const envelope = parseEnvelope(bytes);
  t.is(envelope.items.length, 1);
  t.is(envelope.items[0].header.type, 'profile_chunk');
  t.is(envelope.items[0].header.length, envelope.items[0].payload.length);
  t.deepEqual(JSON.parse(Buffer.from(envelope.items[0].payload).toString()), JSON.parse(readFileSync(source, 'utf8')));
  t.deepEqual(envelope.header.sdk, { name: 'ferroprof.node', version: '1.2.3' });
  const dir = tmp();
  writeFileSync(join(dir, 'x.envelope'), bytes);
  const back = loadProfile(join(dir, 'x.envelope'));
  t.deepEqual(
    back.threads.map((th) => names(back, th)),
    model.threads.map((th) => names(model, th)),
  );
  t.deepEqual(
    back.threads.map((th) => th.samples.map((s) => s.timestampNs)),
    model.threads.map((th) => th.samples.map((s) => s.timestampNs)),
  );
  // Transaction profiles and window JSON have no chunk form: refused, not re-encoded.
  t.throws(() => chunkEnvelope(fixture('profile-v1-minimal.json'), { name: 'x', version: '0' }), {
    message: /profile_chunk items only; this is a transaction profile/,
  });
});

test('the speedscope export validates against the shipped schema', (t) => {
  const ajv = new Ajv({ strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  const file = toSpeedscope(loadProfile(fixture('profile-v1-two-threads.json')));
  t.true(validate(file), JSON.stringify(validate.errors));
  t.is(file.profiles.length, 2);
  // Root first, as speedscope expects.
  t.deepEqual(
    file.profiles[0].samples[1].map((i) => file.shared.frames[i].name),
    ['main', 'getUsers', 'query'],
  );
  // And the validator is not a rubber stamp.
  t.false(validate({ ...file, profiles: [{ ...file.profiles[0], type: 'sampledd' }] }));
});

function goAvailable() {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

const goTool = { available: goAvailable(), missing: '`go` is not on PATH (install Go to run the `go tool pprof` check)' };

testWithTool('the pprof export is read by `go tool pprof -top` with the same top function', goTool, (t) => {
  // A profile where `hot` clearly has the most self time.
  const builder = new ModelBuilder();
  const main = builder.frame({ function: 'main', abs_path: '/app/main.js', lineno: 1 });
  const hot = builder.frame({ function: 'hot', abs_path: '/app/hot.js', lineno: 10 });
  const warm = builder.frame({ function: 'warm', abs_path: '/app/warm.js', lineno: 20 });
  for (let i = 0; i < 300; i++) {
    const stack = i % 10 < 7 ? [hot, main] : i % 10 < 9 ? [warm, main] : [main];
    builder.sample('0', 'main', 1.7e12, i * 10e6, stack);
  }
  const model = builder.build();
  const dir = tmp();
  const file = join(dir, 'profile.pb.gz');
  writeFileSync(file, toPprof(model));
  t.true(gunzipSync(readFileSync(file)).length > 0);
  const out = execFileSync('go', ['tool', 'pprof', '-top', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 110_000,
  });
  const rows = out.split('\n').filter((l) => /^\s*[\d.]+\w*s\s+[\d.]+%/.test(l));
  t.true(rows.length >= 3, out);
  const pprofTop = rows[0].trim().split(/\s+/).slice(5).join(' ');
  t.is(pprofTop, computeTop(model).bySelf[0].function);
  t.is(pprofTop, 'hot');
  t.regex(out, /Type: cpu/);
  t.regex(out, /Duration: 2\.99s/);
});

/** A model with one thread: samples at the given ms, stacks of frame names (leaf first, [] = idle). */
function modelOf(samples) {
  const b = new ModelBuilder();
  const frames = {
    work: b.frame({ function: 'work', abs_path: '/app/work.js', lineno: 3 }),
    main: b.frame({ function: 'main', abs_path: '/app/main.js', lineno: 1 }),
    closeWindow: b.frame({ function: 'closeWindow', abs_path: '/app/node_modules/ferroprof/dist/chunk-x.js', lineno: 9 }),
    minSampleSpacingMs: b.frame({ function: 'minSampleSpacingMs' }),
  };
  for (const [ms, names] of samples)
    b.sample(
      '0',
      'main',
      1_700_000_000_000,
      ms * 1e6,
      names.map((n) => frames[n]),
    );
  return b.build();
}

test("top: each thread's duration is busy + idle + not sampled; ferroprof's own frames are left out of the tables", (t) => {
  const samples = [];
  // 10 ms period: 50 busy samples, 20 idle, then a 300 ms gap, then 30 busy (4 in ferroprof).
  for (let i = 0; i < 50; i++) samples.push([i * 10, ['work', 'main']]);
  for (let i = 50; i < 70; i++) samples.push([i * 10, []]);
  for (let i = 0; i < 30; i++)
    samples.push([990 + i * 10, i < 4 ? ['minSampleSpacingMs', 'closeWindow', 'main'] : ['work', 'main']]);
  const model = modelOf(samples);
  const top = computeTop(model);
  const [main] = top.threads;
  t.is(main.durationNs, 990e6 + 290e6 + 10e6);
  t.is(main.busyNs, 80 * 10e6);
  t.is(main.idleNs, 20 * 10e6);
  t.is(main.notSampledNs, main.durationNs - main.busyNs - main.idleNs);
  t.is(main.notSampledNs, 290e6);
  t.is(top.ownNs, 4 * 10e6);
  const rows = [...top.bySelf, ...top.byTotal].map((r) => r.function);
  t.false(rows.includes('closeWindow'));
  t.false(rows.includes('minSampleSpacingMs'));
  t.is(top.byTotal[0].function, 'main');
  t.is(top.byTotal[0].totalNs, 80 * 10e6, "own frames' time stays in the caller's total");
  const text = formatTop(model);
  t.regex(text, /main \(thread 0\): 1\.29 s = busy 800\.0 ms \+ idle 200\.0 ms \+ not sampled 290\.0 ms \(100 samples\)/);
  t.regex(text, /ferroprof's own code: 40\.0 ms/);
});

test('top 10 shows 10 rows when there are 10 functions or more', (t) => {
  const b = new ModelBuilder();
  const fs = Array.from({ length: 14 }, (_, i) => b.frame({ function: `f${i}`, abs_path: '/app/x.js', lineno: i + 1 }));
  for (let i = 0; i < 200; i++) b.sample('0', 'main', 1_700_000_000_000, i * 1e7, [fs[i % 14]]);
  const text = formatTop(b.build());
  const section = (heading) => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith(heading));
    const end = lines.findIndex((l, i) => i > at && l === '');
    return lines.slice(at + 2, end < 0 ? undefined : end);
  };
  t.is(section('top 10 by self time').length, 10);
  t.is(section('top 10 by total time').length, 10);
});

test('speedscope and pprof exports read back into the same functions and threads', (t) => {
  const samples = [];
  for (let i = 0; i < 40; i++) samples.push([i * 10, i % 4 === 0 ? ['main'] : ['work', 'main']]);
  const model = modelOf(samples);
  const fromSpeedscope = new ModelBuilder();
  addSpeedscope(fromSpeedscope, JSON.parse(JSON.stringify(toSpeedscope(model))), 'x.speedscope.json');
  const fromPprof = new ModelBuilder();
  addPprof(fromPprof, gunzipSync(toPprof(model)), 'x.pb.gz');
  for (const back of [fromSpeedscope.build(), fromPprof.build()]) {
    t.deepEqual(
      back.threads.map((th) => [th.id, th.name, th.samples.length]),
      [['0', 'main', 40]],
    );
    const top = computeTop(back);
    t.is(top.bySelf[0].function, 'work');
    t.is(top.bySelf[0].location, '/app/work.js:3');
    t.is(top.bySelf[0].selfSamples, 30);
  }
});

test('the page colours by package: app, each node_modules package, node:, native and V8', (t) => {
  t.is(packageOf({ function: 'f', abs_path: '/srv/app/src/x.js' }), 'app');
  t.is(packageOf({ function: 'f', abs_path: 'file:///srv/app/node_modules/acorn/dist/acorn.mjs' }), 'acorn');
  t.is(packageOf({ function: 'f', abs_path: '/srv/node_modules/a/node_modules/@babel/parser/lib/index.js' }), '@babel/parser');
  t.is(packageOf({ function: 'f', abs_path: 'node:internal/modules/cjs/loader' }), 'node:');
  t.is(packageOf({ function: '(garbage collector)' }), 'v8');
  t.is(packageOf({ function: 'sqrt' }), 'native');
});
