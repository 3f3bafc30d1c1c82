import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ProfileModel } from './model.js';

/** ferroprof's installed package folder (this module lives in its `dist/`). */
function ownPackageDir(): string | undefined {
  try {
    return dirname(dirname(fileURLToPath(import.meta.url))) + sep;
  } catch {
    return undefined;
  }
}

const INSTALLED = /[\\/]node_modules[\\/]ferroprof[\\/]/;

/** Whether a file belongs to ferroprof itself (its `dist/`, installed or this checkout). */
export function isOwnFile(file: string | undefined, own = ownPackageDir()): boolean {
  if (!file) return false;
  const path = file.startsWith('file://') ? file.slice(7) : file;
  return INSTALLED.test(path) || (own !== undefined && path.startsWith(`${own}dist${sep}`));
}

/**
 * The frames that are the profiler's own work: ferroprof's JavaScript, and native
 * frames (`minSampleSpacingMs (native)`) that are only ever called from it. Tables and
 * the page leave them out of the function lists; their time stays in their callers' totals.
 */
export function ownFrames(model: ProfileModel): Set<number> {
  const own = ownPackageDir();
  const byFile = model.frames.map((f) => isOwnFile(f.abs_path || f.filename, own));
  const underOwn = new Map<number, number>();
  const seen = new Map<number, number>();
  for (const thread of model.threads) {
    for (const s of thread.samples) {
      for (let d = 0; d < s.stack.length; d++) {
        const fi = s.stack[d]!;
        const f = model.frames[fi];
        if (byFile[fi] || f?.abs_path || f?.filename) continue;
        seen.set(fi, (seen.get(fi) ?? 0) + 1);
        const caller = s.stack[d + 1];
        if (caller !== undefined && byFile[caller]) underOwn.set(fi, (underOwn.get(fi) ?? 0) + 1);
      }
    }
  }
  const out = new Set<number>();
  byFile.forEach((isOwn, fi) => {
    if (isOwn) out.add(fi);
  });
  for (const [fi, n] of seen) if (underOwn.get(fi) === n) out.add(fi);
  return out;
}
