import type { WindowResult } from '../native-types.js';
import { closeWindowAs, failureText, openWindowId } from '../sampler.js';
import { uuid4 } from './ids.js';
import { errorLine, logger } from './logger.js';
import type { Transaction } from './span.js';

/** What became of a profile once its samples were encoded. */
export type ProfileOutcome =
  | { kind: 'encoded'; profileId: string; payload: string }
  | { kind: 'rejected'; reason: string; message: string; samples: number }
  | { kind: 'failed'; message: string };

/** Options a client passes when it starts a profile. */
export interface ProfileOptions {
  /** The profile stops at this length even if the transaction goes on. */
  maxDurationMs: number;
  /** Warn (once per transaction name) when that happens. */
  timeoutWarning: boolean;
  /** Called once with the outcome (the client sends or counts it). */
  onOutcome?: (outcome: ProfileOutcome) => void;
}

const DEFAULT_OPTIONS: ProfileOptions = { maxDurationMs: 30_000, timeoutWarning: false };

/**
 * A profile bound to a transaction: a time window over the isolate's shared sampler.
 * Creating or finishing one never restarts V8 profiling while the sampler runs; the
 * samples are sliced and encoded (sample format v1) on the worker thread.
 */
export class Profile {
  /** The profile's `event_id`; goes into the transaction's `contexts.profile.profile_id`. */
  readonly profileId = uuid4();
  readonly transaction: Transaction;
  /** Resolves once the samples are encoded (or refused). Never rejects. */
  readonly outcome: Promise<ProfileOutcome>;
  /** True when the profile was cut at its maximum duration. */
  timedOut = false;
  private windowId: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resolveOutcome!: (o: ProfileOutcome) => void;
  private readonly options: ProfileOptions;

  constructor(transaction: Transaction, options: Partial<ProfileOptions> = {}) {
    this.transaction = transaction;
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
    this.outcome.then((o) => this.options.onOutcome?.(o)).catch(() => {});
    try {
      this.windowId = openWindowId();
    } catch (err) {
      // No native binary, or V8 refused: the transaction goes on unprofiled.
      const message = errorLine(err);
      logger.warnOnce('profile-start', `profiling is unavailable: ${message}`);
      this.resolveOutcome({ kind: 'failed', message });
      return;
    }
    transaction.profile = this;
    this.timer = setTimeout(() => this.onTimeout(), this.options.maxDurationMs);
    this.timer.unref();
  }

  /** Whether the profile is still collecting samples. */
  get active(): boolean {
    return this.windowId !== undefined;
  }

  /** Ends the profile now. A second call does nothing. */
  finish(): void {
    const id = this.windowId;
    if (id === undefined) return;
    this.windowId = undefined;
    clearTimeout(this.timer);
    const meta = JSON.stringify({
      profileId: this.profileId,
      id: this.transaction.eventId,
      name: this.transaction.name,
      traceId: this.transaction.traceId,
      activeThreadId: this.transaction.threadId,
    });
    closeWindowAs(id, { encoding: 'v1', meta }).then(
      (result) => this.resolveOutcome(toOutcome(this.profileId, result)),
      (err: unknown) => this.resolveOutcome({ kind: 'failed', message: String(err) }),
    );
  }

  private onTimeout(): void {
    this.timedOut = true;
    if (this.options.timeoutWarning) {
      logger.warnOnce(
        `profile-timeout:${this.transaction.name}`,
        `the profile of transaction "${this.transaction.name}" reached maxProfileDurationMs (${this.options.maxDurationMs} ms) and was stopped; the transaction goes on`,
      );
    }
    this.finish();
  }
}

function toOutcome(profileId: string, result: WindowResult): ProfileOutcome {
  if (result.kind === 'encoded') return { kind: 'encoded', profileId, payload: result.data };
  if (result.kind === 'rejected') {
    const r = JSON.parse(result.data) as { reason: string; message: string; samples: number };
    return { kind: 'rejected', ...r };
  }
  return { kind: 'failed', message: failureText(result) };
}
