/**
 * Small helpers every part of `ferroprof/sentry` shares: warnings, `@sentry/core`'s
 * debug log, option checks, this thread's identity. Internal module.
 */
import { isMainThread, threadId } from 'node:worker_threads';

import { debug } from '@sentry/core';

import type { ClientLike, IntegrationCounters } from './types.js';

/** This thread as spans and events name it (`thread.id`, `thread.name`). */
export const THREAD_NAME = isMainThread ? 'main' : `worker ${threadId}`;
export const THREAD_ID = String(threadId);

/** Longest wait of a transaction event for its profile, or for chunks in flight. */
export const PROFILE_WAIT_MS = 15_000;
/** A profile whose transaction is never captured (dropped by a processor) is forgotten after this. */
export const PROFILE_FORGET_MS = 60_000;

export function checkRange(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`ferroprof: ${name} must be a number between ${min} and ${max}, got ${String(value)}`);
  }
  return value;
}

/** A sample rate in [0, 1], or `undefined`. */
export function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

export function warn(message: string): void {
  try {
    console.warn(`ferroprof: ${message}`);
  } catch {
    // A broken console must not break the application.
  }
}

/** `@sentry/core`'s debug logger (prints only with `debug: true`), as the incumbent logs. */
export function debugLog(message: string): void {
  try {
    debug.log(message);
  } catch {
    // Logging must never break profiling.
  }
}

/** Fresh counters of the integration. */
export function newIntegrationCounters(): IntegrationCounters {
  return {
    chunksSent: 0,
    chunksTooShort: 0,
    chunksFailed: 0,
    profilesStarted: 0,
    profilesSent: 0,
    profilesTooShort: 0,
    profilesFailed: 0,
    profilesTimedOut: 0,
    transactionsLinked: 0,
    spansLinked: 0,
  };
}

/** Whether the client has a listener on one of `hooks` (`_hooks` of `@sentry/core` 10/11; unknown shape: yes). */
export function hasHook(client: ClientLike, ...hooks: string[]): boolean {
  const registry = (client as { _hooks?: Record<string, { size?: number; length?: number } | undefined> })._hooks;
  if (!registry || typeof registry !== 'object') return true;
  return hooks.some((h) => {
    const set = registry[h];
    return set !== undefined && (set.size ?? set.length ?? 1) > 0;
  });
}

export async function withTimeout<T>(work: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!work) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
