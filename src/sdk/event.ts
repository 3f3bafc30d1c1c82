import { arch, release as osRelease, type as osType } from 'node:os';

import { type EnvelopeHeader, type EnvelopeItemInput, serializeEnvelope } from '../envelope.js';
import type { ProfileOutcome } from './profile.js';
import { compact, type Transaction } from './span.js';
import type { ResolvedOptions } from './options.js';
import { nowSeconds } from './time.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

// Facts of the process, read once: `os.type()`/`os.release()` are system calls.
let processContexts: Record<string, unknown> | undefined;
function staticContexts(): Record<string, unknown> {
  processContexts ??= {
    runtime: { name: 'node', version: process.version },
    os: { name: osType(), version: osRelease() },
    device: { arch: arch() },
  };
  return processContexts;
}

/** The Sentry `transaction` event of a finished transaction. */
export function transactionEvent(
  txn: Transaction,
  options: ResolvedOptions,
  profile: ProfileOutcome | undefined,
): Record<string, unknown> {
  const traceData: Record<string, unknown> = { ...txn.data };
  const contexts: Record<string, unknown> = { ...staticContexts() };
  if (profile?.kind === 'encoded') {
    contexts.profile = { profile_id: profile.profileId };
  } else if (txn.profilerId) {
    // Continuous profiling: Sentry finds this transaction's samples in the session's
    // chunks by profiler id, thread and time.
    contexts.profile = { profiler_id: txn.profilerId };
    traceData['thread.id'] = String(txn.threadId);
    traceData['thread.name'] = txn.threadName;
  }
  contexts.trace = compact({
    trace_id: txn.traceId,
    span_id: txn.spanId,
    parent_span_id: txn.parentSpanId,
    op: txn.op,
    description: txn.description,
    status: txn.status ?? 'ok',
    data: Object.keys(traceData).length ? traceData : undefined,
  });
  return compact({
    event_id: txn.eventId,
    type: 'transaction',
    platform: 'node',
    transaction: txn.name,
    transaction_info: { source: 'custom' },
    start_timestamp: txn.startTimestamp,
    timestamp: txn.endTimestamp,
    release: options.release,
    environment: options.environment,
    server_name: options.serverName,
    contexts,
    tags: Object.keys(txn.tags).length ? txn.tags : undefined,
    measurements: Object.keys(txn.measurements).length ? txn.measurements : undefined,
    spans: txn.spans.filter((s) => s.finished).map((s) => s.toSpanJSON()),
    sdk: { name: SDK_NAME, version: SDK_VERSION },
  });
}

/** An envelope as the SDK sends it: the given header stamped with `sent_at` (now). */
export function sdkEnvelope(header: EnvelopeHeader, items: readonly EnvelopeItemInput[]): Uint8Array {
  return serializeEnvelope({ ...header, sent_at: new Date(nowSeconds() * 1000).toISOString() }, items);
}
