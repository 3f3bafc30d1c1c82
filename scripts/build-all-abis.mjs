#!/usr/bin/env node
// Builds the addon for every supported Node ABI of every target buildable here into
// npm/<platform>/, offline once the Node releases are cached (see node-dists.mjs):
//
//   node scripts/build-all-abis.mjs                            # every target, Node 20/22/24/26
//   node scripts/build-all-abis.mjs --majors 22,24             # a subset of Node lines
//   node scripts/build-all-abis.mjs --targets linux-arm64-gnu  # a subset of targets
//
// Targets (scripts/targets.mjs): this machine's own (linux-x64-gnu here) and the cross
// targets whose tools are installed (linux-arm64-gnu: a Rust target, a cross gcc and
// qemu-user). Without --targets a target whose tools are missing is skipped with one
// line saying what is missing; under CI=true that is an error.
//
// Each ABI has its own cargo target dir (target/node-abi<N>; a cross target builds in
// its <triple>/ subfolder), so a rebuild after a source change recompiles only our two
// crates per ABI. The ABI of the running Node is built with the running Node, which
// shares its target dir with `npm run build:native`.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_MAJORS, ensureNodeDist } from './node-dists.mjs';
import { execNode, isNative, selectTargets } from './targets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majorsIdx = args.indexOf('--majors');
const majors = majorsIdx >= 0 ? args[majorsIdx + 1].split(',').map(Number) : NODE_MAJORS;
if (majors.some((m) => !NODE_MAJORS.includes(m))) {
  console.error(`ferroprof: --majors takes a comma-separated subset of ${NODE_MAJORS.join(',')}`);
  process.exit(2);
}
let targets;
try {
  targets = selectTargets(args, 'building');
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

const rows = [];
for (const target of targets) {
  const tag = target.tag;
  for (const major of majors) {
    const dist = ensureNodeDist(major, target);
    // Same ABI as the running Node: reuse its build (same target dir, no rebuild).
    const native = isNative(target);
    const nodeBin = native && dist.abi === process.versions.modules ? process.execPath : dist.node;
    const started = Date.now();
    const buildArgs = [join(root, 'scripts', 'build-native.mjs'), '--node', nodeBin];
    if (!native) buildArgs.push('--target', tag);
    const build = spawnSync(process.execPath, buildArgs, { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) {
      console.error(`ferroprof: ${tag} build for Node ${dist.version} (ABI ${dist.abi}) failed`);
      process.exit(build.status ?? 1);
    }
    const seconds = (Date.now() - started) / 1000;
    const file = join(root, 'npm', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
    // Load it with the Node it was built for (under qemu for a cross target): proves
    // the ABI stamp, the arch, and that it links against that Node.
    const reported = execNode(target, dist.node, ['-p', `require(${JSON.stringify(file)}).nativeAbi()`]).trim();
    if (reported !== dist.abi) {
      console.error(
        `ferroprof: ${file} reports ABI ${reported}, expected ${dist.abi} ` +
          '(crates/node/build.rs reads node_module_version from include/node/config.gypi)',
      );
      process.exit(1);
    }
    rows.push({ tag, node: dist.version, abi: dist.abi, bytes: statSync(file).size, seconds, file });
  }
}

console.log('\nferroprof: binaries');
for (const r of rows) {
  console.log(
    `  ${r.tag.padEnd(16)} Node ${r.node.padEnd(8)} ABI ${r.abi}  ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ` +
      `${r.seconds.toFixed(1).padStart(6)} s  ${r.file.slice(root.length + 1)}`,
  );
}
