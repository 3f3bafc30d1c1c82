/**
 * The integration's options: checked when it is created (out of range throws), and
 * resolved against the client's options at setup (an option given to the integration
 * wins; a bad rate warns and counts as 0). Internal module.
 */
import { SDK_VERSION } from '@sentry/core';

import { DEFAULT_FREQUENCY_HZ, validateFrequency } from '../binding.js';
import { checkRange, rate, warn } from './common.js';
import type { FerroprofIntegrationOptions } from './types.js';

/** The options checked at creation. */
export interface CheckedOptions {
  frequency: number;
  chunkDurationMs: number;
  maxProfileDurationMs: number;
}

/**
 * @throws RangeError for a frequency outside 1–10 000 Hz, or another option out of range.
 */
export function checkOptions(options: FerroprofIntegrationOptions): CheckedOptions {
  const checked = {
    frequency: validateFrequency(options.frequency ?? DEFAULT_FREQUENCY_HZ),
    chunkDurationMs: checkRange('chunkDurationMs', options.chunkDurationMs, 100, 60_000, 60_000),
    maxProfileDurationMs: checkRange('maxProfileDurationMs', options.maxProfileDurationMs, 1, 30_000, 30_000),
  };
  const lifecycle = options.profileLifecycle;
  if (lifecycle !== undefined && lifecycle !== 'manual' && lifecycle !== 'trace') {
    throw new RangeError(`ferroprof: profileLifecycle must be 'manual' or 'trace', got ${String(lifecycle)}`);
  }
  return checked;
}

/** The options in effect once the client's are known. */
export interface ResolvedOptions {
  lifecycle: 'manual' | 'trace';
  /** Which root spans get a transaction profile. */
  profiles: { rate: number; sampler: FerroprofIntegrationOptions['profilesSampler'] };
  /** Probability that this process's session is sampled. */
  sessionRate: number;
  /** 10.x with no profiling option: `start()` while running cuts the chunk, as the incumbent's legacy API. */
  legacyContinuous: boolean;
}

export function resolveOptions(options: FerroprofIntegrationOptions, clientOptions: Record<string, unknown>): ResolvedOptions {
  const opt = <K extends keyof FerroprofIntegrationOptions>(key: K): unknown =>
    options[key] !== undefined ? options[key] : clientOptions[key];
  const checkedRate = (name: 'profilesSampleRate' | 'profileSessionSampleRate'): number | undefined => {
    const value = opt(name);
    if (value === undefined) return undefined;
    const r = rate(value);
    if (r === undefined) warn(`${name} must be a number between 0 and 1, got ${String(value)}; treating it as 0`);
    return r ?? 0;
  };
  const profilesRate = checkedRate('profilesSampleRate') ?? 0;
  const sampler = opt('profilesSampler');
  const profilesSampler = typeof sampler === 'function' ? (sampler as FerroprofIntegrationOptions['profilesSampler']) : undefined;
  const lifecycle = opt('profileLifecycle');
  const perTransaction = profilesSampler !== undefined || profilesRate > 0;
  // As with @sentry/profiling-node: with no rate at all, start()/stop() profile unsampled.
  // As with @sentry/profiling-node 10.x: with no profiling option at all, start()/stop()
  // profile unsampled (the legacy continuous API); 11.x has no such API and profiles nothing.
  const legacyMajor = Number(String(SDK_VERSION).split('.')[0]) < 11;
  const explicitRate = checkedRate('profileSessionSampleRate');
  const legacyContinuous = explicitRate === undefined && !perTransaction && lifecycle === undefined && legacyMajor;
  return {
    lifecycle: lifecycle === 'trace' ? 'trace' : 'manual',
    profiles: { rate: profilesRate, sampler: profilesSampler },
    sessionRate: explicitRate ?? (legacyContinuous ? 1 : 0),
    legacyContinuous,
  };
}
