import { readFileSync } from 'node:fs';

/** The C library of this Linux system (`gnu` or `musl`); `null` elsewhere. */
export function detectLibc(): 'gnu' | 'musl' | null {
  if (process.platform !== 'linux') return null;
  // `ldd` names its C library (a read of a few kB); a diagnostic report knows too, but
  // costs 5–15 ms of the JS thread at every start, so it is asked only when ldd is silent.
  let ldd = '';
  try {
    ldd = readFileSync('/usr/bin/ldd', 'utf8');
  } catch {
    // No ldd: Alpine-like systems ship none; the report decides.
  }
  if (ldd.includes('musl')) return 'musl';
  if (ldd.includes('GNU C Library') || ldd.includes('GLIBC')) return 'gnu';
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
}

/** The napi-rs platform tag of this machine, e.g. `linux-x64-gnu`, `darwin-arm64`. */
export function platformTag(): string {
  const suffix = process.platform === 'linux' ? `-${detectLibc()}` : process.platform === 'win32' ? '-msvc' : '';
  return `${process.platform}-${process.arch}${suffix}`;
}

/** The Node ABI (`NODE_MODULE_VERSION`) of the running Node. */
export function nodeAbi(): string {
  return process.versions.modules;
}
