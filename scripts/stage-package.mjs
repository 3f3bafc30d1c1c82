#!/usr/bin/env node
// Stages the publishable `ferroprof` package in a folder of its own, ready for
// `npm pack` / `npm publish`:
//
//   node scripts/stage-package.mjs [DEST]   # prints the staged folder
//
// The staged package.json gains what only the published package may carry:
// - `optionalDependencies` on every npm/<platform> package, at the root's version. They
//   are kept out of the repository's package.json because `npm ci` refuses a lockfile
//   that lacks them, and the lockfile cannot hold packages not yet on the registry.
// - the `postinstall` hook (scripts/postinstall.mjs), which must not run on `npm ci` in
//   a source checkout, where nothing is built yet; the dev-only scripts are dropped.
// The files are exactly those `npm pack` would take from the root (its `files` field).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNpm } from './node-dists.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The platform packages under npm/, as `{ tag, name, version }`. */
export function platformPackages() {
  return readdirSync(join(root, 'npm'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const pkg = JSON.parse(readFileSync(join(root, 'npm', d.name, 'package.json'), 'utf8'));
      return { tag: d.name, name: pkg.name, version: pkg.version };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Copies the root package into `dest` (a new temp folder by default); returns `dest`. */
export function stagePackage(dest = mkdtempSync(join(tmpdir(), 'ferroprof-stage-'))) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const optional = {};
  for (const p of platformPackages()) {
    if (p.name !== `@ferroprof/${p.tag}`) throw new Error(`npm/${p.tag}: package is named ${p.name}`);
    if (p.version !== pkg.version) {
      throw new Error(`npm/${p.tag}: version ${p.version} differs from ferroprof ${pkg.version}`);
    }
    optional[p.name] = p.version;
  }
  const listing = JSON.parse(runNpm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }));
  for (const { path } of listing[0].files) {
    if (path === 'package.json') continue;
    mkdirSync(dirname(join(dest, path)), { recursive: true });
    copyFileSync(join(root, path), join(dest, path));
  }
  pkg.optionalDependencies = { ...pkg.optionalDependencies, ...optional };
  // In the published package, `npm run build:native` (named by the loader's error) is the
  // source build of scripts/postinstall.mjs: the repo's build script needs devDependencies.
  pkg.scripts = {
    postinstall: 'node scripts/postinstall.mjs',
    'build:native': 'node scripts/postinstall.mjs --build',
  };
  delete pkg.devDependencies;
  delete pkg.ava;
  writeFileSync(join(dest, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  return dest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = process.argv[2] ? resolve(process.argv[2]) : undefined;
  if (dest) mkdirSync(dest, { recursive: true });
  console.log(stagePackage(dest));
}
