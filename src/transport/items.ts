// What the transports do to envelopes: drop rate-limited items, and write client reports.
// Framing and parsing are the envelope model's (src/envelope.ts).
import { argRangeError, argTypeError } from '../args.js';
import { type EnvelopeItem, isGzip, itemJson, parseEnvelope, serializeEnvelope } from '../envelope.js';
import type { DataCategory, DroppedCount } from './types.js';

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
  try {
    const envelope = parseEnvelope(bytes);
    const kept = envelope.items.filter((item) => !drop(categoryOfItemType(item.header.type)));
    if (kept.length === envelope.items.length) return bytes;
    if (kept.length === 0) return 'empty';
    // A transaction must not name a profile that no longer travels with it (Sentry
    // would drop the pair as inconsistent).
    const droppedProfile = envelope.items.some((item) => item.header.type === 'profile' && !kept.includes(item));
    const items = droppedProfile ? kept.map((item) => (item.header.type === 'transaction' ? unlinkProfile(item) : item)) : kept;
    return serializeEnvelope(envelope.header, items);
  } catch {
    return undefined;
  }
}

/** A transaction item without `contexts.profile.profile_id`. */
function unlinkProfile(item: EnvelopeItem): { header: EnvelopeItem['header']; payload: Uint8Array | string } {
  const event = itemJson(item) as { contexts?: { profile?: Record<string, unknown> } };
  const profile = event.contexts?.profile;
  if (!profile || !('profile_id' in profile)) return item;
  delete profile.profile_id;
  if (Object.keys(profile).length === 0 && event.contexts) delete event.contexts.profile;
  return { header: item.header, payload: JSON.stringify(event) };
}

/** A `client_report` envelope per Sentry's client-report format. */
export function clientReportEnvelope(discarded: readonly DroppedCount[], dsn?: string, now = Date.now()): Uint8Array {
  const call = 'clientReportEnvelope(discarded, dsn, now)';
  if (!Array.isArray(discarded)) throw argTypeError(call, 'discarded', 'an array of { reason, category, quantity }', discarded);
  discarded.forEach((d: unknown, i) => {
    const c = d as Partial<DroppedCount> | null;
    if (c === null || typeof c !== 'object' || typeof c.reason !== 'string' || typeof c.category !== 'string') {
      throw argTypeError(call, `discarded[${i}]`, 'an object { reason: string, category: string, quantity: number }', d);
    }
    if (typeof c.quantity !== 'number' || !Number.isInteger(c.quantity) || c.quantity < 0) {
      throw argRangeError(call, `discarded[${i}].quantity`, 'an integer ≥ 0', c.quantity);
    }
  });
  if (dsn !== undefined && typeof dsn !== 'string') throw argTypeError(call, 'dsn', 'a DSN string or undefined', dsn);
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw argTypeError(call, 'now', 'a finite number of Unix milliseconds', now);
  const header: Record<string, string> = { sent_at: new Date(now).toISOString() };
  if (dsn !== undefined) header.dsn = dsn;
  const payload = JSON.stringify({
    timestamp: Math.floor(now / 1000),
    discarded_events: discarded.map(({ reason, category, quantity }) => ({ reason, category, quantity })),
  });
  return serializeEnvelope(header, [{ header: { type: 'client_report' }, payload }]);
}

/** The categories (one per item) of a client-report envelope. */
export const CLIENT_REPORT_CATEGORIES: readonly DataCategory[] = ['internal'];
