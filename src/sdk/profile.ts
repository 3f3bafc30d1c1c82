import type { RejectionReason, WindowResult } from '../native-types.js';
import { closeWindowThen, encodedOutcome, openWindowId, withdrawWindow } from '../binding.js';
import { uuid4 } from './ids.js';
import { errorLine, logger } from './logger.js';
import type { Transaction } from './span.js';

/** What became of a profile once its samples were encoded. */
export type ProfileOutcome =
  | { kind: 'encoded'; profileId: string; payload: string }
  | { kind: 'rejected'; reason: RejectionReason; message: string; samples: number }
  | { kind: 'failed'; message: string };

/** Options a client passes when it starts a profile. */
export interface ProfileOptions {
  /** The profile stops at this length even if the transaction goes on. */
  maxDurationMs: number;
  /** Warn (once per transaction name) when that happens. */
  timeoutWarning: boolean;
  /** Called once with the outcome (the client sends or counts it). */
  onOutcome?: (outcome: ProfileOutcome) => void;
  /**
   * A profile shorter than this (ms) holds one sample at most, which Sentry refuses:
   * it is decided here, and its window withdrawn, without engine work or a result.
   * `0` (the default) leaves every profile to the encoder.
   */
  minDurationMs: number;
}

const DEFAULT_OPTIONS: ProfileOptions = { maxDurationMs: 30_000, timeoutWarning: false, minDurationMs: 0 };

const ignore = (): void => {};

// A transaction that is dropped without being finished (a request that threw past its
// `finish`, say) must not keep its window open natively for the life of the process:
// when its profile is collected, the window is closed and its result discarded.
const unfinished = new FinalizationRegistry<number>((windowId) => {
  try {
    closeWindowThen(windowId, {}, ignore);
  } catch {
    // The addon is gone (process exit): nothing is left open.
  }
});

/**
 * A profile bound to a transaction: a time window over the isolate's shared sampler.
 * Creating or finishing one never restarts V8 profiling while the sampler runs; the
 * samples are sliced and encoded (sample format v1) on the engine thread, and the
 * window ends at `maxDurationMs` on the native side, event loop or not.
 */
export class Profile {
  /** The profile's `event_id`; goes into the transaction's `contexts.profile.profile_id`. */
  readonly profileId = uuid4();
  readonly transaction: Transaction;
  /** True when the profile was cut at its maximum duration (known once it is finished). */
  timedOut = false;
  private windowId: number | undefined;
  private readonly startedAt = performance.now();
  private readonly options: ProfileOptions;
  private result: ProfileOutcome | undefined;
  // Promises only for who asks for one: a transaction profile costs none.
  private waiting: ((o: ProfileOutcome) => void)[] | undefined;
  private promise: Promise<ProfileOutcome> | undefined;

  constructor(transaction: Transaction, options: Partial<ProfileOptions> = {}) {
    this.transaction = transaction;
    this.options = { ...DEFAULT_OPTIONS, ...options };
    try {
      this.windowId = openWindowId(this.options.maxDurationMs);
    } catch (err) {
      // No native binary, or V8 refused: the transaction goes on unprofiled.
      const message = errorLine(err);
      logger.warnOnce('profile-start', `profiling is unavailable: ${message}`);
      this.settle({ kind: 'failed', message });
      return;
    }
    unfinished.register(this, this.windowId, this);
    transaction.profile = this;
  }

  /** Resolves once the samples are encoded (or refused). Never rejects. */
  get outcome(): Promise<ProfileOutcome> {
    this.promise ??= new Promise((resolve) => this.onSettled(resolve));
    return this.promise;
  }

  /** @internal Calls `receive` with the outcome, at once if it is known. */
  onSettled(receive: (outcome: ProfileOutcome) => void): void {
    if (this.result) receive(this.result);
    else (this.waiting ??= []).push(receive);
  }

  /** Whether the profile is still collecting samples. */
  get active(): boolean {
    return this.windowId !== undefined && performance.now() - this.startedAt < this.options.maxDurationMs;
  }

  /** Ends the profile now. A second call does nothing. */
  finish(): void {
    const id = this.windowId;
    if (id === undefined) return;
    this.windowId = undefined;
    unfinished.unregister(this);
    const lasted = performance.now() - this.startedAt;
    if (lasted < this.options.minDurationMs) {
      // Most requests of a fast service end here: no engine work, no result to wait for.
      try {
        if (!withdrawWindow(id)) closeWindowThen(id, {}, ignore);
      } catch {
        // The window is forgotten with the isolate; the outcome is the same.
      }
      this.settle(TOO_SHORT);
      return;
    }
    const transaction = {
      profileId: this.profileId,
      id: this.transaction.eventId,
      name: this.transaction.name,
      traceId: this.transaction.traceId,
      activeThreadId: this.transaction.threadId,
    };
    try {
      if (!closeWindowThen(id, { encoding: 'v1', transaction }, (r) => this.onResult(r))) {
        this.settle({ kind: 'failed', message: `window ${id} is not open` });
      }
    } catch (err) {
      this.settle({ kind: 'failed', message: errorLine(err) });
    }
  }

  private onResult(result: WindowResult): void {
    if (result.truncated) {
      this.timedOut = true;
      if (this.options.timeoutWarning) {
        logger.warnOnce(
          `profile-timeout:${this.transaction.name}`,
          `the profile of transaction "${this.transaction.name}" reached maxProfileDurationMs (${this.options.maxDurationMs} ms) and was stopped; the transaction goes on`,
        );
      }
    }
    this.settle(toOutcome(this.profileId, result));
  }

  private settle(outcome: ProfileOutcome): void {
    if (this.result) return;
    this.result = outcome;
    const receivers = this.waiting ?? [];
    this.waiting = undefined;
    if (this.options.onOutcome) receivers.push(this.options.onOutcome);
    for (const receive of receivers) {
      try {
        receive(outcome);
      } catch (err) {
        logger.warnOnce('profile-outcome', `a profile's receiver threw: ${errorLine(err)}`);
      }
    }
  }
}

const TOO_SHORT: ProfileOutcome = Object.freeze({
  kind: 'rejected',
  reason: 'not_enough_samples',
  message: 'the profile was shorter than the time between two samples (Sentry needs two)',
  samples: 0,
});

function toOutcome(profileId: string, result: WindowResult): ProfileOutcome {
  const outcome = encodedOutcome(result);
  return outcome.kind === 'encoded' ? { ...outcome, profileId } : outcome;
}
