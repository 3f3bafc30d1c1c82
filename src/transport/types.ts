/** Sentry data categories of what ferroprof sends. */
export type DataCategory = 'transaction' | 'profile' | 'profile_chunk' | 'span' | 'internal';

/** Sentry client-report discard reasons a transport (or the SDK above it) records. */
export type DiscardReason =
  | 'queue_overflow'
  | 'ratelimit_backoff'
  | 'network_error'
  | 'send_error'
  | 'sample_rate'
  | 'before_send'
  | 'event_processor'
  | 'internal_sdk_error'
  | 'buffer_overflow'
  | 'insufficient_data';

/** What the transport needs to know about an envelope without parsing it. */
export interface EnvelopeInfo {
  /**
   * One entry per item in the envelope (repeat a category for several items of it):
   * a transaction envelope with a profile is `['transaction', 'profile']`. Drops are
   * counted per entry.
   */
  categories: readonly DataCategory[];
  /** The envelope's `event_id`, used to name local files; read from the header if absent. */
  eventId?: string;
}

/** One line of {@link Transport.getDroppedCounts}. */
export interface DroppedCount {
  reason: DiscardReason;
  category: DataCategory;
  quantity: number;
}

/** Receives one line per distinct problem. Must not throw (if it does, the error is swallowed). */
export type TransportLogger = (message: string) => void;

/**
 * Where envelopes go. `send` never throws and never blocks; `flush`/`close` resolve to
 * `true` when everything queued was delivered (or written) in time and nothing failed
 * since the previous flush; they never reject.
 */
export interface Transport {
  /** Queues one serialized envelope. */
  send(envelope: Uint8Array | string, info: EnvelopeInfo): void;
  /** Waits (at most `timeoutMs`, forever if omitted) until the queue is drained. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes, then stops: later `send` calls are dropped. */
  close(timeoutMs?: number): Promise<boolean>;
  /** Cumulative discarded items per (reason, category). */
  getDroppedCounts?(): DroppedCount[];
  /** Lets the SDK add its own discards (e.g. `sample_rate`) to the counts and client reports. */
  recordDroppedEvent?(reason: DiscardReason, category: DataCategory, quantity?: number): void;
}
