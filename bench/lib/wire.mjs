// Counts what a profiler would put on the wire: envelopes (or pprof blobs), their
// gzipped size, and the profiling samples they carry.
import { gunzipSync, gzipSync } from 'node:zlib';

// The envelope model of the build under test (reading it loads no native code).
const { isGzip, parseEnvelope } = await import('../../dist/transport.js');

const PROFILE_TYPES = new Set(['profile', 'profile_chunk']);

function toBytes(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The items of a Sentry envelope as `{ type, payload }`, read with ferroprof's envelope model. */
export function envelopeItems(bytes) {
  try {
    return parseEnvelope(bytes).items.map((item) => ({ type: item.header.type, payload: Buffer.from(item.payload) }));
  } catch {
    return []; // not an envelope we can read: counted as bytes only
  }
}

export class WireCounter {
  constructor() {
    this.envelopes = 0;
    this.rawBytes = 0;
    this.gzBytes = 0;
    /** gzipped bytes of envelopes that carry a profile or a chunk */
    this.profileGzBytes = 0;
    this.samples = 0;
    this.items = {};
  }

  /**
   * Keeps one Sentry envelope (string, Uint8Array or gzipped) for counting later:
   * parsing and gzipping here would put the benchmark's own work on the JS thread.
   */
  addEnvelope(body) {
    this.queued ??= [];
    this.queued.push(typeof body === 'string' ? body : Buffer.from(toBytes(body)));
  }

  /** Counts the envelopes kept by {@link addEnvelope}; call once the run is over. */
  finalize() {
    for (const body of this.queued ?? []) this.count(body);
    this.queued = [];
  }

  count(body) {
    let bytes = toBytes(body);
    const gz = isGzip(bytes) ? bytes : gzipSync(bytes);
    if (isGzip(bytes)) bytes = gunzipSync(bytes);
    this.envelopes += 1;
    this.rawBytes += bytes.length;
    this.gzBytes += gz.length;
    let carriesProfile = false;
    for (const item of envelopeItems(bytes)) {
      this.items[item.type] = (this.items[item.type] ?? 0) + 1;
      if (PROFILE_TYPES.has(item.type)) {
        carriesProfile = true;
        try {
          const payload = JSON.parse(item.payload.toString('utf8'));
          this.samples += payload.profile?.samples?.length ?? 0;
        } catch {
          // Not JSON: counted as bytes only.
        }
      }
    }
    if (carriesProfile) this.profileGzBytes += gz.length;
  }

  /** Counts one gzipped pprof blob holding `samples` samples. */
  addPprof(gzipped, samples) {
    this.envelopes += 1;
    this.gzBytes += gzipped.length;
    this.profileGzBytes += gzipped.length;
    this.samples += samples;
    this.items.pprof = (this.items.pprof ?? 0) + 1;
  }

  toJSON() {
    return {
      envelopes: this.envelopes,
      rawBytes: this.rawBytes,
      gzBytes: this.gzBytes,
      profileGzBytes: this.profileGzBytes,
      samples: this.samples,
      items: this.items,
    };
  }
}
