import type { DataCategory, DroppedCount } from './types.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Whether the bytes are already gzip-compressed (magic 1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The `event_id` of the envelope header, if the header is readable and has one. */
export function readEventId(bytes: Uint8Array): string | undefined {
  if (isGzip(bytes)) return undefined;
  const end = bytes.indexOf(0x0a);
  try {
    const header: unknown = JSON.parse(decoder.decode(bytes.subarray(0, end === -1 ? bytes.length : end)));
    const id = (header as { event_id?: unknown } | null)?.event_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The data category Sentry rate-limits an envelope item type under. */
export function categoryOfItemType(type: string): string {
  switch (type) {
    case 'client_report':
      return 'internal';
    case 'event':
      return 'error';
    default:
      return type; // transaction, profile, profile_chunk, span are their own category
  }
}

/**
 * Removes the items whose category `drop` selects from an uncompressed envelope.
 * Returns the new envelope, `'empty'` if no item is left, or `undefined` if the bytes
 * are not a readable envelope (the caller then treats the whole envelope as one unit).
 */
export function filterEnvelopeItems(bytes: Uint8Array, drop: (category: string) => boolean): Uint8Array | 'empty' | undefined {
  if (isGzip(bytes)) return undefined;
  const nextLine = (from: number) => {
    const nl = bytes.indexOf(0x0a, from);
    return nl === -1 ? bytes.length : nl;
  };
  const headerEnd = nextLine(0);
  const kept: { type: string; header: Uint8Array; payload: Uint8Array }[] = [];
  let droppedProfile = false;
  let pos = headerEnd + 1;
  try {
    while (pos < bytes.length) {
      const itemHeaderEnd = nextLine(pos);
      const itemHeaderBytes = bytes.subarray(pos, itemHeaderEnd);
      if (itemHeaderBytes.length === 0) {
        pos = itemHeaderEnd + 1; // tolerate blank lines between items
        continue;
      }
      const itemHeader = JSON.parse(decoder.decode(itemHeaderBytes)) as { type?: unknown; length?: unknown };
      if (typeof itemHeader.type !== 'string') return undefined;
      const payloadStart = itemHeaderEnd + 1;
      let payloadEnd: number;
      if (typeof itemHeader.length === 'number') {
        payloadEnd = payloadStart + itemHeader.length;
        if (payloadEnd > bytes.length) return undefined;
      } else {
        payloadEnd = nextLine(payloadStart);
      }
      if (!drop(categoryOfItemType(itemHeader.type))) {
        kept.push({ type: itemHeader.type, header: itemHeaderBytes, payload: bytes.subarray(payloadStart, payloadEnd) });
      } else if (itemHeader.type === 'profile') {
        droppedProfile = true;
      }
      pos = payloadEnd + 1;
    }
    // A transaction must not name a profile that no longer travels with it (Sentry
    // would drop the pair as inconsistent).
    if (droppedProfile) {
      for (const item of kept) if (item.type === 'transaction') unlinkProfile(item);
    }
  } catch {
    return undefined;
  }
  if (kept.length === 0) return 'empty';
  const parts = [bytes.subarray(0, headerEnd), ...kept.flatMap((item) => [encoder.encode('\n'), item.header, encoder.encode('\n'), item.payload])];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Removes `contexts.profile.profile_id` from a transaction item, fixing its `length`. */
function unlinkProfile(item: { header: Uint8Array; payload: Uint8Array }): void {
  const event = JSON.parse(decoder.decode(item.payload)) as { contexts?: { profile?: Record<string, unknown> } };
  const profile = event.contexts?.profile;
  if (!profile || !('profile_id' in profile)) return;
  delete profile.profile_id;
  if (Object.keys(profile).length === 0 && event.contexts) delete event.contexts.profile;
  item.payload = encoder.encode(JSON.stringify(event));
  const header = JSON.parse(decoder.decode(item.header)) as Record<string, unknown>;
  if (typeof header.length === 'number') {
    header.length = item.payload.length;
    item.header = encoder.encode(JSON.stringify(header));
  }
}

/** A `client_report` envelope per Sentry's client-report format. */
export function clientReportEnvelope(discarded: readonly DroppedCount[], dsn?: string, now = Date.now()): Uint8Array {
  const header: Record<string, string> = { sent_at: new Date(now).toISOString() };
  if (dsn !== undefined) header.dsn = dsn;
  const payload = JSON.stringify({
    timestamp: Math.floor(now / 1000),
    discarded_events: discarded.map(({ reason, category, quantity }) => ({ reason, category, quantity })),
  });
  const payloadBytes = encoder.encode(payload);
  return encoder.encode(
    `${JSON.stringify(header)}\n${JSON.stringify({ type: 'client_report', length: payloadBytes.length })}\n${payload}\n`,
  );
}

/** The categories (one per item) of a client-report envelope. */
export const CLIENT_REPORT_CATEGORIES: readonly DataCategory[] = ['internal'];
