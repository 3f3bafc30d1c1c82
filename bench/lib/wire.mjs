// Counts what a profiler would put on the wire: envelopes (or pprof blobs), their
// gzipped size, and the profiling samples they carry.
import { gunzipSync, gzipSync } from 'node:zlib';

const PROFILE_TYPES = new Set(['profile', 'profile_chunk']);

function isGzip(bytes) {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function toBytes(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Walks a Sentry envelope (header line, then item header + payload pairs). */
export function envelopeItems(bytes) {
  const items = [];
  let pos = bytes.indexOf(0x0a);
  if (pos < 0) return items;
  pos += 1;
  while (pos < bytes.length) {
    let nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) nl = bytes.length;
    const header = JSON.parse(bytes.subarray(pos, nl).toString('utf8') || '{}');
    pos = nl + 1;
    let end;
    if (typeof header.length === 'number') {
      end = pos + header.length;
    } else {
      end = bytes.indexOf(0x0a, pos);
      if (end < 0) end = bytes.length;
    }
    items.push({ type: header.type, payload: bytes.subarray(pos, end) });
    pos = end + 1;
  }
  return items;
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

