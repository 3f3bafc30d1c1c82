import type { ResolvedOptions, SamplingContext, TransactionContext } from './options.js';
import { draw, rateFromSampler } from './sampling.js';

/** The tracing decision: forced, the sampler, the parent's, or the rate (in that order). */
export function decideTracing(options: ResolvedOptions, ctx: TransactionContext, samplingContext: SamplingContext): boolean {
  if (typeof ctx.sampled === 'boolean') return ctx.sampled;
  if (options.tracesSampler) return draw(rateFromSampler('tracesSampler', options.tracesSampler, samplingContext));
  if (typeof ctx.parentSampled === 'boolean') return ctx.parentSampled;
  return draw(options.tracesSampleRate ?? 0);
}

/** The profiling decision of a sampled transaction: the sampler, else the rate. */
export function decideProfiling(options: ResolvedOptions, samplingContext: SamplingContext): boolean {
  if (options.profilesSampler) {
    return draw(rateFromSampler('profilesSampler', options.profilesSampler, samplingContext));
  }
  return draw(options.profilesSampleRate ?? 0);
}

/** Whether a client with these options will profile: transaction profiles or continuous mode. */
export function profilingConfigured(options: ResolvedOptions): boolean {
  return options.profilerMode === 'continuous' || options.profilesSampler !== undefined || (options.profilesSampleRate ?? 0) > 0;
}
