/**
 * Chunks: each `profile_chunk` the session cuts goes out in its own envelope through
 * the host client's `sendEnvelope()`, or is counted and reported as dropped. Internal
 * module.
 */
import { type DsnComponents, dsnToString } from '@sentry/core';

import type { ChunkOutcome } from '../sdk/continuous.js';
import { uuid4 } from '../sdk/ids.js';
import { errorLine } from '../sdk/logger.js';
import { debugLog, warn } from './common.js';
import type { ClientLike, Envelope, IntegrationCounters } from './types.js';

/** The envelope of one encoded chunk, with the headers `@sentry/profiling-node` sets. */
function chunkEnvelope(client: ClientLike, payload: string): Envelope {
  const sdk = client.getSdkMetadata()?.sdk;
  const header: Record<string, unknown> = {
    event_id: uuid4(),
    sent_at: new Date().toISOString(),
  };
  if (sdk?.name && sdk.version) header.sdk = { name: sdk.name, version: sdk.version };
  const dsn = client.getDsn();
  if (client.getOptions().tunnel && dsn) header.dsn = dsnToString(dsn as DsnComponents);
  return [header, [[{ type: 'profile_chunk', platform: 'node' }, payload]]];
}

/** Sends a chunk of session `profilerId`, or counts why it is not sent. */
export function sendChunk(
  client: ClientLike | undefined,
  outcome: ChunkOutcome,
  profilerId: string,
  counters: IntegrationCounters,
): void {
  if (!client) return;
  if (outcome.kind === 'encoded') {
    try {
      void client.sendEnvelope(chunkEnvelope(client, outcome.payload));
      counters.chunksSent += 1;
    } catch (err) {
      counters.chunksFailed += 1;
      warn(`a profile chunk of session ${profilerId} could not be sent: ${errorLine(err)}`);
    }
    return;
  }
  if (outcome.kind === 'rejected' && outcome.reason === 'not_enough_samples') {
    counters.chunksTooShort += 1;
    debugLog('[Profiling] Discarding profile chunk because it contains less than 2 samples');
    client.recordDroppedEvent?.('insufficient_data', 'profile_chunk');
    return;
  }
  counters.chunksFailed += 1;
  client.recordDroppedEvent?.('internal_sdk_error', 'profile_chunk');
  warn(`a profile chunk of session ${profilerId} was not sent: ${outcome.message}`);
}
