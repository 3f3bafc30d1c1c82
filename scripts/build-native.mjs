#!/usr/bin/env node
// Builds the native addon for one Node ABI and puts it where the loader finds it:
//   npm/<platform>/ferroprof.<platform>.abi<N>.node
//
//   node scripts/build-native.mjs                 # for the running Node
//   node scripts/build-native.mjs --node PATH     # for another Node binary (its headers
//                                                 # are taken from PATH/../../include/node)
//   node scripts/build-native.mjs --debug         # unoptimised build
//   node scripts/build-native.mjs --target linux-arm64-gnu --node DIST/bin/node
//                                                 # cross-build (see targets.mjs) against
//                                                 # the headers of that other-arch Node
//
// The V8 C++ API is not ABI-stable, so each Node ABI needs its own binary and its own
// cargo target dir (so that building one ABI never reuses another's shim).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { abiFromHeaders } from './node-dists.mjs';
import { crossEnv, hostTarget, isNative, TARGETS } from './targets.mjs';
import { assertVersionsAgree } from './version.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const nodeIdx = args.indexOf('--node');
const nodeBin = nodeIdx >= 0 ? resolve(args[nodeIdx + 1]) : process.execPath;
const debug = args.includes('--debug');
assertVersionsAgree(root);
const targetIdx = args.indexOf('--target');
const target = targetIdx >= 0 ? TARGETS.find((t) => t.tag === args[targetIdx + 1]) : hostTarget();
if (!target) {
  console.error(`ferroprof: --target takes one of ${TARGETS.map((t) => t.tag).join(', ')}`);
  process.exit(2);
}
const cross = !isNative(target);
if (cross && nodeIdx < 0) {
  console.error("ferroprof: a cross build needs --node <that arch's node>, whose include/node it compiles against");
  process.exit(2);
}
// A cross target's Node cannot run here: its headers give the ABI and the include dir.
const crossInclude = cross ? join(dirname(dirname(nodeBin)), 'include', 'node') : undefined;
const abi = crossInclude
  ? abiFromHeaders(crossInclude)
  : execFileSync(nodeBin, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
const tag = target.tag;
const outDir = mkdtempSync(join(tmpdir(), 'ferroprof-build-'));
const napiCli = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');

const buildArgs = [
  napiCli,
  'build',
  '--platform',
  '--no-js',
  '--no-dts-cache',
  '--manifest-path',
  join(root, 'crates', 'node', 'Cargo.toml'),
  '--package-json-path',
  join(root, 'package.json'),
  '--target-dir',
  join(root, 'target', `node-abi${abi}`),
  '--output-dir',
  outDir,
  '--dts',
  'native.d.ts',
  // String enums as type-only unions: the TypeScript side compares plain strings.
  '--no-const-enum',
];
if (!debug) buildArgs.push('--release');
if (cross) buildArgs.push('--target', target.triple);

console.log(`ferroprof: building the addon for Node ABI ${abi} (${tag}) with ${nodeBin}`);
const result = spawnSync(process.execPath, buildArgs, {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    FERROPROF_NODE: nodeBin,
    ...crossEnv(target),
    ...(crossInclude ? { FERROPROF_NODE_INCLUDE: crossInclude } : {}),
  },
});
if (result.status !== 0) {
  console.error('ferroprof: native build failed (needs cargo and a C++ compiler)');
  process.exit(result.status ?? 1);
}
const built = readdirSync(outDir).find((f) => f.endsWith('.node'));
if (!built) {
  console.error(`ferroprof: the build produced no .node file in ${outDir}`);
  process.exit(1);
}
syncBoundaryTypes(join(outDir, 'native.d.ts'));
// A cross-built addon cannot load here; its constants are the host build's.
if (!cross) syncLimits(join(outDir, built));
const destDir = join(root, 'npm', tag);
mkdirSync(destDir, { recursive: true });
const dest = join(destDir, `ferroprof.${tag}.abi${abi}.node`);
// Copy then rename: overwriting a .node file in place corrupts processes that have it
// loaded (they crash); a rename leaves them the old inode.
const staging = `${dest}.tmp-${process.pid}`;
copyFileSync(join(outDir, built), staging);
renameSync(staging, dest);
rmSync(outDir, { recursive: true, force: true });
console.log(`ferroprof: wrote ${dest}`);

// The TypeScript side imports the types napi-rs generates from the `#[napi]` items,
// committed as src/native-binding.d.ts so that no hand-written copy can drift. A local
// build refreshes it; CI (CI=true) fails when the committed file is stale.
function syncBoundaryTypes(generated) {
  const committed = join(root, 'src', 'native-binding.d.ts');
  let fresh;
  try {
    fresh = readFileSync(generated, 'utf8');
  } catch {
    console.error('ferroprof: napi-rs wrote no type definitions');
    process.exit(1);
  }
  syncCommitted(committed, fresh, 'the Rust exports');
}

/** Writes `fresh` to the committed file `path` if it differs; in CI, fails instead. */
function syncCommitted(path, fresh, from) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // First build: written below.
  }
  if (current === fresh) return;
  const name = relative(root, path);
  if (process.env.CI === 'true') {
    console.error(`ferroprof: ${name} is stale: run \`npm run build:native\` and commit it`);
    process.exit(1);
  }
  writeFileSync(path, fresh);
  console.log(`ferroprof: updated ${name} from ${from}`);
}

// The bounds and defaults TypeScript needs before (or without) the addon, such as
// `MIN_FREQUENCY_HZ`, are the addon's exported constants (crates/core/src/limits.rs),
// written into src/limits.generated.ts; CI (CI=true) fails when that copy is stale.
function syncLimits(addon) {
  const docs = {
    MIN_FREQUENCY_HZ: 'Lowest sampling frequency accepted, in Hz.',
    MAX_FREQUENCY_HZ: 'Highest sampling frequency accepted, in Hz.',
    DEFAULT_FREQUENCY_HZ: "The default sampling frequency, in Hz (Sentry's SDKs use 101 Hz).",
    DEFAULT_MAX_STACK_DEPTH: 'Most frames kept per stack (leaf side) unless configured.',
  };
  const read = spawnSync(
    nodeBin,
    [
      '-e',
      `
    const b = require(${JSON.stringify(addon)});
    process.stdout.write(JSON.stringify(${JSON.stringify(Object.keys(docs))}.map((k) => b[k])));
  `,
    ],
    { encoding: 'utf8' },
  );
  const values = read.status === 0 ? JSON.parse(read.stdout) : [];
  const names = Object.keys(docs);
  if (values.length !== names.length || !values.every((v) => typeof v === 'number')) {
    console.error(`ferroprof: could not read the addon's constants: ${read.stderr || read.stdout}`);
    process.exit(1);
  }
  const fresh = [
    "// Generated by scripts/build-native.mjs from the native addon's constants, which are",
    '// crates/core/src/limits.rs: do not edit. CI fails the build when it is stale.',
    '',
    ...names.flatMap((name, i) => [`/** ${docs[name]} */`, `export const ${name} = ${values[i]};`]),
    '',
  ].join('\n');
  syncCommitted(join(root, 'src', 'limits.generated.ts'), fresh, "the addon's constants");
}
