// The platform tag of napi-rs packages (`linux-x64-gnu`, `darwin-arm64`, ...), shared by
// the build scripts. src/platform.ts computes the same tag at run time.
import { readFileSync } from 'node:fs';

export function libc() {
  if (process.platform !== 'linux') return null;
  const report = process.report?.getReport?.();
  if (report?.header?.glibcVersionRuntime) return 'gnu';
  try {
    if (readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl';
  } catch {}
  return 'musl';
}

export function platformTag() {
  const abi = process.platform === 'linux' ? `-${libc()}` : process.platform === 'win32' ? '-msvc' : '';
  return `${process.platform}-${process.arch}${abi}`;
}
