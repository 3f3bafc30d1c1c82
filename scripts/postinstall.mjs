#!/usr/bin/env node
// Runs after `npm install ferroprof` (the hook is added to the published package only).
//
// When a prebuilt binary from an @ferroprof/<platform> package fits this platform and
// Node ABI, it does nothing. Otherwise it prints one line saying what to do, or, with
// FERROPROF_BUILD_FROM_SOURCE=1 and cargo plus a C++ compiler on PATH, builds the addon
// from the Rust sources shipped in the package. As a postinstall hook it never fails the
// install: whatever happens it exits 0 (the loader's error explains the rest at first use).
//
//   node scripts/postinstall.mjs           # the hook
//   node scripts/postinstall.mjs --build   # build from source now; exits 1 on failure
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The loader's private entry (not in package.json `exports`).
const entry = join(root, 'dist', 'internal.js');
const forced = process.argv.includes('--build');

function say(line) {
  console.log(`ferroprof: ${line}`);
}

/** Loads the binding in a child process, as the package does at first use; a crash there is contained. */
function probe() {
  const run = (node) =>
    spawnSync(
      node,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(entry).href)});
       try { m.loadNativeBinding(); console.log('FITS'); }
       catch (e) { console.log(e instanceof m.NativeBindingError ? 'NONE' : 'BROKEN ' + e); }`,
      ],
      { encoding: 'utf8', timeout: 60_000, env: process.env },
    );
  let child = run(process.execPath);
  // Under qemu-user without binfmt_misc (an emulated arch) the Node binary itself cannot
  // be exec'd (the kernel refuses it and the shell then fails on it); the `node` on PATH
  // that started this script (a qemu wrapper) can. A child that never printed one of
  // the probe's words did not run Node at all.
  const ranNode = (c) => /^(FITS|NONE|BROKEN)/.test((c.stdout ?? '').trim());
  if (!ranNode(child) && !child.signal && onPath('node')) child = run('node');
  const out = (child.stdout ?? '').trim();
  if (child.status === 0 && out === 'FITS') return { fits: true };
  const reason = child.signal ? `loading crashed (${child.signal})` : out.startsWith('BROKEN') ? out.slice(7) : '';
  return { fits: false, reason };
}

/** Finds an executable on PATH (with PATHEXT on Windows). */
function onPath(cmd) {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) if (existsSync(join(dir, cmd + ext))) return true;
  }
  return false;
}

function missingTools() {
  const missing = [];
  if (!onPath('cargo')) missing.push('cargo (Rust)');
  const cxx = process.env.CXX?.trim().split(/\s+/)[0];
  const compilers = cxx ? [cxx] : process.platform === 'win32' ? ['cl'] : ['c++', 'g++', 'clang++'];
  if (!compilers.some((c) => (c.includes('/') || c.includes('\\') ? existsSync(c) : onPath(c)))) {
    missing.push('a C++ compiler');
  }
  return missing;
}

/** Builds the addon for the running Node with cargo; returns the installed binary's path or throws. */
function buildFromSource(tag, abi, file) {
  // Not build-native.mjs's target/node-abi<N>: this tree is deleted after the build.
  const targetDir = join(root, 'target', `source-build-abi${abi}`);
  const log = join(tmpdir(), `ferroprof-build-abi${abi}.log`);
  const fd = openSync(log, 'w');
  say(`building the addon for Node ${process.version} (ABI ${abi}) from source; log: ${log}`);
  const result = spawnSync(
    'cargo',
    [
      'build',
      '--release',
      '--locked',
      '-p',
      'ferroprof-node',
      '--manifest-path',
      join(root, 'Cargo.toml'),
      '--target-dir',
      targetDir,
    ],
    // build.rs compiles the C++ shim against the headers of this Node (FERROPROF_NODE).
    { cwd: root, stdio: ['ignore', fd, fd], env: { ...process.env, FERROPROF_NODE: process.execPath } },
  );
  closeSync(fd);
  if (result.status !== 0)
    throw new Error(`cargo build failed (${result.error?.message ?? `exit ${result.status}`}); see ${log}`);
  const lib = { win32: 'ferroprof_node.dll', darwin: 'libferroprof_node.dylib' }[process.platform] ?? 'libferroprof_node.so';
  const dest = join(root, 'npm', tag, file);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(join(targetDir, 'release', lib), dest);
  // The build tree is ~100 MB; only the binary is kept.
  rmSync(targetDir, { recursive: true, force: true });
  if (readdirSync(dirname(targetDir)).length === 0) rmSync(dirname(targetDir), { recursive: true });
  return dest;
}

async function main() {
  if (!existsSync(entry)) {
    // A source checkout before `npm run build`: nothing to check yet.
    if (forced) throw new Error('dist/ is missing: run "npm run build" in a source checkout');
    return;
  }
  const { binaryFileName, nodeAbi, platformTag } = await import(pathToFileURL(entry).href);
  const tag = platformTag();
  const abi = nodeAbi();
  const file = binaryFileName(tag, abi);
  if (!forced) {
    const first = probe();
    if (first.fits) return;
    if (process.env.FERROPROF_BUILD_FROM_SOURCE !== '1') {
      say(
        `no prebuilt binary for ${tag}, Node ${process.version} (ABI ${abi})` +
          `${first.reason ? `: ${first.reason}` : ''}; to build it, install Rust (cargo) and a C++ compiler ` +
          'and reinstall with FERROPROF_BUILD_FROM_SOURCE=1',
      );
      return;
    }
  }
  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(`cannot build ${file} from source: ${missing.join(' and ')} not found on PATH`);
  }
  const dest = buildFromSource(tag, abi, file);
  const after = probe();
  if (!after.fits) throw new Error(`built ${dest}, but it does not load${after.reason ? `: ${after.reason}` : ''}`);
  say(`built ${dest} from source`);
}

main().catch((err) => {
  say(err instanceof Error ? err.message : String(err));
  // The hook never fails an install; an explicit --build does report failure.
  process.exitCode = forced ? 1 : 0;
});
