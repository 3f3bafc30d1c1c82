import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, PendingWorkTransport, positiveInt } from './pending.js';
import { DiscardCounter, OnceLogger, copyInfo, defaultLogger, describeError, normalizeTimeout, toBytes } from './support.js';
import type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, Transport, TransportLogger } from './types.js';

/** A user function that takes envelopes, e.g. an embedding SDK's own transport. */
export type EnvelopeCallback = (envelope: Uint8Array, info: EnvelopeInfo) => void | Promise<void>;

/** Options of {@link CallbackTransport}. */
export interface CallbackTransportOptions {
  /** Promises of the callback still pending at once; beyond it envelopes are dropped (default 10 000). */
  maxPending?: number;
  /** Bytes of envelopes in flight at once; beyond it new envelopes are dropped as `queue_overflow` (default 16 MiB). */
  maxPendingBytes?: number;
  /** Where problems are logged, once per kind (default `console.warn`). */
  logger?: TransportLogger;
}

/**
 * Hands each envelope (as UTF-8 bytes) to a user function, synchronously from `send`.
 * Errors it throws or promises it rejects are caught, logged once and counted
 * (`send_error`); `flush` waits for the promises it returned.
 */
export class CallbackTransport extends PendingWorkTransport {
  constructor(
    private readonly callback: EnvelopeCallback,
    options: CallbackTransportOptions = {},
  ) {
    super(
      positiveInt(options.maxPending, DEFAULT_MAX_PENDING),
      options.logger,
      positiveInt(options.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES),
    );
    if (typeof callback !== 'function') {
      throw new TypeError(`ferroprof: the transport callback must be a function, got ${typeof callback}`);
    }
  }

  /** Calls the user function; never throws. */
  send(envelope: Uint8Array | string, info: EnvelopeInfo): void {
    try {
      this.deliver(envelope, copyInfo(info));
    } catch (err) {
      this.log.log('internal', `ferroprof: transport error, envelope dropped: ${describeError(err)}`);
    }
  }

  private deliver(envelope: Uint8Array | string, copied: EnvelopeInfo): void {
    const bytes = toBytes(envelope);
    const overflow = () =>
      `ferroprof: the custom transport has ${this.maxPending} envelopes (${this.maxPendingBytes} bytes) pending; dropping (counted as queue_overflow)`;
    if (!this.admit(copied, bytes.length, overflow)) return;
    let result: unknown;
    try {
      result = this.callback(bytes, copied);
    } catch (err) {
      this.fail(copied, err);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<void>).then === 'function') {
      this.track(
        Promise.resolve(result as PromiseLike<void>).then(undefined, (err: unknown) => this.fail(copied, err)),
        bytes.length,
      );
    }
  }

  private fail(info: EnvelopeInfo, err: unknown): void {
    this.recordFailure(info);
    this.log.log('callback', `ferroprof: the custom transport failed: ${describeError(err)} (counted as send_error)`);
  }
}

/**
 * Makes a safe {@link Transport} out of the `transport` option: a function becomes a
 * {@link CallbackTransport}; a user object is wrapped so that a throwing `send` or a
 * rejecting/hanging `flush`/`close` cannot reach the app.
 */
export function toTransport(option: Transport | EnvelopeCallback, logger: TransportLogger = defaultLogger): Transport {
  if (typeof option === 'function') return new CallbackTransport(option, { logger });
  if (option === null || typeof option !== 'object' || typeof option.send !== 'function' || typeof option.flush !== 'function') {
    throw new TypeError(
      'ferroprof: `transport` must be a function (envelope, info) => void | Promise<void>, or an object with send() and flush()',
    );
  }
  const log = new OnceLogger(logger);
  // What the object cannot count itself (it has no recordDroppedEvent): counted here.
  const own = new DiscardCounter();
  const record = (reason: DiscardReason, category: DataCategory, quantity?: number): void => {
    if (typeof option.recordDroppedEvent !== 'function') {
      own.record(reason, category, quantity);
      return;
    }
    try {
      option.recordDroppedEvent(reason, category, quantity);
    } catch (err) {
      own.record(reason, category, quantity);
      log.log('record', `ferroprof: the custom transport's recordDroppedEvent threw: ${describeError(err)}`);
    }
  };
  // Sends that threw since the last flush: that flush cannot say everything was delivered.
  let failures = 0;
  const settle = (call: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<boolean> => {
    const clean = failures === 0;
    failures = 0;
    return settleWithin(call, timeoutMs).then((ok) => ok && clean);
  };
  const settleWithin = (call: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<boolean> => {
    let outcome: Promise<boolean>;
    try {
      outcome = Promise.resolve(call()).then(
        (ok) => ok === true,
        (err: unknown) => {
          log.log('flush', `ferroprof: the custom transport's flush failed: ${describeError(err)}`);
          return false;
        },
      );
    } catch (err) {
      log.log('flush', `ferroprof: the custom transport's flush failed: ${describeError(err)}`);
      return Promise.resolve(false);
    }
    const limit = normalizeTimeout(timeoutMs);
    if (limit === Infinity) return outcome;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), limit);
      void outcome.then((ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
  };
  const guarded: Transport = {
    send(envelope, info) {
      try {
        option.send(envelope, info);
      } catch (err) {
        // Counted like a throwing function transport: each item as `send_error`.
        failures += 1;
        const categories = Array.isArray(info?.categories) ? info.categories : [];
        for (const category of categories) record('send_error', category);
        log.log('send', `ferroprof: the custom transport's send threw: ${describeError(err)} (counted as send_error)`);
      }
    },
    flush: (timeoutMs) => settle(() => option.flush(timeoutMs), timeoutMs),
    close: (timeoutMs) =>
      settle(() => (typeof option.close === 'function' ? option.close(timeoutMs) : option.flush(timeoutMs)), timeoutMs),
  };
  guarded.recordDroppedEvent = record;
  guarded.getDroppedCounts = () => {
    let theirs: DroppedCount[] = [];
    try {
      theirs = typeof option.getDroppedCounts === 'function' ? (option.getDroppedCounts() ?? []) : [];
    } catch (err) {
      log.log('counts', `ferroprof: the custom transport's getDroppedCounts threw: ${describeError(err)}`);
    }
    return [...theirs, ...own.totals()];
  };
  return guarded;
}
