// Reading envelopes the SDK produced, through the one envelope model (ferroprof/transport).
import { itemJson, parseEnvelope as parseModel } from '../../dist/transport.js';

/** Splits a (non-gzip) envelope into its header and items `{ header, payload (parsed JSON) }`. */
export function parseEnvelope(bytes) {
  const envelope = parseModel(Buffer.from(bytes));
  return { header: envelope.header, items: envelope.items.map((i) => ({ header: i.header, payload: itemJson(i) })) };
}

/** A `transport` callback that keeps every envelope, parsed, in `list`. */
export function collectingTransport(list, raw = []) {
  return (envelope) => {
    raw.push(Buffer.from(envelope));
    list.push(parseEnvelope(envelope));
  };
}

/** All items of a type across envelopes. */
export function itemsOfType(envelopes, type) {
  return envelopes.flatMap((e) => e.items.filter((i) => i.header.type === type));
}
