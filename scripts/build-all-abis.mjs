#!/usr/bin/env node
// Builds the addon for every supported Node ABI of this platform into npm/<platform>/,
// offline once the Node releases are cached (see node-dists.mjs):
//
//   node scripts/build-all-abis.mjs                # Node 20, 22, 24 and 26
//   node scripts/build-all-abis.mjs --majors 22,24 # a subset
//
// Each ABI has its own cargo target dir (target/node-abi<N>), so a rebuild after a
// source change recompiles only our two crates per ABI. The ABI of the running Node
// is built with the running Node, which shares its target dir with `npm run build:native`.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_MAJORS, ensureNodeDist } from './node-dists.mjs';
import { platformTag } from './platform.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majorsIdx = args.indexOf('--majors');
const majors = majorsIdx >= 0 ? args[majorsIdx + 1].split(',').map(Number) : NODE_MAJORS;
if (majors.some((m) => !NODE_MAJORS.includes(m))) {
  console.error(`ferroprof: --majors takes a comma-separated subset of ${NODE_MAJORS.join(',')}`);
  process.exit(2);
}

const tag = platformTag();
const rows = [];
for (const major of majors) {
  const dist = ensureNodeDist(major);
  // Same ABI as the running Node: reuse its build (same target dir, no rebuild).
  const nodeBin = dist.abi === process.versions.modules ? process.execPath : dist.node;
  const started = Date.now();
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--node', nodeBin], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error(`ferroprof: build for Node ${dist.version} (ABI ${dist.abi}) failed`);
    process.exit(build.status ?? 1);
  }
  const seconds = (Date.now() - started) / 1000;
  const file = join(root, 'npm', tag, `ferroprof.${tag}.abi${dist.abi}.node`);
  // Load it with the Node it was built for: proves the ABI stamp and that it links.
  const reported = execFileSync(dist.node, ['-p', `require(${JSON.stringify(file)}).nativeAbi()`], {
    encoding: 'utf8',
  }).trim();
  if (reported !== dist.abi) {
    console.error(
      `ferroprof: ${file} reports ABI ${reported}, expected ${dist.abi} ` +
        '(crates/node/build.rs reads node_module_version from include/node/config.gypi)',
    );
    process.exit(1);
  }
  rows.push({ node: dist.version, abi: dist.abi, bytes: statSync(file).size, seconds, file });
}

console.log(`\nferroprof: ${tag} binaries`);
for (const r of rows) {
  console.log(
    `  Node ${r.node.padEnd(8)} ABI ${r.abi}  ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ` +
      `${r.seconds.toFixed(1).padStart(6)} s  ${r.file.slice(root.length + 1)}`,
  );
}
