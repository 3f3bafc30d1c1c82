import { arch, release as osRelease, type as osType } from 'node:os';

import { type EnvelopeHeader, type EnvelopeItemInput, serializeEnvelope } from '../envelope.js';
import type { ProfileOutcome } from './profile.js';
import type { Span, Transaction } from './span.js';
import type { ResolvedOptions } from './options.js';
import { isoTimestamp } from './time.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

// A transaction event is written as JSON text directly, field by field: building the
// object, dropping its `undefined` fields and `JSON.stringify`-ing it cost ~6 µs of
// the JS thread per transaction, this ~1 µs. Every string a user can set goes through
// `JSON.stringify` (escaping); ids are hex and timestamps numbers. The field names and
// their shape are Sentry's `transaction` event; `__test__/sdk-wire.test.mjs` checks
// the text against the same event built as an object.

const str = JSON.stringify as (s: string) => string;

// Facts of the process, written once: `os.type()`/`os.release()` are system calls.
let processFields: string | undefined;
function staticContexts(): string {
  processFields ??= JSON.stringify({
    runtime: { name: 'node', version: process.version },
    os: { name: osType(), version: osRelease() },
    device: { arch: arch() },
  }).slice(1, -1);
  return processFields;
}
const SDK_FIELD = `"sdk":${JSON.stringify({ name: SDK_NAME, version: SDK_VERSION })}`;

function isEmpty(obj: object): boolean {
  for (const _ in obj) return false;
  return true;
}

/** `,"key":<json>` when `value` is set (Sentry's ingestion rejects `null` in places). */
function optString(key: string, value: string | undefined): string {
  return value === undefined ? '' : `,"${key}":${str(value)}`;
}

function optObject(key: string, value: object): string {
  return isEmpty(value) ? '' : `,"${key}":${JSON.stringify(value)}`;
}

/** A finished span in the `spans` form of a transaction event. */
function spanJson(span: Span): string {
  return (
    `{"span_id":"${span.spanId}"${optString('parent_span_id', span.parentSpanId)},"trace_id":"${span.traceId}"` +
    `${optString('op', span.op)}${optString('description', span.description)}` +
    `,"start_timestamp":${span.startTimestamp},"timestamp":${span.endTimestamp}` +
    `${optString('status', span.status)}${optObject('tags', span.tags)}${optObject('data', span.data)}}`
  );
}

/** The Sentry `transaction` event of a finished transaction, as JSON text. */
export function transactionJson(txn: Transaction, options: ResolvedOptions, profile: ProfileOutcome | undefined): string {
  let profileContext = '';
  let threadData = '';
  if (profile?.kind === 'encoded') {
    profileContext = `,"profile":{"profile_id":"${profile.profileId}"}`;
  } else if (txn.profilerId) {
    // Continuous profiling: Sentry finds this transaction's samples in the session's
    // chunks by profiler id, thread and time.
    profileContext = `,"profile":{"profiler_id":"${txn.profilerId}"}`;
    threadData = `"thread.id":${str(String(txn.threadId))},"thread.name":${str(txn.threadName)}`;
  }
  let traceData = '';
  if (threadData || !isEmpty(txn.data)) {
    const user = isEmpty(txn.data) ? '' : JSON.stringify(txn.data).slice(1, -1);
    traceData = `,"data":{${user}${user && threadData ? ',' : ''}${threadData}}`;
  }
  const trace =
    `"trace":{"trace_id":"${txn.traceId}","span_id":"${txn.spanId}"${optString('parent_span_id', txn.parentSpanId)}` +
    `${optString('op', txn.op)}${optString('description', txn.description)},"status":${str(txn.status ?? 'ok')}${traceData}}`;
  let spans = '';
  for (const s of txn.spans) {
    if (s.finished) spans += (spans ? ',' : '') + spanJson(s);
  }
  return (
    `{"event_id":"${txn.eventId}","type":"transaction","platform":"node","transaction":${str(txn.name)}` +
    `,"transaction_info":{"source":"custom"},"start_timestamp":${txn.startTimestamp},"timestamp":${txn.endTimestamp}` +
    `${optString('release', options.release)}${optString('environment', options.environment)}${optString('server_name', options.serverName)}` +
    `,"contexts":{${staticContexts()}${profileContext},${trace}}` +
    `${optObject('tags', txn.tags)}${optObject('measurements', txn.measurements)},"spans":[${spans}],${SDK_FIELD}}`
  );
}

/** An envelope as the SDK sends it: the given header stamped with `sent_at` (now). */
export function sdkEnvelope(header: EnvelopeHeader, items: readonly EnvelopeItemInput[]): Uint8Array {
  header.sent_at = isoTimestamp();
  return serializeEnvelope(header, items);
}
