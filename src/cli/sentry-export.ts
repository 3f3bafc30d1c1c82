import { randomUUID } from 'node:crypto';

import { buildEnvelope } from './envelope.js';
import type { ProfileModel } from './model.js';

const CHUNK_NS = 60e9;
const uuid = () => randomUUID().replace(/-/g, '');

/**
 * The model as one Sentry envelope of `profile_chunk` items (sample format v2), one
 * chunk per 60 s of samples, all sharing one `profiler_id` — what continuous mode sends.
 */
export function toChunkEnvelope(model: ProfileModel, sdkVersion = '0.0.0'): Buffer {
  const profilerId = uuid();
  const clientSdk = { name: 'ferroprof', version: sdkVersion };
  const chunkCount = Math.max(1, Math.ceil((model.durationNs + 1) / CHUNK_NS));
  const items: { header: Record<string, unknown>; payload: string }[] = [];
  for (let c = 0; c < chunkCount; c++) {
    const lo = c * CHUNK_NS;
    const hi = lo + CHUNK_NS;
    const frameIds = new Map<number, number>();
    const frames: unknown[] = [];
    const stackIds = new Map<string, number>();
    const stacks: number[][] = [];
    const samples: { stack_id: number; thread_id: string; timestamp: number }[] = [];
    const threadMetadata: Record<string, { name: string }> = {};
    for (const thread of model.threads) {
      for (const s of thread.samples) {
        if (s.timestampNs < lo || s.timestampNs >= hi) continue;
        const stack = s.stack.map((fi) => {
          let id = frameIds.get(fi);
          if (id === undefined) {
            id = frames.length;
            frames.push(model.frames[fi]);
            frameIds.set(fi, id);
          }
          return id;
        });
        const key = stack.join(',');
        let stackId = stackIds.get(key);
        if (stackId === undefined) {
          stackId = stacks.length;
          stacks.push(stack);
          stackIds.set(key, stackId);
        }
        threadMetadata[thread.id] = { name: thread.name };
        // Milliseconds precision, as Sentry reads it.
        const timestamp = Math.round((model.startUnixNs + s.timestampNs) / 1e6) / 1e3;
        samples.push({ stack_id: stackId, thread_id: thread.id, timestamp });
      }
    }
    if (samples.length === 0) continue;
    samples.sort((a, b) => a.timestamp - b.timestamp);
    const payload = {
      chunk_id: uuid(),
      profiler_id: profilerId,
      version: '2',
      platform: 'node',
      release: '',
      client_sdk: clientSdk,
      profile: { frames, stacks, samples, thread_metadata: threadMetadata },
    };
    items.push({ header: { type: 'profile_chunk', platform: 'node' }, payload: JSON.stringify(payload) });
  }
  return buildEnvelope({ event_id: uuid(), sent_at: new Date().toISOString(), sdk: clientSdk }, items);
}
