// The prebuilt targets the build scripts know, and how to build and run each from this
// machine: natively (the host's own arch) or cross-compiled and run under qemu-user.
//
// Cross targets need, on a Debian x64 host (`.ci/run` installs them):
//   rustup target add aarch64-unknown-linux-gnu
//   apt-get install crossbuild-essential-arm64 qemu-user-static \
//     libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross libatomic1-arm64-cross
// binfmt_misc is not assumed: a cross Node is always started as `qemu-<arch> -L <sysroot> node`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { platformTag } from './platform.mjs';

/**
 * @typedef {object} Target
 * @property {string} tag        napi-rs platform tag, the npm/<tag> folder
 * @property {string} arch       Node's process.arch of the target
 * @property {string} triple     Rust target triple
 * @property {string} [cc]       cross C compiler (and linker)
 * @property {string} [cxx]      cross C++ compiler
 * @property {string} [qemu]     qemu-user binary that runs the target's programs
 * @property {string} [sysroot]  the target's libraries, for qemu's -L
 */

/** @type {Target[]} */
export const TARGETS = [
  { tag: 'linux-x64-gnu', arch: 'x64', triple: 'x86_64-unknown-linux-gnu' },
  {
    tag: 'linux-arm64-gnu',
    arch: 'arm64',
    triple: 'aarch64-unknown-linux-gnu',
    cc: 'aarch64-linux-gnu-gcc',
    cxx: 'aarch64-linux-gnu-g++',
    qemu: 'qemu-aarch64-static',
    sysroot: '/usr/aarch64-linux-gnu',
  },
];

/** The target of the running Node (built natively). */
export function hostTarget() {
  const tag = platformTag();
  return TARGETS.find((t) => t.tag === tag) ?? { tag, arch: process.arch, triple: '' };
}

/** Whether `t` is built and run without cross tools. */
export function isNative(t) {
  return t.tag === platformTag();
}

/** The absolute path of `cmd` on PATH, or undefined. */
function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

function onPath(cmd) {
  return which(cmd) !== undefined;
}

function rustTargetInstalled(triple) {
  const r = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (r.status !== 0) return true; // no rustup: let cargo say what is missing
  return r.stdout.split('\n').includes(triple);
}

/** What is missing to build (and run) `t` here; an empty list when it can be built. */
export function missingTools(t) {
  if (isNative(t)) return [];
  const missing = [];
  if (process.platform !== 'linux' || process.arch !== 'x64')
    missing.push(`a linux x64 host (this is ${process.platform} ${process.arch})`);
  if (!rustTargetInstalled(t.triple)) missing.push(`rustup target ${t.triple}`);
  for (const tool of [t.cc, t.cxx, t.qemu]) if (tool && !onPath(tool)) missing.push(tool);
  if (t.sysroot && !existsSync(join(t.sysroot, 'lib'))) missing.push(`the sysroot ${t.sysroot}`);
  return missing;
}

/** The environment that makes cargo, cc and napi build for `t`. */
export function crossEnv(t) {
  if (isNative(t)) return {};
  const envTriple = t.triple.replaceAll('-', '_');
  return {
    [`CARGO_TARGET_${envTriple.toUpperCase()}_LINKER`]: t.cc,
    [`CC_${envTriple}`]: t.cc,
    [`CXX_${envTriple}`]: t.cxx,
    [`AR_${envTriple}`]: t.cc.replace(/gcc$/, 'ar'),
  };
}

/**
 * How to start a Node binary of target `t`: `[command, ...leadingArgs]`, to which the
 * script and its arguments are appended.
 */
export function nodeCommand(t, nodeBin) {
  // qemu by absolute path: the tests run it with a PATH that holds only node and sh.
  return t.qemu ? [which(t.qemu) ?? t.qemu, '-L', t.sysroot, nodeBin] : [nodeBin];
}

/** Runs a Node binary of target `t` and returns its stdout. */
export function execNode(t, nodeBin, args, options = {}) {
  const [cmd, ...lead] = nodeCommand(t, nodeBin);
  return execFileSync(cmd, [...lead, ...args], { encoding: 'utf8', ...options });
}

/** Parses `--targets a,b` against TARGETS; `null` when the flag is absent. */
export function parseTargetsFlag(args) {
  const i = args.indexOf('--targets');
  if (i < 0) return null;
  const tags = (args[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = tags.filter((tag) => !TARGETS.some((t) => t.tag === tag));
  if (tags.length === 0 || unknown.length > 0) {
    throw new Error(`--targets takes a comma-separated subset of ${TARGETS.map((t) => t.tag).join(',')}`);
  }
  return TARGETS.filter((t) => tags.includes(t.tag));
}

/**
 * The targets a script works on: those named by `--targets`, else every target that can
 * be built here. Under CI (CI=true) a target whose tools are missing is an error, not a
 * skip; elsewhere it is skipped with one line saying what is missing.
 */
export function selectTargets(args, what) {
  const named = parseTargetsFlag(args);
  const chosen = [];
  for (const t of named ?? TARGETS) {
    const missing = missingTools(t);
    if (missing.length === 0) {
      chosen.push(t);
      continue;
    }
    const line = `ferroprof: ${what} ${t.tag} needs ${missing.join(', ')}`;
    if (named || process.env.CI === 'true') throw new Error(line);
    console.log(`${line}; skipped`);
  }
  return chosen;
}
