// ferroprof/sentry must run on bench/'s own @sentry/core (the one its @sentry/node
// loads): Node resolves a linked package's imports from its real path, so ferroprof is
// copied into bench/node_modules/ferroprof (package.json and dist/, the binary found
// through a link to npm/), as an install would place it, and refreshed when dist/ changes.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(bench, '..');

/** Places the built ferroprof in bench/node_modules/ferroprof; returns its folder. */
export function ensureFerroprofPackage() {
  const dist = join(root, 'dist', 'sentry.js');
  if (!existsSync(dist)) throw new Error('dist/sentry.js is missing: run "npm run build" in the repository first');
  const dest = join(bench, 'node_modules', 'ferroprof');
  const stamp = join(dest, '.copied-from');
  const want = String(statSync(dist).mtimeMs);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dest;
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(join(root, 'package.json'), join(dest, 'package.json'));
  cpSync(join(root, 'dist'), join(dest, 'dist'), { recursive: true });
  symlinkSync(join(root, 'npm'), join(dest, 'npm'), 'dir');
  writeFileSync(stamp, want);
  return dest;
}
