// Reading envelopes the SDK produced: items split by their `length`.

/** Splits a (non-gzip) envelope into its header and items `{ header, payload }`. */
export function parseEnvelope(bytes) {
  const buf = Buffer.from(bytes);
  let pos = buf.indexOf(0x0a);
  const header = JSON.parse(buf.subarray(0, pos).toString());
  const items = [];
  pos += 1;
  while (pos < buf.length) {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) break;
    const itemHeader = JSON.parse(buf.subarray(pos, end).toString());
    const start = end + 1;
    const stop = itemHeader.length !== undefined ? start + itemHeader.length : buf.indexOf(0x0a, start);
    items.push({ header: itemHeader, payload: JSON.parse(buf.subarray(start, stop).toString()) });
    pos = stop + 1;
  }
  return { header, items };
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
