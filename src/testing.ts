/**
 * `ferroprof/testing` — for SDKs that embed ferroprof (or write Sentry profiling
 * envelopes themselves) and want to check what they send against the rules of
 * Sentry's ingestion (Relay), with the validator ferroprof's own tests use.
 *
 * @packageDocumentation
 */
export { validateEnvelope } from './binding.js';
export type { ValidatedEnvelope } from './binding.js';
