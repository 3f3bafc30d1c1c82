import { readFileSync } from 'node:fs';

/** The C library of this Linux system (`gnu` or `musl`); `null` elsewhere. */
export function detectLibc(): 'gnu' | 'musl' | null {
  if (process.platform !== 'linux') return null;
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (report?.header?.glibcVersionRuntime) return 'gnu';
  try {
    if (readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl';
  } catch {
    // No ldd: assume musl (Alpine-like systems ship none).
  }
  return 'musl';
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
