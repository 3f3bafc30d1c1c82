import { nowSeconds } from './time.js';

/** One item: its header fields (without `length`) and its payload. */
export interface EnvelopeItemInput {
  header: { type: string } & Record<string, unknown>;
  payload: string | Uint8Array;
}

/**
 * Frames a Sentry envelope: a header line, then per item a header line with `type` and
 * the payload's exact byte `length`, then the payload; `\n` between lines. Text
 * payloads (all of ferroprof's) are joined as one string and encoded once.
 */
export function buildEnvelope(header: Record<string, unknown>, items: readonly EnvelopeItemInput[]): Uint8Array {
  const sentAt = new Date(nowSeconds() * 1000).toISOString();
  if (items.every((i) => typeof i.payload === 'string')) {
    let text = JSON.stringify({ ...header, sent_at: sentAt });
    for (const item of items) {
      const payload = item.payload as string;
      text += `\n${JSON.stringify({ ...item.header, length: Buffer.byteLength(payload, 'utf8') })}\n${payload}`;
    }
    return Buffer.from(`${text}\n`, 'utf8');
  }
  const parts: Buffer[] = [Buffer.from(JSON.stringify({ ...header, sent_at: sentAt }))];
  for (const item of items) {
    const payload = typeof item.payload === 'string' ? Buffer.from(item.payload, 'utf8') : Buffer.from(item.payload);
    parts.push(Buffer.from(`\n${JSON.stringify({ ...item.header, length: payload.length })}\n`), payload);
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
