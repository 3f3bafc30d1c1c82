import type { EnvelopeCallback } from '../transport/callback.js';
import type { Transport } from '../transport/types.js';
import { DEFAULT_FREQUENCY_HZ, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ } from '../limits.generated.js';
import { logger } from './logger.js';
import { Scheduler, ThreadScheduler, schedulerForMode } from './schedulers.js';

/** What a sampler receives: the transaction's context, plus the custom context. */
export interface SamplingContext {
  transactionContext: TransactionContext;
  /** Whether the parent span was sampled, when the transaction continues a trace. */
  parentSampled?: boolean;
  environment?: string;
  [custom: string]: unknown;
}

/** What `startTransaction` takes. */
export interface TransactionContext {
  name: string;
  op?: string;
  description?: string;
  /** Continue a trace: its id and the parent span. */
  traceId?: string;
  parentSpanId?: string;
  parentSampled?: boolean;
  /** Force the tracing decision (skips samplers). */
  sampled?: boolean;
  tags?: Record<string, string>;
  data?: Record<string, unknown>;
}

/** `tracesSampler` / `profilesSampler`: returns a rate in [0, 1] or a boolean. */
export type SamplingFunction = (context: SamplingContext) => number | boolean;

/** The profiler modes of Sentry's Python SDK. */
export type ProfilerMode = 'thread' | 'sleep' | 'gevent' | 'continuous';

/** `_experiments`: the Python SDK's experimental profiling options. */
export interface Experiments {
  /** A scheduler instance (`new ThreadScheduler({ frequency })`); wins over the mode and frequency below. */
  profilerScheduler?: Scheduler;
  /** With `profilerMode: 'continuous'`, start a session at `init` (default false). */
  continuousProfilingAutoStart?: boolean;
  /** `thread` (default), `sleep`, `gevent` — transaction profiles; `continuous` — sessions. */
  profilerMode?: ProfilerMode;
  /** Sampling frequency in Hz when no scheduler is given (default 101). */
  profilerSchedulerFrequency?: number;
  /** A transaction profile stops at this length (default 30 000 ms, Sentry's limit). */
  maxProfileDurationMs?: number;
  /** Log a warning naming the transaction when its profile hits `maxProfileDurationMs`. */
  profileTimeoutWarning?: boolean;
  /** Accepted for compatibility; V8's sampler cannot read local variables (logged once). */
  includeLocalVariables?: boolean;
  /** Length of a continuous-profiling chunk (default 60 000 ms). */
  chunkDurationMs?: number;
}

/** Options of {@link init}. */
export interface Options {
  /** Sentry DSN; `SENTRY_DSN` when omitted; none means local mode (files under `localDir`). */
  dsn?: string;
  /** Probability in [0, 1] that a transaction is sampled (traced and sent). */
  tracesSampleRate?: number;
  /** Decides per transaction; wins over `tracesSampleRate`. */
  tracesSampler?: SamplingFunction;
  /** Probability in [0, 1] that a sampled transaction is profiled. */
  profilesSampleRate?: number;
  /** Decides per sampled transaction; wins over `profilesSampleRate`. */
  profilesSampler?: SamplingFunction;
  environment?: string;
  release?: string;
  serverName?: string;
  /** Verbose logging, and a one-line profiler summary at `close`. */
  debug?: boolean;
  /** Where envelopes go instead of the DSN or local files (for embedding SDKs). */
  transport?: Transport | EnvelopeCallback;
  /** Folder of local mode (default `.ferroprof`). */
  localDir?: string;
  _experiments?: Experiments;
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  dsn: string | undefined;
  tracesSampleRate: number | undefined;
  tracesSampler: SamplingFunction | undefined;
  profilesSampleRate: number | undefined;
  profilesSampler: SamplingFunction | undefined;
  environment: string;
  release: string | undefined;
  serverName: string | undefined;
  debug: boolean;
  transport: Transport | EnvelopeCallback | undefined;
  localDir: string;
  scheduler: Scheduler;
  profilerMode: ProfilerMode;
  continuousProfilingAutoStart: boolean;
  maxProfileDurationMs: number;
  profileTimeoutWarning: boolean;
  includeLocalVariables: boolean;
  chunkDurationMs: number;
}

export const DEFAULT_MAX_PROFILE_DURATION_MS = 30_000;
export const DEFAULT_CHUNK_DURATION_MS = 60_000;
export const DEFAULT_ENVIRONMENT = 'production';

const KNOWN_OPTIONS = new Set([
  'dsn',
  'tracesSampleRate',
  'tracesSampler',
  'profilesSampleRate',
  'profilesSampler',
  'environment',
  'release',
  'serverName',
  'debug',
  'transport',
  'localDir',
  '_experiments',
]);
const KNOWN_EXPERIMENTS = new Set([
  'profilerScheduler',
  'continuousProfilingAutoStart',
  'profilerMode',
  'profilerSchedulerFrequency',
  'maxProfileDurationMs',
  'profileTimeoutWarning',
  'includeLocalVariables',
  'chunkDurationMs',
]);
const PROFILER_MODES: readonly ProfilerMode[] = ['thread', 'sleep', 'gevent', 'continuous'];

/** A rate in [0, 1], or `undefined` with a warning (the caller treats that as 0/unset). */
export function validRate(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) return value;
  logger.warnOnce(`rate:${name}`, `${name} must be a number between 0 and 1, got ${describe(value)}; using 0`);
  return 0;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  logger.warnOnce(`string:${name}`, `${name} must be a string, got ${describe(value)}; ignoring it`);
  return undefined;
}

function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'function') return value as T;
  logger.warnOnce(`fn:${name}`, `${name} must be a function, got ${describe(value)}; ignoring it`);
  return undefined;
}

function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  logger.warnOnce(`bool:${name}`, `${name} must be true or false, got ${describe(value)}; using ${fallback}`);
  return fallback;
}

function boundedNumber(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  logger.warnOnce(
    `range:${name}`,
    `${name} must be a number between ${min} and ${max}, got ${describe(value)}; using ${fallback}`,
  );
  return fallback;
}

/**
 * A plain copy of the known options of `value`, each read once. A getter or a Proxy
 * trap that throws costs that option only (reported once, left at its default):
 * `init` never throws.
 */
function snapshot<T extends object>(where: string, value: object, known: Set<string>): T {
  const copy: Record<string, unknown> = {};
  let keys: string[];
  let firstError: unknown;
  try {
    keys = Object.keys(value);
  } catch (err) {
    // A Proxy that cannot list its keys: the known options are asked for one by one.
    keys = [...known];
    firstError = err;
  }
  const unreadable: string[] = [];
  for (const key of keys) {
    if (!known.has(key)) {
      logger.warnOnce(`unknown:${where}.${key}`, `unknown option ${where}${key}; ignoring it`);
      continue;
    }
    try {
      copy[key] = (value as Record<string, unknown>)[key];
    } catch (err) {
      unreadable.push(`${where}${key}`);
      firstError ??= err;
    }
  }
  if (firstError !== undefined) {
    const what =
      unreadable.length > 0
        ? `reading option${unreadable.length > 1 ? 's' : ''} ${unreadable.join(', ')}`
        : `listing the ${where || 'init '}options`;
    logger.warnOnce(
      `read:${where}`,
      `${what} threw: ${errorText(firstError)}; using the default${unreadable.length > 1 ? 's' : ''}`,
    );
  }
  return copy as T;
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'an unprintable error';
  }
}

function resolveScheduler(exp: Experiments, mode: ProfilerMode): Scheduler {
  const frequency = boundedNumber(
    '_experiments.profilerSchedulerFrequency',
    exp.profilerSchedulerFrequency,
    MIN_FREQUENCY_HZ,
    MAX_FREQUENCY_HZ,
    DEFAULT_FREQUENCY_HZ,
  );
  if (exp.profilerScheduler !== undefined) {
    if (exp.profilerScheduler instanceof Scheduler) return exp.profilerScheduler;
    logger.warnOnce(
      'scheduler',
      `_experiments.profilerScheduler must be a ThreadScheduler, SleepScheduler or GeventScheduler; using ThreadScheduler({ frequency: ${frequency} })`,
    );
    return new ThreadScheduler({ frequency });
  }
  return schedulerForMode(mode === 'continuous' ? 'thread' : mode, frequency);
}

/**
 * Validates `init` options. Never throws: every invalid value is reported once, with
 * the accepted range, and replaced by its documented default.
 */
export function resolveOptions(input: Options | undefined): ResolvedOptions {
  const isObject = input !== null && typeof input === 'object';
  if (input !== undefined && !isObject) logger.warnOnce('options', 'init() expects an options object; using defaults');
  const raw: Options = isObject ? snapshot<Options>('', input, KNOWN_OPTIONS) : {};
  const expObject = raw._experiments !== null && typeof raw._experiments === 'object';
  if (raw._experiments !== undefined && !expObject) {
    logger.warnOnce('experiments', '_experiments must be an object; ignoring it');
  }
  const exp: Experiments =
    expObject && raw._experiments ? snapshot<Experiments>('_experiments.', raw._experiments, KNOWN_EXPERIMENTS) : {};

  let profilerMode: ProfilerMode = 'thread';
  if (exp.profilerMode !== undefined) {
    if (PROFILER_MODES.includes(exp.profilerMode)) profilerMode = exp.profilerMode;
    else
      logger.warnOnce(
        'mode',
        `_experiments.profilerMode must be one of ${PROFILER_MODES.join(', ')}, got ${describe(exp.profilerMode)}; using thread`,
      );
  }
  const includeLocalVariables = optionalBoolean('_experiments.includeLocalVariables', exp.includeLocalVariables, false);
  if (includeLocalVariables) {
    logger.warnOnce(
      'locals',
      "_experiments.includeLocalVariables: V8's sampling profiler records functions, files and lines, never local variables; the option has no effect on profiles",
    );
  }
  const dsnOption = optionalString('dsn', raw.dsn);
  const envDsn = process.env.SENTRY_DSN;
  return {
    dsn: dsnOption !== undefined ? dsnOption || undefined : envDsn || undefined,
    tracesSampleRate: validRate('tracesSampleRate', raw.tracesSampleRate),
    tracesSampler: optionalFunction<SamplingFunction>('tracesSampler', raw.tracesSampler),
    profilesSampleRate: validRate('profilesSampleRate', raw.profilesSampleRate),
    profilesSampler: optionalFunction<SamplingFunction>('profilesSampler', raw.profilesSampler),
    environment: optionalString('environment', raw.environment) ?? process.env.SENTRY_ENVIRONMENT ?? DEFAULT_ENVIRONMENT,
    release: optionalString('release', raw.release) ?? process.env.SENTRY_RELEASE,
    serverName: optionalString('serverName', raw.serverName),
    debug: optionalBoolean('debug', raw.debug, false),
    transport: raw.transport,
    localDir: optionalString('localDir', raw.localDir) ?? '.ferroprof',
    scheduler: resolveScheduler(exp, profilerMode),
    profilerMode,
    continuousProfilingAutoStart: optionalBoolean(
      '_experiments.continuousProfilingAutoStart',
      exp.continuousProfilingAutoStart,
      false,
    ),
    maxProfileDurationMs: boundedNumber(
      '_experiments.maxProfileDurationMs',
      exp.maxProfileDurationMs,
      1,
      DEFAULT_MAX_PROFILE_DURATION_MS,
      DEFAULT_MAX_PROFILE_DURATION_MS,
    ),
    profileTimeoutWarning: optionalBoolean('_experiments.profileTimeoutWarning', exp.profileTimeoutWarning, false),
    includeLocalVariables,
    chunkDurationMs: boundedNumber('_experiments.chunkDurationMs', exp.chunkDurationMs, 100, 60_000, DEFAULT_CHUNK_DURATION_MS),
  };
}
