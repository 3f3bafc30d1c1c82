#!/usr/bin/env node
// Installs ferroprof the way a user does — from packed tarballs — and checks it profiles,
// on each supported Node line (releases from node-dists.mjs):
//
//   npm run build:all-abis && npx tsup && npm run test:pack
//   node scripts/test-packed-install.mjs --majors 22,24   # a subset (--keep: keep the temp dir)
//
// For each Node: a fresh project, `npm install` of the staged `ferroprof` tarball and the
// `@ferroprof/<platform>` tarball with no network (offline, an empty cache, a registry
// address that refuses connections) and no compiler (PATH holds only that Node and sh),
// then a program that profiles a named function and finds it in the profile, one that
// loads the package through require(), and one on a simulated unsupported ABI that must
// get NativeBindingError, not a crash. Also: the root tarball alone installs cleanly and
// its postinstall says what to do.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_MAJORS, ensureNodeDist, runNpm } from './node-dists.mjs';
import { platformTag } from './platform.mjs';
import { stagePackage } from './stage-package.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majorsIdx = args.indexOf('--majors');
const majors = majorsIdx >= 0 ? args[majorsIdx + 1].split(',').map(Number) : NODE_MAJORS;
const keep = args.includes('--keep');
const tag = platformTag();
const HOT = 'ferroprofPackedInstallHotFunction';

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

// --- preconditions: the built TS and one binary per ABI ---
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('test:pack: dist/ is missing; run "npx tsup" (or "npm run build") first');
  process.exit(1);
}
const dists = majors.map((m) => ensureNodeDist(m));
const missing = dists
  .map((d) => join(root, 'npm', tag, `ferroprof.${tag}.abi${d.abi}.node`))
  .filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`test:pack: missing ${missing.join(', ')}; run "npm run build:all-abis" first`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'ferroprof-pack-'));
const cli = npmCli();

// --- pack ---
const stage = stagePackage(join(work, 'stage'));
const packJson = (dir) => JSON.parse(runNpm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: dir }))[0];
const rootPack = packJson(stage);
const platformPack = packJson(join(root, 'npm', tag));
const rootTgz = join(work, rootPack.filename);
const platformTgz = join(work, platformPack.filename);

check(`packed ${rootPack.filename} and ${platformPack.filename}`, () => {
  const staged = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));
  if (staged.optionalDependencies?.[`@ferroprof/${tag}`] !== staged.version) {
    throw new Error('the staged package.json lacks the optional dependency on this platform');
  }
  const binaries = platformPack.files.map((f) => f.path).filter((p) => p.endsWith('.node')).sort();
  const wanted = dists.map((d) => `ferroprof.${tag}.abi${d.abi}.node`);
  for (const w of wanted) if (!binaries.includes(w)) throw new Error(`${w} is not in the tarball`);
  const rootFiles = rootPack.files.map((f) => f.path);
  for (const f of ['dist/index.js', 'dist/index.cjs', 'scripts/postinstall.mjs', 'crates/node/src/shim.cc']) {
    if (!rootFiles.includes(f)) throw new Error(`${f} is not in ${rootPack.filename}`);
  }
  if (rootFiles.some((f) => f.endsWith('.node'))) throw new Error('the root tarball carries a binary');
  return `${(rootPack.size / 1024).toFixed(0)} KiB + ${(platformPack.size / 1024).toFixed(0)} KiB (${binaries.join(', ')})`;
});

/** A bin dir holding only `node` (the given one) and `sh` (npm runs lifecycle scripts with it). */
function toolsDir(name, nodeBin) {
  const dir = join(work, name);
  mkdirSync(dir);
  symlinkSync(nodeBin, join(dir, 'node'));
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

const PROFILE_PROGRAM = `
import { readFileSync } from 'node:fs';
import { openWindow, startSampling, stopSampling } from 'ferroprof';
function ${HOT}(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1e4; i++) x = (x * 31 + i) | 0;
  return x;
}
startSampling(101);
const window = openWindow();
${HOT}(200);
const profile = await window.close();
stopSampling();
const hot = profile.frames.findIndex((f) => f.function === '${HOT}');
const inStacks = profile.samples.filter((s) => profile.stacks[s.stackId]?.includes(hot)).length;
const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.includes('ferroprof.'));
console.log(JSON.stringify({ samples: profile.samples.length, hot, inStacks, mapped: mapped?.split(' ').pop() }));
`;

const REQUIRE_PROGRAM = `
const { loadNativeBinding } = require('ferroprof');
console.log(loadNativeBinding().nativeAbi());
`;

const UNSUPPORTED_ABI_PROGRAM = `
Object.defineProperty(process.versions, 'modules', { value: '999' });
const { NativeBindingError, startSampling } = await import('ferroprof');
try {
  startSampling(101);
  console.log('LOADED');
} catch (err) {
  console.log(err instanceof NativeBindingError ? 'CLEAR' : 'OTHER ' + err);
  console.log(err.message);
}
`;

for (const dist of dists) {
  const name = `node${dist.major}`;
  const project = newProject(name);
  const bin = toolsDir(`${name}-bin`, dist.node);
  const env = isolatedEnv(bin, join(project, 'home'));
  const runNode = (argv) => run(dist.node, argv, { cwd: project, env });

  check(`Node ${dist.version}: no compiler or cargo on PATH`, () => {
    const found = run('/bin/sh', ['-c', 'for t in cc c++ gcc g++ clang clang++ cargo rustc; do command -v $t; done; true'], { env }).trim();
    if (found) throw new Error(`found ${found}`);
  });
  check(`Node ${dist.version}: npm install of both tarballs, offline`, () => {
    const out = runNode([cli, 'install', '--foreground-scripts', '--no-package-lock', rootTgz, platformTgz]);
    if (/ferroprof: /.test(out)) throw new Error(`postinstall spoke although a prebuilt fits:\n${out}`);
    const installed = join(project, 'node_modules', '@ferroprof', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    if (!existsSync(installed)) throw new Error(`${installed} was not installed`);
  });
  check(`Node ${dist.version} (ABI ${dist.abi}): profiles a named function`, () => {
    writeFileSync(join(project, 'profile.mjs'), PROFILE_PROGRAM);
    const result = JSON.parse(runNode(['profile.mjs']));
    if (result.hot < 0) throw new Error(`${HOT} is not among the frames (${result.samples} samples)`);
    if (result.inStacks < 5) throw new Error(`${HOT} is in only ${result.inStacks} of ${result.samples} samples`);
    const want = join('node_modules', '@ferroprof', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    if (!result.mapped?.endsWith(want)) throw new Error(`loaded ${result.mapped}, not the installed ${want}`);
    return `${result.inStacks} of ${result.samples} samples in ${HOT}`;
  });
  check(`Node ${dist.version}: require('ferroprof') loads the same binary`, () => {
    writeFileSync(join(project, 'load.cjs'), REQUIRE_PROGRAM);
    const abi = runNode(['load.cjs']).trim();
    if (abi !== dist.abi) throw new Error(`nativeAbi() is ${abi}`);
  });
  check(`Node ${dist.version}: unsupported ABI gives NativeBindingError`, () => {
    writeFileSync(join(project, 'abi999.mjs'), UNSUPPORTED_ABI_PROGRAM);
    const out = runNode(['abi999.mjs']);
    if (!out.startsWith('CLEAR')) throw new Error(out);
    if (!/ABI 999/.test(out) || !/FERROPROF_BUILD_FROM_SOURCE=1/.test(out)) throw new Error(`unclear message: ${out}`);
  });
}

// Without the platform package (an unsupported platform, as far as npm knows): the install
// still succeeds, and the postinstall says in one line why nothing was built.
const lastDist = dists[dists.length - 1];
check(`Node ${lastDist.version}: root tarball alone installs and explains`, () => {
  const project = newProject('no-prebuilt');
  const env = isolatedEnv(toolsDir('no-prebuilt-bin', lastDist.node), join(project, 'home'));
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

