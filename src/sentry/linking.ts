/**
 * Linking: transactions and streamed spans that ran during a continuous session
 * carry its `profiler_id` (and this thread's id and name), so Sentry finds their
 * samples in the session's chunks. Internal module.
 */
import type { ProcessSession } from './session.js';
import { THREAD_ID, THREAD_NAME } from './common.js';
import type { EventLike, IntegrationCounters, StreamedSpanJsonLike } from './types.js';

/** Sets `contexts.trace.data`'s thread id and name where they are not set yet. */
export function setThreadData(event: EventLike): void {
  const contexts = (event.contexts ??= {});
  const trace = (contexts.trace ??= {});
  const data = (trace.data as Record<string, unknown> | undefined) ?? {};
  trace.data = { ...data, 'thread.id': data['thread.id'] ?? THREAD_ID, 'thread.name': data['thread.name'] ?? THREAD_NAME };
}

/** A transaction event: `contexts.profile.profiler_id` of the session that ran during it. */
export function linkTransaction(event: EventLike, session: ProcessSession | undefined, counters: IntegrationCounters): EventLike {
  const start = event.start_timestamp;
  const end = event.timestamp ?? start;
  if (start === undefined || end === undefined) return event;
  const profilerId = session?.profilerIdDuring(start, end);
  if (!profilerId) return event;
  const contexts = (event.contexts ??= {});
  contexts.profile = { ...(contexts.profile ?? {}), profiler_id: profilerId };
  setThreadData(event);
  counters.transactionsLinked += 1;
  return event;
}

/** 11.x streamed spans: the link to the chunks is the `sentry.profiler_id` attribute. */
export function linkStreamedSpan(
  json: StreamedSpanJsonLike,
  session: ProcessSession | undefined,
  counters: IntegrationCounters,
): void {
  const end = json.end_timestamp ?? json.start_timestamp;
  const profilerId = session?.profilerIdDuring(json.start_timestamp, end);
  if (!profilerId) return;
  const attributes = (json.attributes ??= {});
  if (!('sentry.profiler_id' in attributes)) {
    attributes['sentry.profiler_id'] = profilerId;
    counters.spansLinked += 1;
  }
  attributes['thread.id'] ??= THREAD_ID;
  attributes['thread.name'] ??= THREAD_NAME;
}
