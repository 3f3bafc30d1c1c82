/**
 * `ferroprof/transport`: where ferroprof's envelopes go (Sentry over HTTP, local files,
 * or a user function), and the envelope model to read and write them with.
 * @packageDocumentation
 */
export {
  EnvelopeError,
  isGzip,
  itemJson,
  itemText,
  itemsOfType,
  parseEnvelope,
  readEventId,
  serializeEnvelope,
} from '../envelope.js';
export type { Envelope, EnvelopeHeader, EnvelopeItem, EnvelopeItemInput, ItemHeader, ItemType } from '../envelope.js';
export { DsnError, dsnToString, parseDsn } from './dsn.js';
export type { Dsn } from './dsn.js';
export type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, Transport, TransportLogger } from './types.js';
export { HttpTransport } from './http.js';
export type { HttpTransportOptions, RetryOptions } from './http.js';
export { LocalTransport } from './local.js';
export type { LocalTransportOptions } from './local.js';
export { CallbackTransport, toTransport } from './callback.js';
export type { CallbackTransportOptions, EnvelopeCallback } from './callback.js';
export { installExitFlush } from './exit.js';
export { clientReportEnvelope } from './items.js';
