#!/usr/bin/env node
// Installs ferroprof the way a user does — from packed tarballs — and checks it profiles,
// on each supported Node line (releases from node-dists.mjs):
//
//   npm run build:all-abis && npx tsup && npm run test:pack
//   node scripts/test-packed-install.mjs --majors 22,24   # a subset (--keep: keep the temp dir)
//
//   node scripts/test-packed-install.mjs --targets linux-arm64-gnu   # one target
//
// For each target (scripts/targets.mjs: this machine's, and linux-arm64-gnu under
// qemu-user when its tools are installed) and each Node: a fresh project, `npm install`
// of the staged `ferroprof` tarball and the `@ferroprof/<platform>` tarball with no
// network (offline, an empty cache, a registry address that refuses connections) and no
// compiler (PATH holds only that Node and sh), run by that Node (an arm64 Node and its npm
// run under `qemu-aarch64-static -L <sysroot>`: binfmt_misc is not assumed). Then a
// program that profiles a named function and finds it in the profile, from the installed
// binary; one that loads the package through require(); and one on a simulated
// unsupported ABI, where loadNativeBinding() must throw NativeBindingError and profiling
// must fall back to node:inspector. Also: on a Node line with no binary at all
// (FALLBACK_MAJOR, an odd release) the same install profiles through the fallback: the
// low-level API, and the SDK's local mode with transaction profiles and continuous
// chunks, whose envelopes must pass the native validator. Last: the root tarball alone
// installs cleanly and its postinstall says what to do.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import { NODE_MAJORS, ensureNodeDist, runNpm } from './node-dists.mjs';
import { hostTarget, isNative, nodeCommand, selectTargets } from './targets.mjs';
import { stagePackage } from './stage-package.mjs';

/** A Node line no binary is built for: it must profile through the inspector fallback. */
const FALLBACK_MAJOR = 25;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majorsIdx = args.indexOf('--majors');
const majors = majorsIdx >= 0 ? args[majorsIdx + 1].split(',').map(Number) : NODE_MAJORS;
const keep = args.includes('--keep');
const HOT = 'ferroprofPackedInstallHotFunction';
// The named function every installed program profiles (the same in each of them).
const HOT_FUNCTION = `function ${HOT}(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1e4; i++) x = (x * 31 + i) | 0;
  return x;
}`;

let passed = 0;
let failed = 0;
function check(name, fn) {
  const started = Date.now();
  try {
    const detail = fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm?.endsWith('.js')) return fromNpm;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'npm'))) return realpathSync(join(dir, 'npm'));
  }
  throw new Error('npm not found on PATH');
}

/** Runs a command; returns stdout, throws with its output on a non-zero exit or a signal. */
function run(cmd, argv, options) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 180_000, ...options });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`);
    throw new Error(`${[cmd, ...argv].join(' ')} → ${why}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

// --- preconditions: the built TS and one binary per target and ABI ---
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('test:pack: dist/ is missing; run "npx tsup" (or "npm run build") first');
  process.exit(1);
}
let targets;
try {
  targets = selectTargets(args, 'testing');
} catch (err) {
  console.error(`test:pack: ${err.message}`);
  process.exit(1);
}
const host = hostTarget();
const distsOf = new Map(targets.map((t) => [t.tag, majors.map((m) => ensureNodeDist(m, t))]));
const missing = targets
  .flatMap((t) => distsOf.get(t.tag).map((d) => join(root, 'npm', t.tag, `ferroprof.${t.tag}.abi${d.abi}.node`)))
  .filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`test:pack: missing ${missing.join(', ')}; run "npm run build:all-abis" first`);
  process.exit(1);
}
const fallbackDist = ensureNodeDist(FALLBACK_MAJOR, host);
if (existsSync(join(root, 'npm', host.tag, `ferroprof.${host.tag}.abi${fallbackDist.abi}.node`))) {
  console.error(
    `test:pack: a binary for Node ${FALLBACK_MAJOR} (ABI ${fallbackDist.abi}) exists; the fallback test needs a line without one`,
  );
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'ferroprof-pack-'));
const cli = npmCli();

// --- pack ---
const stage = stagePackage(join(work, 'stage'));
const packJson = (dir) => JSON.parse(runNpm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: dir }))[0];
const rootPack = packJson(stage);
const rootTgz = join(work, rootPack.filename);
const platformTgzOf = new Map();
const hostPack = packJson(join(root, 'npm', host.tag));
platformTgzOf.set(host.tag, join(work, hostPack.filename));

check(`packed ${rootPack.filename}`, () => {
  const rootFiles = rootPack.files.map((f) => f.path);
  for (const f of [
    'dist/index.js',
    'dist/index.cjs',
    'dist/internal.js',
    'wasm/ferroprof.wasm',
    'scripts/postinstall.mjs',
    'crates/node/src/shim.cc',
  ]) {
    if (!rootFiles.includes(f)) throw new Error(`${f} is not in ${rootPack.filename}`);
  }
  if (rootFiles.some((f) => f.endsWith('.node'))) throw new Error('the root tarball carries a binary');
  return `${(rootPack.size / 1024).toFixed(0)} KiB`;
});
for (const target of targets) {
  const tag = target.tag;
  const platformPack = tag === host.tag ? hostPack : packJson(join(root, 'npm', tag));
  platformTgzOf.set(tag, join(work, platformPack.filename));
  check(`packed ${platformPack.filename}`, () => {
    const staged = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));
    if (staged.optionalDependencies?.[`@ferroprof/${tag}`] !== staged.version) {
      throw new Error(`the staged package.json lacks the optional dependency on @ferroprof/${tag}`);
    }
    const binaries = platformPack.files
      .map((f) => f.path)
      .filter((p) => p.endsWith('.node'))
      .sort();
    const wanted = distsOf.get(tag).map((d) => `ferroprof.${tag}.abi${d.abi}.node`);
    for (const w of wanted) if (!binaries.includes(w)) throw new Error(`${w} is not in the tarball`);
    return `${(platformPack.size / 1024).toFixed(0)} KiB (${binaries.join(', ')})`;
  });
}

/**
 * A bin dir holding only `node` and `sh` (npm runs lifecycle scripts with it). For a
 * cross target, `node` is a two-line script that starts the real one under qemu.
 */
function toolsDir(name, dist) {
  const dir = join(work, name);
  mkdirSync(dir);
  if (isNative(dist.target)) {
    symlinkSync(dist.node, join(dir, 'node'));
  } else {
    const argv = nodeCommand(dist.target, dist.node)
      .map((a) => `'${a}'`)
      .join(' ');
    writeFileSync(join(dir, 'node'), `#!/bin/sh\nexec ${argv} "$@"\n`, { mode: 0o755 });
  }
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

/** An environment with no network and no compiler: nothing inherited but the locale. */
function isolatedEnv(bin, home) {
  return {
    PATH: bin,
    HOME: home,
    LANG: 'C.UTF-8',
    npm_config_offline: 'true',
    npm_config_cache: join(work, 'npm-cache'), // empty: nothing can come from a cache
    npm_config_registry: 'http://127.0.0.1:9/', // discard port: any fetch would fail
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    FERROPROF_BUILD_FROM_SOURCE: '1', // a postinstall that tried to build would find no toolchain
  };
}

function newProject(name) {
  const dir = join(work, name);
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pack-${name}`, private: true, type: 'module' }));
  return dir;
}

// The samples of \`profile\` in which the hot function is on the stack. Frames carry the
// line executing in them, so one function can be several frames (one per line).
const HOT_IN_STACKS = `
const hotFrames = new Set(profile.frames.flatMap((f, i) => (f.function === '${HOT}' ? [i] : [])));
const hot = hotFrames.size > 0 ? [...hotFrames][0] : -1;
const inStacks = profile.samples.filter((s) => profile.stacks[s.stackId]?.some((f) => hotFrames.has(f))).length;
`;

const PROFILE_PROGRAM = `
import { readFileSync } from 'node:fs';
import { openWindow, startSampling, stopSampling } from 'ferroprof/sampler';
${HOT_FUNCTION}
startSampling(101);
const window = openWindow();
${HOT}(200);
const profile = await window.close();
stopSampling();
${HOT_IN_STACKS}
const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.includes('ferroprof.'));
console.log(JSON.stringify({ samples: profile.samples.length, hot, inStacks, mapped: mapped?.split(' ').pop() }));
`;

const REQUIRE_PROGRAM = `
const { startSampling, stopSampling } = require('ferroprof/sampler');
const sdk = require('ferroprof');
const transport = require('ferroprof/transport');
const testing = require('ferroprof/testing');
startSampling(101);
stopSampling();
let internal = 'exported';
try { require('ferroprof/dist/internal.js'); } catch (e) { internal = e.code; }
const mapped = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.includes('ferroprof.'));
console.log(JSON.stringify({
  mapped: mapped && mapped.split(' ').pop(),
  entries: [typeof sdk.init, typeof transport.parseEnvelope, typeof testing.validateEnvelope].join(','),
  internal,
}));
`;

const UNSUPPORTED_ABI_PROGRAM = `
Object.defineProperty(process.versions, 'modules', { value: '999' });
// The loader is private (not in the package exports): the test reaches it by file path.
const { NativeBindingError, openWindow, profilerBackend, startSampling, stopSampling } = await import('ferroprof/sampler');
const { loadNativeBinding } = await import('./node_modules/ferroprof/dist/internal.js');
try {
  loadNativeBinding();
  console.log('LOADED');
} catch (err) {
  console.log(err instanceof NativeBindingError ? 'CLEAR' : 'OTHER ' + err);
  console.log(err.message);
}
${HOT_FUNCTION}
startSampling(101);
const w = openWindow();
${HOT}(200);
const profile = await w.close();
stopSampling();
${HOT_IN_STACKS}
console.log('FALLBACK ' + JSON.stringify({ backend: profilerBackend().backend, inStacks }));
`;

// On a Node line with no binary: the low-level API, then the SDK in local mode with a
// transaction profile and continuous chunks (written as envelope files for the driver).
const FALLBACK_PROGRAM = `
import { close, getProfilerStats, init, startProfiler, startTransaction, stopProfiler } from 'ferroprof';
import { openWindow, profilerBackend, startSampling, stopSampling } from 'ferroprof/sampler';
${HOT_FUNCTION}
startSampling(101);
const w = openWindow();
${HOT}(200);
const profile = await w.close();
stopSampling();
${HOT_IN_STACKS}

init({ tracesSampleRate: 1, profilesSampleRate: 1, localDir: 'txn-out' });
const txn = startTransaction({ name: 'fallback-transaction', op: 'task' });
${HOT}(200);
txn.finish();
await close(5000);

init({ tracesSampleRate: 1, profilesSampleRate: 1, localDir: 'chunk-out', _experiments: { profilerMode: 'continuous', chunkDurationMs: 300 } });
startProfiler();
// A raw window over the same sampler: the chunks must hold each of its samples once.
const reference = openWindow();
const end = performance.now() + 1200;
while (performance.now() < end) {
  ${HOT}(10);
  await new Promise((r) => setImmediate(r));
}
const ref = await reference.close();
stopProfiler();
const backend = getProfilerStats().backend;
await close(5000);
const refUnix = ref.samples.map((s) => ref.startUnixMs / 1000 + (s.tsNs - ref.startNs) / 1e9);
console.log(JSON.stringify({ ...profilerBackend(), statsBackend: backend, samples: profile.samples.length, inStacks, refUnix }));
`;

const runners = [];
for (const target of targets) for (const dist of distsOf.get(target.tag)) runners.push(dist);

for (const dist of runners) {
  const tag = dist.target.tag;
  const platformTgz = platformTgzOf.get(tag);
  const name = `${tag}-node${dist.major}`;
  const label = `${tag} Node ${dist.version}`;
  const project = newProject(name);
  const bin = toolsDir(`${name}-bin`, dist);
  const env = isolatedEnv(bin, join(project, 'home'));
  const [cmd, ...lead] = nodeCommand(dist.target, dist.node);
  const runNode = (argv) =>
    run(cmd, [...lead, ...argv], { cwd: project, env, timeout: isNative(dist.target) ? 180_000 : 600_000 });

  check(`${label}: no compiler or cargo on PATH`, () => {
    const found = run('/bin/sh', ['-c', 'for t in cc c++ gcc g++ clang clang++ cargo rustc; do command -v $t; done; true'], {
      env,
    }).trim();
    if (found) throw new Error(`found ${found}`);
  });
  check(`${label}: npm install of both tarballs, offline`, () => {
    const out = runNode([cli, 'install', '--foreground-scripts', '--no-package-lock', rootTgz, platformTgz]);
    if (/ferroprof: /.test(out)) throw new Error(`postinstall spoke although a prebuilt fits:\n${out}`);
    const installed = join(project, 'node_modules', '@ferroprof', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    if (!existsSync(installed)) throw new Error(`${installed} was not installed`);
  });
  check(`${label} (ABI ${dist.abi}): profiles a named function`, () => {
    writeFileSync(join(project, 'profile.mjs'), PROFILE_PROGRAM);
    const result = JSON.parse(runNode(['profile.mjs']));
    if (result.hot < 0) throw new Error(`${HOT} is not among the frames (${result.samples} samples)`);
    if (result.inStacks < 5) throw new Error(`${HOT} is in only ${result.inStacks} of ${result.samples} samples`);
    const want = join('node_modules', '@ferroprof', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    if (!result.mapped?.endsWith(want)) throw new Error(`loaded ${result.mapped}, not the installed ${want}`);
    return `${result.inStacks} of ${result.samples} samples in ${HOT}`;
  });
  check(`${label}: require() of every entry point; the same binary; the loader stays private`, () => {
    writeFileSync(join(project, 'load.cjs'), REQUIRE_PROGRAM);
    const result = JSON.parse(runNode(['load.cjs']));
    const want = join('node_modules', '@ferroprof', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    if (!result.mapped?.endsWith(want)) throw new Error(`require() loaded ${result.mapped}, not the installed ${want}`);
    if (result.entries !== 'function,function,function') throw new Error(`entry points: ${result.entries}`);
    if (result.internal !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw new Error(`dist/internal.js is reachable: ${result.internal}`);
  });
  check(`${label}: unsupported ABI: NativeBindingError, profiling falls back to node:inspector`, () => {
    writeFileSync(join(project, 'abi999.mjs'), UNSUPPORTED_ABI_PROGRAM);
    // Under emulation on a loaded machine, V8's first profile can start late enough to
    // miss the 200 ms of work: a second run decides (the checks themselves stay).
    const attempts = isNative(dist.target) ? 1 : 2;
    let fallback;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const out = runNode(['abi999.mjs']);
      if (!out.startsWith('CLEAR')) throw new Error(out);
      if (!/ABI 999/.test(out) || !/FERROPROF_BUILD_FROM_SOURCE=1/.test(out)) throw new Error(`unclear message: ${out}`);
      fallback = JSON.parse(
        out
          .split('\n')
          .find((l) => l.startsWith('FALLBACK '))
          .slice(9),
      );
      if (fallback.backend !== 'inspector') throw new Error(`backend ${fallback.backend}`);
      if (fallback.inStacks >= 5) break;
      if (attempt === attempts) throw new Error(`${HOT} is in only ${fallback.inStacks} samples`);
    }
    return `fallback: ${fallback.inStacks} samples in ${HOT}`;
  });
}

// --- a Node line with no binary: everything through the inspector fallback ---
{
  const dist = fallbackDist;
  const label = `${host.tag} Node ${dist.version} (ABI ${dist.abi}, no binary)`;
  const project = newProject(`fallback-node${dist.major}`);
  const env = isolatedEnv(toolsDir(`fallback-node${dist.major}-bin`, dist), join(project, 'home'));
  const runNode = (argv) => spawnSync(dist.node, argv, { cwd: project, env, encoding: 'utf8', timeout: 180_000 });
  check(`${label}: npm install of both tarballs, offline`, () => {
    run(dist.node, [cli, 'install', '--foreground-scripts', '--no-package-lock', rootTgz, platformTgzOf.get(host.tag)], {
      cwd: project,
      env,
    });
  });
  let summary;
  check(`${label}: profiles a named function through node:inspector, says so in one line`, () => {
    writeFileSync(join(project, 'fallback.mjs'), FALLBACK_PROGRAM);
    const r = runNode(['fallback.mjs']);
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
    summary = JSON.parse(r.stdout.trim().split('\n').pop());
    const { refUnix: _ref, ...shown } = summary;
    if (summary.backend !== 'inspector' || summary.statsBackend !== 'inspector') throw new Error(JSON.stringify(shown));
    if (summary.inStacks < 5) throw new Error(`${HOT} is in only ${summary.inStacks} of ${summary.samples} samples`);
    const lines = r.stderr.split('\n').filter((l) => l.includes('inspector backend'));
    if (lines.length !== 1 || !new RegExp(`ABI ${dist.abi}`).test(lines[0])) throw new Error(`log: ${r.stderr}`);
    return `${summary.inStacks} of ${summary.samples} samples in ${HOT}; ${lines[0]}`;
  });
  // The driver's Node has the native addon: its validator applies Sentry's ingestion rules.
  const { validateEnvelope } = await import(pathToFileURL(join(root, 'dist', 'testing.js')).href);
  const envelopes = (dir) =>
    existsSync(join(project, dir))
      ? readdirSync(join(project, dir))
          .filter((f) => f.endsWith('.envelope'))
          .map((f) => readFileSync(join(project, dir, f)))
      : [];
  const itemPayloads = (bytes, type) => {
    const lines = bytes.toString('utf8').split('\n');
    const out = [];
    for (let i = 1; i + 1 < lines.length; i += 2) {
      if (JSON.parse(lines[i]).type === type) out.push(JSON.parse(lines[i + 1]));
    }
    return out;
  };
  const hotSamples = (p) =>
    p.profile.samples.filter((s) => (p.profile.stacks[s.stack_id] ?? []).some((f) => p.profile.frames[f]?.function === HOT))
      .length;
  check(`${label}: local mode's transaction profile passes the validator`, () => {
    const files = envelopes('txn-out');
    for (const b of files) validateEnvelope(b, false);
    const profiles = files.flatMap((b) => itemPayloads(b, 'profile'));
    if (profiles.length !== 1) throw new Error(`${profiles.length} profiles in ${files.length} envelopes`);
    if (hotSamples(profiles[0]) < 5) throw new Error(`${HOT} in ${hotSamples(profiles[0])} samples`);
    return `${files.length} envelopes, ${hotSamples(profiles[0])} samples in ${HOT}`;
  });
  check(`${label}: continuous chunks pass the validator and are contiguous`, () => {
    const files = envelopes('chunk-out');
    for (const b of files) validateEnvelope(b, false);
    const chunks = files.flatMap((b) => itemPayloads(b, 'profile_chunk'));
    chunks.sort((a, b) => a.profile.samples[0].timestamp - b.profile.samples[0].timestamp);
    if (chunks.length < 2) throw new Error(`${chunks.length} chunks`);
    // Contiguous: each sample of the reference window is in exactly one chunk.
    const chunked = chunks.flatMap((c) => c.profile.samples.map((x) => x.timestamp)).sort((a, b) => a - b);
    if (new Set(chunked.map((x) => x.toFixed(6))).size !== chunked.length) throw new Error('a sample is in two chunks');
    let j = 0;
    let lost = 0;
    for (const ts of summary.refUnix) {
      while (j < chunked.length && chunked[j] < ts - 2e-6) j++;
      if (j < chunked.length && Math.abs(chunked[j] - ts) <= 2e-6) j++;
      else lost++;
    }
    if (summary.refUnix.length < 10 || lost > 0)
      throw new Error(`${lost} of ${summary.refUnix.length} reference samples in no chunk`);
    for (const c of chunks) {
      const span = c.profile.samples.at(-1).timestamp - c.profile.samples[0].timestamp;
      if (span > 0.301) throw new Error(`a chunk spans ${(span * 1000).toFixed(1)} ms with chunkDurationMs 300`);
    }
    if (!chunks.some((c) => hotSamples(c) > 0)) throw new Error(`${HOT} is in no chunk`);
    return `${chunks.length} chunks holding all ${summary.refUnix.length} samples of a reference window`;
  });
}

// Without the platform package (an unsupported platform, as far as npm knows): the install
// still succeeds, and the postinstall says in one line why nothing was built.
const lastDist = ensureNodeDist(majors[majors.length - 1], host);
check(`Node ${lastDist.version}: root tarball alone installs and explains`, () => {
  const project = newProject('no-prebuilt');
  const env = isolatedEnv(toolsDir('no-prebuilt-bin', lastDist), join(project, 'home'));
  const out = run(lastDist.node, [cli, 'install', '--foreground-scripts', '--no-package-lock', rootTgz], { cwd: project, env });
  const line = out.split('\n').find((l) => l.startsWith('ferroprof: '));
  if (!line || !/cargo \(Rust\) and a C\+\+ compiler not found on PATH/.test(line)) {
    throw new Error(`postinstall said: ${line ?? out}`);
  }
  return line;
});

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`test:pack: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
