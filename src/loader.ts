import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { detectLibc, nodeAbi, platformTag } from './platform.js';
import type { NativeBinding } from './native-types.js';

/** Thrown when no native binary fits this platform and Node ABI. */
export class NativeBindingError extends Error {
  override name = 'NativeBindingError';
}

const requireHere = createRequire(import.meta.url);

/** The root of the ferroprof package (the folder holding `package.json`). */
export function packageRoot(): string {
  // dist/index.{js,cjs} and src/*.ts are both one level below the root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** The file name of the binary for this platform and ABI. */
export function binaryFileName(tag = platformTag(), abi = nodeAbi()): string {
  return `ferroprof.${tag}.abi${abi}.node`;
}

interface Candidate {
  path: string;
  origin: string;
}

function candidates(tag: string, file: string): Candidate[] {
  const found: Candidate[] = [];
  const override = process.env.FERROPROF_NATIVE_PATH;
  if (override) found.push({ path: override, origin: 'FERROPROF_NATIVE_PATH' });
  try {
    const pkgJson = requireHere.resolve(`@ferroprof/${tag}/package.json`);
    found.push({ path: join(dirname(pkgJson), file), origin: `package @ferroprof/${tag}` });
  } catch {
    // Platform package not installed: fall through to the local build.
  }
  found.push({ path: join(packageRoot(), 'npm', tag, file), origin: 'local build' });
  return found;
}

let cached: NativeBinding | undefined;

/**
 * Loads the native addon for this platform and Node ABI.
 *
 * Looks, in order, at `FERROPROF_NATIVE_PATH`, the installed platform package
 * `@ferroprof/<platform>`, and a local build under `npm/<platform>/`. When none loads,
 * throws one {@link NativeBindingError} naming platform, arch, libc and Node ABI and
 * saying how to build from source, instead of an opaque `dlopen` trace.
 */
export function loadNativeBinding(): NativeBinding {
  if (cached) return cached;
  const tag = platformTag();
  const abi = nodeAbi();
  const file = binaryFileName(tag, abi);
  const tried: string[] = [];
  for (const c of candidates(tag, file)) {
    if (!existsSync(c.path)) {
      tried.push(`${c.origin}: ${c.path} (missing)`);
      continue;
    }
    try {
      const binding = requireHere(c.path) as NativeBinding;
      if (binding.nativeAbi() !== abi) {
        tried.push(`${c.origin}: ${c.path} (built for ABI ${binding.nativeAbi()})`);
        continue;
      }
      cached = binding;
      return binding;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      tried.push(`${c.origin}: ${c.path} (failed to load: ${reason})`);
    }
  }
  throw new NativeBindingError(
    `ferroprof: no native binary for platform ${process.platform}, arch ${process.arch}, ` +
      `libc ${detectLibc() ?? 'n/a'}, Node ${process.version} (ABI ${abi}).\n` +
      `Looked for ${file} in:\n  - ${tried.join('\n  - ')}\n` +
      `Prebuilt binaries are published as @ferroprof/<platform> packages; this combination has none. ` +
      `To build from source, install Rust (cargo) and a C++ compiler, then run ` +
      `"npm run build:native" in the ferroprof package folder, or reinstall with ` +
      `FERROPROF_BUILD_FROM_SOURCE=1.`,
  );
}
