import { argTypeError, checkInteger } from './args.js';
import type { ProfileFrame, WindowProfile } from './sampler.js';

/** One function's share of a profile. */
export interface FunctionCost {
  function: string;
  /** `file:line` of the function, when known. */
  location: string;
  /** Samples where the function was the leaf. */
  self: number;
  /** Samples where the function was anywhere on the stack. */
  total: number;
}

function location(frame: ProfileFrame): string {
  if (!frame.abs_path) return '(native)';
  return frame.lineno ? `${frame.abs_path}:${frame.lineno}` : frame.abs_path;
}

function checkProfile(call: string, profile: unknown, limit: unknown): void {
  const p = profile as Partial<WindowProfile> | null;
  if (p === null || typeof p !== 'object' || !Array.isArray(p.samples) || !Array.isArray(p.stacks) || !Array.isArray(p.frames)) {
    throw argTypeError(call, 'profile', 'a WindowProfile (from closeWindow()) with samples, stacks and frames', profile);
  }
  checkInteger(call, 'limit', limit, 1);
}

/**
 * Functions ranked by self samples (ties by total), idle samples excluded.
 * @throws TypeError when `profile` is not a {@link WindowProfile}; RangeError when `limit` is not an integer ≥ 1.
 */
export function topFunctions(profile: WindowProfile, limit = 10): FunctionCost[] {
  checkProfile('topFunctions(profile, limit)', profile, limit);
  const byKey = new Map<string, FunctionCost>();
  const keyOf = (f: ProfileFrame) => `${f.function ?? '?'}\u0000${f.abs_path ?? ''}`;
  for (const sample of profile.samples) {
    const stack = profile.stacks[sample.stackId] ?? [];
    const seen = new Set<string>();
    stack.forEach((frameIndex, depth) => {
      const frame = profile.frames[frameIndex];
      if (!frame) return;
      const key = keyOf(frame);
      let cost = byKey.get(key);
      if (!cost) {
        cost = { function: frame.function ?? '?', location: location(frame), self: 0, total: 0 };
        byKey.set(key, cost);
      }
      if (depth === 0) cost.self += 1;
      if (!seen.has(key)) {
        cost.total += 1;
        seen.add(key);
      }
    });
  }
  return [...byKey.values()].sort((a, b) => b.self - a.self || b.total - a.total).slice(0, limit);
}

/** A plain-text table of {@link topFunctions} (same arguments, same errors). */
export function formatTopTable(profile: WindowProfile, limit = 10): string {
  checkProfile('formatTopTable(profile, limit)', profile, limit);
  const rows = topFunctions(profile, limit);
  const n = Math.max(1, profile.samples.length);
  const pct = (x: number) => `${((100 * x) / n).toFixed(1).padStart(5)}%`;
  const lines = [`${'self'.padStart(6)} ${'total'.padStart(6)}  function (file:line)`];
  for (const r of rows) lines.push(`${pct(r.self)} ${pct(r.total)}  ${r.function} (${r.location})`);
  return lines.join('\n');
}
