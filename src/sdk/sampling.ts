import { logger } from './logger.js';
import type { SamplingContext, SamplingFunction } from './options.js';

/**
 * Runs a sampler and turns its answer into a rate in [0, 1]. A sampler that throws,
 * or answers anything but a boolean or a number in [0, 1], counts as 0 (logged once).
 */
export function rateFromSampler(name: string, sampler: SamplingFunction, context: SamplingContext): number {
  let answer: unknown;
  try {
    answer = sampler(context);
  } catch (err) {
    logger.warnOnce(`sampler-threw:${name}`, `${name} threw (${errorText(err)}); treating it as 0`);
    return 0;
  }
  if (typeof answer === 'boolean') return answer ? 1 : 0;
  if (typeof answer === 'number' && Number.isFinite(answer) && answer >= 0 && answer <= 1) return answer;
  logger.warnOnce(
    `sampler-bad:${name}`,
    `${name} must return a number between 0 and 1 or a boolean, got ${String(answer)}; treating it as 0`,
  );
  return 0;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Bernoulli draw with probability `rate`. */
export function draw(rate: number, random: () => number = Math.random): boolean {
  return rate > 0 && (rate >= 1 || random() < rate);
}
