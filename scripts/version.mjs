// The version has one source: package.json. Cargo's workspace version and the
// per-platform packages under npm/ must say the same; the TypeScript build takes
// it from package.json (tsup `define`), the native addon from Cargo.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `version` of the package.json in `dir`. */
function jsonVersion(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

/** `[workspace.package] version` of the Cargo.toml in `root`. */
export function cargoVersion(root) {
  const toml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const section = toml.split(/^\[/m).find((s) => s.startsWith('workspace.package]'));
  const m = section?.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error('Cargo.toml: no version in [workspace.package]');
  return m[1];
}

/** The package's version (package.json at `root`). */
export function packageVersion(root) {
  return jsonVersion(root);
}

/** Every place that must repeat package.json's version and does not: `["file: x.y.z", ...]`. */
export function versionMismatches(root) {
  const want = packageVersion(root);
  const found = [['Cargo.toml [workspace.package]', cargoVersion(root)]];
  const npmDir = join(root, 'npm');
  if (existsSync(npmDir)) {
    for (const tag of readdirSync(npmDir).sort()) {
      if (existsSync(join(npmDir, tag, 'package.json'))) found.push([`npm/${tag}/package.json`, jsonVersion(join(npmDir, tag))]);
    }
  }
  return found.filter(([, v]) => v !== want).map(([where, v]) => `${where}: ${v}`);
}

/** Throws unless every copy of the version agrees with package.json's. */
export function assertVersionsAgree(root) {
  const bad = versionMismatches(root);
  if (bad.length) {
    throw new Error(`ferroprof: package.json says ${packageVersion(root)}, but ${bad.join(', ')} (keep them equal)`);
  }
}
