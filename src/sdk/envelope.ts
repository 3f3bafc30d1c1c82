import { nowSeconds } from './time.js';

/** One item: its header fields (without `length`) and its payload. */
export interface EnvelopeItemInput {
  header: { type: string } & Record<string, unknown>;
  payload: string | Uint8Array;
}

/**
 * Frames a Sentry envelope: a header line, then per item a header line with `type` and
 * the payload's exact byte `length`, then the payload; `\n` between lines.
 */
export function buildEnvelope(header: Record<string, unknown>, items: readonly EnvelopeItemInput[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from(JSON.stringify({ ...header, sent_at: new Date(nowSeconds() * 1000).toISOString() }))];
  for (const item of items) {
    const payload = typeof item.payload === 'string' ? Buffer.from(item.payload, 'utf8') : Buffer.from(item.payload);
    parts.push(Buffer.from('\n'), Buffer.from(JSON.stringify({ ...item.header, length: payload.length })), Buffer.from('\n'), payload);
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
