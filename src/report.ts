// "Top functions" of a low-level window profile. The ranking is the CLI's
// (`computeTop` in src/cli/top.ts): one implementation, so `ferroprof top` and these
// functions always agree.
import { argTypeError, checkInteger } from './args.js';
import { addWindowProfile } from './cli/convert.js';
import { ModelBuilder, type ProfileModel } from './cli/model.js';
import { computeTop, formatTop } from './cli/top.js';
import type { WindowProfile } from './binding.js';

/** One function's share of a profile. */
export interface FunctionCost {
  function: string;
  /**
   * `file:line` of the function (its lines add up in one row; the line is the first it
   * was sampled at), or `(native)`.
   */
  location: string;
  /** Samples where the function was the leaf. */
  self: number;
  /** Samples where the function was anywhere on the stack (recursion counted once). */
  total: number;
  /** Time with the function as the leaf, in nanoseconds. */
  selfNs: number;
  /** Time with the function anywhere on the stack, in nanoseconds. */
  totalNs: number;
}

function checkProfile(call: string, profile: unknown, limit: unknown): void {
  const p = profile as Partial<WindowProfile> | null;
  if (p === null || typeof p !== 'object' || !Array.isArray(p.samples) || !Array.isArray(p.stacks) || !Array.isArray(p.frames)) {
    throw argTypeError(call, 'profile', 'a WindowProfile (from closeWindow()) with samples, stacks and frames', profile);
  }
  checkInteger(call, 'limit', limit, 1);
}

function modelOf(profile: WindowProfile): ProfileModel {
  const builder = new ModelBuilder();
  if (profile.samples.length > 0) addWindowProfile(builder, profile as unknown as Record<string, unknown>);
  return builder.build();
}

/**
 * Functions ranked by self time (ties by total time), idle samples excluded.
 * @throws TypeError when `profile` is not a {@link WindowProfile}; RangeError when `limit` is not an integer ≥ 1.
 */
export function topFunctions(profile: WindowProfile, limit = 10): FunctionCost[] {
  checkProfile('topFunctions(profile, limit)', profile, limit);
  return computeTop(modelOf(profile), limit).bySelf.map((f) => ({
    function: f.function,
    location: f.location,
    self: f.selfSamples,
    total: f.totalSamples,
    selfNs: f.selfNs,
    totalNs: f.totalNs,
  }));
}

/** The table `ferroprof top` prints, for a window profile (same arguments, same errors as {@link topFunctions}). */
export function formatTopTable(profile: WindowProfile, limit = 10): string {
  checkProfile('formatTopTable(profile, limit)', profile, limit);
  return formatTop(modelOf(profile), limit);
}
