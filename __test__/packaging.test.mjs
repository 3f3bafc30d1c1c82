// The npm packaging: platform packages consistent with the loader's file names, the
// staged package that carries the optional dependencies, and the postinstall hook.
// The full install from tarballs on Node 20-26 is `npm run test:pack` (scripts/).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { binaryFileName, nodeAbi, platformTag } from '../dist/internal.js';
import { platformPackages, stagePackage } from '../scripts/stage-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const LIBC = { gnu: 'glibc', musl: 'musl' };

function globToRegExp(glob) {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

test('each platform package matches its tag, the root version and the loader file names', (t) => {
  const tags = readdirSync(join(root, 'npm'));
  t.true(tags.includes('linux-x64-gnu'));
  for (const tag of tags) {
    const pkg = JSON.parse(readFileSync(join(root, 'npm', tag, 'package.json'), 'utf8'));
    const [os, cpu, abi] = tag.split('-');
    t.is(pkg.name, `@ferroprof/${tag}`);
    t.is(pkg.version, rootPkg.version, tag);
    t.deepEqual(pkg.os, [os], tag);
    t.deepEqual(pkg.cpu, [cpu], tag);
    if (os === 'linux') t.deepEqual(pkg.libc, [LIBC[abi]], tag);
    else t.is(pkg.libc, undefined, tag);
    for (const moduleVersion of ['115', '127', '137', '147']) {
      const file = binaryFileName(tag, moduleVersion);
      t.true(
        pkg.files.some((f) => globToRegExp(f).test(file)),
        `${tag} does not ship ${file}`,
      );
    }
    t.true(existsSync(join(root, 'npm', tag, 'README.md')), tag);
  }
});

test('the release workflow builds every platform package', (t) => {
  const workflow = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');
  const built = [...workflow.matchAll(/tag: ([a-z0-9-]+),/g)].map((m) => m[1]).sort();
  t.deepEqual(
    built,
    platformPackages()
      .map((p) => p.tag)
      .sort(),
  );
});

test('the staged package depends optionally on every platform package and runs the hook', (t) => {
  // Not in the repository's package.json: `npm ci` rejects a lockfile without them.
  t.is(rootPkg.optionalDependencies, undefined);
  const dir = stagePackage(mkdtempSync(join(tmpdir(), 'ferroprof-stage-test-')));
  try {
    const staged = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    t.deepEqual(
      Object.keys(staged.optionalDependencies).sort(),
      readdirSync(join(root, 'npm'))
        .map((tag) => `@ferroprof/${tag}`)
        .sort(),
    );
    t.true(Object.values(staged.optionalDependencies).every((v) => v === rootPkg.version));
    t.is(staged.scripts.postinstall, 'node scripts/postinstall.mjs');
    t.is(staged.devDependencies, undefined);
    // The fallback's engine ships in the main package: every platform without a binary runs it.
    for (const f of [
      'dist/index.js',
      'dist/internal.js',
      'wasm/ferroprof.wasm',
      'scripts/postinstall.mjs',
      'Cargo.lock',
      'crates/node/build.rs',
      'crates/wasm/src/abi.rs',
    ]) {
      t.true(existsSync(join(dir, f)), f);
    }
    t.false(existsSync(join(dir, 'npm')), 'binaries travel in the platform packages only');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A PATH with node and nothing else: no cargo, no compiler.
const bareBin = mkdtempSync(join(tmpdir(), 'ferroprof-bare-bin-'));
symlinkSync(process.execPath, join(bareBin, 'node'));
test.after.always(() => rmSync(bareBin, { recursive: true, force: true }));

function postinstall(script, args = [], env = {}) {
  return spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { PATH: bareBin, HOME: tmpdir(), ...env },
  });
}

test('postinstall is silent when a binary fits', (t) => {
  if (!existsSync(join(root, 'npm', platformTag(), binaryFileName(platformTag(), nodeAbi())))) {
    t.fail('no local build for this Node: run "npm run build:native" first');
    return;
  }
  const r = postinstall(join(root, 'scripts', 'postinstall.mjs'));
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '');
});

test('postinstall without a fitting binary says what to do and never fails the install', (t) => {
  // The staged package has no npm/ folder and no @ferroprof package next to it.
  const dir = stagePackage(mkdtempSync(join(tmpdir(), 'ferroprof-hook-test-')));
  const script = join(dir, 'scripts', 'postinstall.mjs');
  try {
    const plain = postinstall(script);
    t.is(plain.status, 0, plain.stderr);
    t.regex(plain.stdout, /^ferroprof: no prebuilt binary for .* \(ABI \d+\).*FERROPROF_BUILD_FROM_SOURCE=1\n$/);

    const optedIn = postinstall(script, [], { FERROPROF_BUILD_FROM_SOURCE: '1' });
    t.is(optedIn.status, 0, optedIn.stderr);
    t.regex(optedIn.stdout, /^ferroprof: cannot build .* cargo \(Rust\) and a C\+\+ compiler not found on PATH\n$/);

    const forced = postinstall(script, ['--build']);
    t.is(forced.status, 1, 'an explicit build reports failure');
    t.regex(forced.stdout, /cargo \(Rust\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
