#!/usr/bin/env node
// Builds the engine of the node:inspector fallback: crates/wasm for
// wasm32-unknown-unknown with the size-first `wasm` profile (Cargo.toml), into
// wasm/ferroprof.wasm, which the package ships (package.json `files`).
//
//   node scripts/build-wasm.mjs
//
// The Rust target is added with rustup when it is missing, so `npm run build` works
// on a fresh machine; without rustup (a distribution's cargo) the message says what to
// install.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET = 'wasm32-unknown-unknown';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function ensureTarget() {
  const listed = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (listed.error || listed.status !== 0) {
    console.error(`ferroprof: rustup is not available; make sure Rust's ${TARGET} target is installed (its standard library)`);
    return;
  }
  if (!listed.stdout.split('\n').includes(TARGET)) {
    execFileSync('rustup', ['target', 'add', TARGET], { stdio: 'inherit' });
  }
}

ensureTarget();
const targetDir = join(root, 'target', 'wasm');
execFileSync('cargo', ['build', '-p', 'ferroprof-wasm', '--target', TARGET, '--profile', 'wasm', '--target-dir', targetDir], {
  cwd: root,
  stdio: 'inherit',
});
const built = join(targetDir, TARGET, 'wasm', 'ferroprof_wasm.wasm');
const dest = join(root, 'wasm', 'ferroprof.wasm');
mkdirSync(dirname(dest), { recursive: true });
copyFileSync(built, dest);
console.log(`ferroprof: wasm/ferroprof.wasm (${statSync(dest).size} bytes)`);
