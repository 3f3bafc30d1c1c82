import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import { CliError } from './errors.js';

/** Extensions only a TypeScript loader (or Node's type stripping) can run. */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Node flags that make it run TypeScript by themselves. */
const TS_FLAGS = /--(experimental-strip-types|experimental-transform-types)\b/;

/** A loader package's ESM entry, resolved from `fromDir` (the script's folder, then the cwd). */
function resolveTsx(fromDirs: string[]): string | undefined {
  for (const dir of fromDirs) {
    try {
      const pkgJson = createRequire(join(dir, 'noop.js')).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: Record<string, unknown> };
      const entry = pkg.exports?.['.'];
      const rel = typeof entry === 'string' ? entry : (entry as Record<string, unknown> | undefined)?.import;
      if (typeof rel === 'string' && existsSync(join(dirname(pkgJson), rel)))
        return pathToFileURL(join(dirname(pkgJson), rel)).href;
      return 'tsx';
    } catch {
      // not installed there
    }
  }
  return undefined;
}

function resolveTsNode(fromDirs: string[]): string | undefined {
  for (const dir of fromDirs) {
    try {
      return createRequire(join(dir, 'noop.js')).resolve('ts-node/register');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** Whether this Node runs `.ts` files by itself, or can with `--experimental-strip-types` (22.6+). */
function nodeTypeStripping(): 'builtin' | 'flag' | 'none' {
  const features = process.features as { typescript?: string | false };
  if (features.typescript) return 'builtin';
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 6) ? 'flag' : 'none';
}

/**
 * The Node flags that let `script` run: none for JavaScript or when the user chose a
 * loader (`--import`/`--require`, NODE_OPTIONS); for TypeScript, tsx or ts-node when
 * installed, else Node's own type stripping (22.6+). Throws one line saying what to
 * install when nothing can run it.
 */
export function loaderFlags(script: string, userFlags: string[]): string[] {
  if (!TYPESCRIPT.has(extname(script).toLowerCase())) return [];
  if (userFlags.length > 0) return [];
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (TS_FLAGS.test(nodeOptions) || /--(import|require|loader|experimental-loader)\b|(^|\s)-r\s/.test(nodeOptions)) return [];
  const dirs = [dirname(script), process.cwd()];
  const tsx = resolveTsx(dirs);
  if (tsx) return ['--import', tsx];
  const tsNode = resolveTsNode(dirs);
  if (tsNode) return ['--require', tsNode];
  const stripping = nodeTypeStripping();
  if (stripping === 'builtin') return [];
  if (stripping === 'flag' && extname(script).toLowerCase() !== '.tsx') return ['--experimental-strip-types'];
  throw new CliError(
    `${relative(process.cwd(), script) || script} is TypeScript and Node ${process.version} cannot run it by itself: install a loader (npm install --save-dev tsx), use Node >= 22.6, or pass --import <loader>`,
  );
}
