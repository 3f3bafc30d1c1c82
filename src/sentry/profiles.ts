/**
 * Per-transaction profiles: a sampled root span gets a window over the running
 * sampler; when it ends the window is encoded (sample format v1) with placeholders
 * for the event id and name, which the transaction event fills in; the profile then
 * travels in the transaction's own envelope. Internal module.
 */
import { threadId } from 'node:worker_threads';

import { spanToJSON } from '@sentry/core';

import { type EncodedOutcome, closeWindowAs, encodedOutcome, openWindowId } from '../binding.js';
import { uuid4 } from '../sdk/ids.js';
import { errorLine } from '../sdk/logger.js';
import { PROFILE_FORGET_MS, PROFILE_WAIT_MS, debugLog, hasHook, rate, warn, withTimeout } from './common.js';
import { linkTransaction, setThreadData } from './linking.js';
import { type ProcessSession, SessionClient } from './session.js';
import type { ClientLike, Envelope, EventLike, FerroprofIntegrationOptions, IntegrationCounters, SpanLike } from './types.js';

const MAX_PENDING_PROFILES = 256;

interface ProfileRecord {
  windowId: number | undefined;
  profileId: string;
  idToken: string;
  nameToken: string;
  timer: NodeJS.Timeout | undefined;
  outcome: Promise<EncodedOutcome> | undefined;
}

/** What the profiles need of the integration. */
export interface ProfilesHost {
  readonly counters: IntegrationCounters;
  readonly client: ClientLike | undefined;
  readonly session: ProcessSession | undefined;
}

/** Which root spans are profiled. */
export interface ProfilesPolicy {
  rate: number;
  sampler: FerroprofIntegrationOptions['profilesSampler'];
  maxDurationMs: number;
}

export class TransactionProfiles {
  private readonly profiles = new Map<string, ProfileRecord>();
  /** Encoded profiles waiting for their transaction's envelope, by event id. */
  private readonly ready = new Map<string, string>();

  constructor(
    private readonly host: ProfilesHost,
    /** Which root spans are profiled (replaced when the client is set up again). */
    public policy: ProfilesPolicy,
  ) {}

  /** A sampled root span started: profile it if the rate or the sampler says so. */
  maybeProfile(span: SpanLike): void {
    const json = spanToJSON(span as never) as { description?: string; name?: string; data?: Record<string, unknown> };
    const name = json.description ?? json.name ?? (span as { name?: string }).name ?? '<unlabeled transaction>';
    let profileRate = this.policy.rate;
    if (this.policy.sampler) {
      try {
        const answer = this.policy.sampler({
          name,
          attributes: json.data,
          parentSampled: undefined,
          transactionContext: { name, parentSampled: undefined },
        });
        profileRate = typeof answer === 'boolean' ? (answer ? 1 : 0) : (rate(answer) ?? 0);
      } catch (err) {
        warn(`profilesSampler threw (${errorLine(err)}); not profiling this transaction`);
        profileRate = 0;
      }
    }
    if (!(profileRate > 0 && (profileRate >= 1 || Math.random() < profileRate))) return;
    if (this.profiles.size >= MAX_PENDING_PROFILES) return;
    const session = this.host.session;
    if (session instanceof SessionClient && !session.hostKnown) {
      // As documented: a worker whose main thread has no integration is not profiled.
      session.expectHost();
      return;
    }
    let windowId: number;
    try {
      // Ended natively at the limit, event loop or not; the timer below only frees
      // the record of a span that never ends.
      windowId = openWindowId(this.policy.maxDurationMs);
    } catch (err) {
      warn(`profiling is unavailable: ${errorLine(err)}`);
      return;
    }
    this.host.counters.profilesStarted += 1;
    const record: ProfileRecord = {
      windowId,
      profileId: uuid4(),
      idToken: uuid4(),
      nameToken: `ferroprof-transaction-name-${uuid4()}`,
      timer: undefined,
      outcome: undefined,
    };
    record.timer = setTimeout(() => {
      this.host.counters.profilesTimedOut += 1;
      const context = span.spanContext();
      this.finish(record, context.spanId, context.traceId);
    }, this.policy.maxDurationMs);
    record.timer.unref();
    this.profiles.set(span.spanContext().spanId, record);
  }

  /** A root span ended: its profile, if any, is cut now. */
  onSpanEnd(spanId: string, traceId: string): void {
    const record = this.profiles.get(spanId);
    if (record) this.finish(record, spanId, traceId);
  }

  private finish(record: ProfileRecord, spanId: string, traceId: string): void {
    const id = record.windowId;
    if (id === undefined) return;
    record.windowId = undefined;
    // Relay drops a profile whose trace id is no UUID; the encoder refuses it (counted).
    if (traceId.length !== 32) debugLog(`[Profiling] Invalid traceId: ${traceId} on profiled event`);
    clearTimeout(record.timer);
    // The transaction's event id and final name are known only when it is captured:
    // the profile is cut now with placeholders, which the event fills in.
    const transaction = {
      profileId: record.profileId,
      id: record.idToken,
      name: record.nameToken,
      traceId,
      activeThreadId: threadId,
    };
    const forget = setTimeout(() => {
      if (this.profiles.get(spanId) === record) this.profiles.delete(spanId);
    }, PROFILE_FORGET_MS);
    forget.unref();
    record.outcome = closeWindowAs(id, { encoding: 'v1', transaction }).then(
      encodedOutcome,
      (err: unknown): EncodedOutcome => ({ kind: 'failed', message: errorLine(err) }),
    );
  }

  /** The profile of transaction `event`, if it has one: attached once encoded. */
  take(event: EventLike): Promise<EventLike> | undefined {
    const spanId = event.contexts?.trace?.span_id;
    if (typeof spanId !== 'string') return undefined;
    const record = this.profiles.get(spanId);
    if (!record) return undefined;
    this.profiles.delete(spanId);
    return this.attach(event, record, spanId);
  }

  private async attach(event: EventLike, record: ProfileRecord, spanId: string): Promise<EventLike> {
    const traceId = event.contexts?.trace?.trace_id;
    if (record.windowId !== undefined && typeof traceId === 'string') {
      // Captured before its root span ended: the profile ends here.
      this.finish(record, spanId, traceId);
    }
    const outcome = await withTimeout(record.outcome, PROFILE_WAIT_MS);
    const { client, counters } = this.host;
    if (outcome?.kind === 'encoded' && event.event_id) {
      const payload = outcome.payload
        .split(record.idToken)
        .join(event.event_id)
        .split(JSON.stringify(record.nameToken))
        .join(JSON.stringify(event.transaction ?? '<unlabeled transaction>'));
      const contexts = (event.contexts ??= {});
      contexts.profile = { ...(contexts.profile ?? {}), profile_id: record.profileId };
      setThreadData(event);
      const eventId = event.event_id;
      this.ready.set(eventId, payload);
      // Dropped after processing (beforeSendTransaction, sampling): no envelope comes.
      setTimeout(() => this.ready.delete(eventId), PROFILE_FORGET_MS).unref();
      return event;
    }
    if (outcome?.kind === 'rejected' && outcome.reason === 'not_enough_samples') {
      counters.profilesTooShort += 1;
      debugLog('[Profiling] Discarding profile because it contains less than 2 samples');
      client?.recordDroppedEvent?.('insufficient_data', 'profile');
    } else {
      counters.profilesFailed += 1;
      client?.recordDroppedEvent?.('internal_sdk_error', 'profile');
    }
    return linkTransaction(event, this.host.session, counters);
  }

  /** Adds a transaction's profile to the transaction's own envelope. */
  onBeforeEnvelope(envelope: Envelope): void {
    if (this.ready.size === 0) return;
    const eventId = envelope[0]?.event_id;
    if (typeof eventId !== 'string') return;
    const payload = this.ready.get(eventId);
    if (payload === undefined) return;
    if (!envelope[1].some(([header]) => header.type === 'transaction')) return;
    this.ready.delete(eventId);
    envelope[1].push([{ type: 'profile', content_type: 'application/json' }, this.processProfile(payload, eventId)]);
    this.host.counters.profilesSent += 1;
  }

  /**
   * The profile through the client's `preprocessEvent` and `postprocessEvent` hooks,
   * as `@sentry/profiling-node` does (hooks may read or change it). Parsing costs the
   * JS thread about 1 ms per 1000 samples, so it happens only when a hook is there.
   */
  private processProfile(payload: string, eventId: string): string | object {
    const client = this.host.client;
    if (!client?.emit || !hasHook(client, 'preprocessEvent', 'postprocessEvent')) return payload;
    try {
      const profile = JSON.parse(payload) as object;
      client.emit('preprocessEvent', profile, { event_id: eventId });
      client.emit('postprocessEvent', profile, { event_id: eventId });
      return profile;
    } catch (err) {
      warn(`a profile hook failed (${errorLine(err)}); the profile is sent as encoded`);
      return payload;
    }
  }

  /** Closes every open profile window (the client closes). */
  close(): void {
    for (const record of this.profiles.values()) {
      clearTimeout(record.timer);
      if (record.windowId !== undefined) void closeWindowAs(record.windowId, {}).catch(() => {});
      record.windowId = undefined;
    }
    this.profiles.clear();
  }
}
