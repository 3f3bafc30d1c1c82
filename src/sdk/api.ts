import { argTypeError, checkFunction, checkObject, checkTimeout } from '../args.js';
import { Client, type ProfilerStats } from './client.js';
import { logger } from './logger.js';
import { resolveOptions, type Options, type TransactionContext } from './options.js';
import { Profile as ProfileImpl } from './profile.js';
import { activeSpanStorage, getActiveSpan } from './scope.js';
import { type Span, Transaction, type SpanContext } from './span.js';

let client: Client | undefined;
/** The last client `close` shut down, for {@link getProfilerStats}. */
let closedClient: Client | undefined;

/**
 * Sets up ferroprof. With no `dsn` (and no `SENTRY_DSN`), envelopes are written under
 * `localDir` (`.ferroprof/`). Never throws for a bad option: each is reported once and
 * replaced by its default. Calling `init` again replaces the client (the previous one
 * is closed in the background).
 */
export function init(options?: Options): Client {
  const previous = client;
  client = newClient(options);
  // The previous client delivers what it had queued, in the background.
  if (previous) void previous.close(2000);
  return client;
}

// `init` never throws: options that cannot be used even one by one (a Proxy whose
// every trap throws) leave the client at its defaults, which trace nothing.
function newClient(options: Options | undefined): Client {
  try {
    return new Client(resolveOptions(options));
  } catch (err) {
    logger.warnOnce(
      'init',
      `init() could not use its options (${err instanceof Error ? err.message : String(err)}); using the defaults`,
    );
    return new Client(resolveOptions(undefined));
  }
}

/** The current client, if `init` was called. */
export function getClient(): Client | undefined {
  return client;
}

/**
 * Resolves `true` when everything queued was delivered (or written) within `timeoutMs`
 * (default 2000). Rejects with a `TypeError`/`RangeError` when `timeoutMs` is not a
 * finite number ≥ 0.
 */
export function flush(timeoutMs?: number): Promise<boolean> {
  let ms: number;
  try {
    ms = checkTimeout('flush(timeoutMs)', 'timeoutMs', timeoutMs, 2000);
  } catch (err) {
    return Promise.reject(err);
  }
  return client ? client.flush(ms) : Promise.resolve(true);
}

/**
 * Stops profiling, flushes (at most `timeoutMs`, default 2000), and shuts the client
 * down. Rejects with a `TypeError`/`RangeError` when `timeoutMs` is not a finite number ≥ 0.
 */
export async function close(timeoutMs?: number): Promise<boolean> {
  const ms = checkTimeout('close(timeoutMs)', 'timeoutMs', timeoutMs, 2000);
  const c = client;
  if (!c) return true;
  const ok = await c.close(ms);
  if (client === c) {
    client = undefined;
    // Its counters (what was delivered, what was dropped and why) stay readable.
    closedClient = c;
  }
  return ok;
}

/**
 * Starts a transaction and makes it the active span of the current async context.
 * `customSamplingContext` is merged into what samplers receive. Finish it with
 * `finish()`, or `using txn = startTransaction(...)`.
 *
 * A `context` that is not an object, or has no non-empty `name`, is reported once and
 * the transaction is named `<unlabeled transaction>` (the application keeps running).
 * @throws TypeError when `customSamplingContext` is given and is not an object.
 */
export function startTransaction(context: TransactionContext, customSamplingContext?: Record<string, unknown>): Transaction {
  checkObject('startTransaction(context, customSamplingContext)', 'customSamplingContext', customSamplingContext, true);
  const txn = client
    ? client.startTransaction(context, customSamplingContext)
    : new Transaction({ name: context?.name ?? '<unlabeled transaction>', op: context?.op, sampled: false, sink: undefined });
  txn.activate();
  return txn;
}

/**
 * Runs `fn` inside a new transaction (active for everything `fn` starts, sync or
 * async) and finishes it when `fn` returns or its promise settles; an exception sets
 * the status `internal_error` and is rethrown. `context` is treated as by
 * {@link startTransaction}.
 * @throws TypeError when `fn` is not a function or `customSamplingContext` not an object
 * (before any transaction starts).
 */
export function withTransaction<T>(
  context: TransactionContext,
  fn: (txn: Transaction) => T,
  customSamplingContext?: Record<string, unknown>,
): T {
  checkFunction('withTransaction(context, fn)', 'fn', fn);
  checkObject('withTransaction(context, fn, customSamplingContext)', 'customSamplingContext', customSamplingContext, true);
  const txn = client
    ? client.startTransaction(context, customSamplingContext)
    : new Transaction({ name: context?.name ?? '<unlabeled transaction>', op: context?.op, sampled: false, sink: undefined });
  return activeSpanStorage.run(txn, () => runAndFinish(txn, fn));
}

/**
 * Starts a child of the active span (a detached, unsent span when none is active).
 * @throws TypeError when `context` is given and is not an object.
 */
export function startSpan(context: SpanContext = {}): Span {
  checkObject('startSpan(context)', 'context', context, true);
  const parent = getActiveSpan();
  if (parent) return parent.startChild(context);
  logger.debug('startSpan() with no active transaction: the span will not be sent');
  return new Transaction({ name: context.description ?? context.op ?? 'span', sampled: false, sink: undefined }).startChild(
    context,
  );
}

/**
 * Runs `fn` inside a child span of the active span, finished when `fn` settles.
 * @throws TypeError when `fn` is not a function or `context` not an object (before any span starts).
 */
export function withSpan<T>(context: SpanContext, fn: (span: Span) => T): T {
  checkFunction('withSpan(context, fn)', 'fn', fn);
  checkObject('withSpan(context, fn)', 'context', context, true);
  const span = startSpan(context);
  return activeSpanStorage.run(span, () => runAndFinish(span, fn));
}

function runAndFinish<S extends Span, T>(span: S, fn: (span: S) => T): T {
  let result: T;
  try {
    result = fn(span);
  } catch (err) {
    span.setStatus('internal_error');
    span.finish();
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.finish();
        return value;
      },
      (err: unknown) => {
        span.setStatus('internal_error');
        span.finish();
        throw err;
      },
    ) as T;
  }
  span.finish();
  return result;
}

/**
 * A profile bound to a transaction (Python's `Profile(transaction)`): samples from now
 * until `finish()` (or the transaction's end) travel with the transaction. It shares
 * the isolate's sampler and never restarts V8 profiling.
 */
export class Profile extends ProfileImpl {
  /** @throws TypeError when `transaction` is not a {@link Transaction} (from `startTransaction()`). */
  constructor(transaction: Transaction) {
    if (!isTransaction(transaction)) {
      throw argTypeError('new Profile(transaction)', 'transaction', 'a Transaction (from startTransaction())', transaction);
    }
    const c = client;
    super(
      transaction,
      c ? { maxDurationMs: c.options.maxProfileDurationMs, timeoutWarning: c.options.profileTimeoutWarning } : {},
    );
    if (c) c.counters.profilesStarted += 1;
  }
}

/**
 * Starts a continuous-profiling session (one `profiler_id`, a `profile_chunk` every
 * chunk period) for this process and its workers. Works whatever `profilerMode` says;
 * a second call is a no-op. Without `init`, a local-mode client is created.
 */
export function startProfiler(): void {
  (client ?? init()).startProfiler();
}

/** Stops the session and sends its last chunk; a no-op when none runs. */
export function stopProfiler(): Promise<void> {
  return client ? client.stopProfiler() : Promise.resolve();
}

/** Alias of {@link startProfiler} (Python's `start_profile_session`). */
export const startProfileSession = startProfiler;
/** Alias of {@link stopProfiler} (Python's `stop_profile_session`). */
export const stopProfileSession = stopProfiler;

/**
 * The profiler's own measurements: samples, drops by reason, rotations, JS-thread time,
 * bytes, sends. After `close`, the closed client's (`undefined` only before `init`).
 */
export function getProfilerStats(): ProfilerStats | undefined {
  return (client ?? closedClient)?.stats();
}

export { getActiveSpan };

// By shape, not `instanceof`: a transaction from another copy of the package (ESM and
// CommonJS builds in one process) is still a transaction.
function isTransaction(value: unknown): value is Transaction {
  if (value instanceof Transaction) return true;
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Transaction>;
  return typeof v.eventId === 'string' && typeof v.traceId === 'string' && typeof v.finish === 'function' && v.transaction === v;
}
