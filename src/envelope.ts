/**
 * Sentry envelopes: the one model of the wire framing in TypeScript, used by the SDK,
 * the transports, the CLI and the tests. An envelope is a header line (JSON), then per
 * item a header line with `type` and the payload's byte `length`, then the payload, `\n`
 * between lines. The payloads themselves (`profile`, `profile_chunk`) are encoded and
 * checked by the Rust core; this module only frames, parses and iterates.
 *
 * @packageDocumentation
 */

import { argTypeError, checkObject, checkString } from './args.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The envelope header. Every field is optional for Sentry. */
export interface EnvelopeHeader {
  /** The event's id (32 hex digits), e.g. the transaction's `event_id`. */
  event_id?: string;
  /** The DSN, for relays and tunnels that do not know it from the URL. */
  dsn?: string;
  /** When the envelope was sent (RFC 3339). */
  sent_at?: string;
  /** The SDK that wrote the envelope. */
  sdk?: { name: string; version: string };
  /** Dynamic sampling context of the trace. */
  trace?: Record<string, string>;
  [field: string]: unknown;
}

/** Item types ferroprof writes or reads; any other string is allowed too. */
export type ItemType = 'transaction' | 'profile' | 'profile_chunk' | 'client_report' | (string & {});

/** An item header: `type` is required, `length` is the payload's size in bytes. */
export interface ItemHeader {
  type: ItemType;
  /** Bytes of payload. Always written by {@link serializeEnvelope}; optional when parsing. */
  length?: number;
  content_type?: string;
  /** `profile_chunk` items carry the platform (`node`). */
  platform?: string;
  [field: string]: unknown;
}

/** One parsed item. `payload` is a view into the parsed bytes (no copy). */
export interface EnvelopeItem {
  header: ItemHeader;
  payload: Uint8Array;
}

/** A parsed envelope. */
export interface Envelope {
  header: EnvelopeHeader;
  items: EnvelopeItem[];
}

/** An item to serialize: its header (any `length` is replaced by the real one) and payload. */
export interface EnvelopeItemInput {
  header: ItemHeader;
  payload: string | Uint8Array;
}

/** A malformed envelope; `message` says where (`<name>: item 2 runs past the end`). */
export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

/** Whether the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// The JSON of a frozen item header up to its `length`: the SDK sends a few constant
// headers thousands of times a second. A header that can still change is written anew.
const frozenPrefixes = new WeakMap<ItemHeader, string>();

function headerLine(header: ItemHeader, length: number): string {
  let prefix = frozenPrefixes.get(header);
  if (prefix === undefined) {
    const { length: _ignored, ...rest } = header;
    const json = JSON.stringify(rest);
    prefix = json === '{}' ? '{' : `${json.slice(0, -1)},`;
    if (Object.isFrozen(header)) frozenPrefixes.set(header, prefix);
  }
  return `${prefix}"length":${length}}`;
}

function allText(items: readonly EnvelopeItemInput[]): boolean {
  for (const item of items) if (typeof item.payload !== 'string') return false;
  return true;
}

/**
 * Frames an envelope. Each item header gets the payload's exact byte `length`; the
 * header is written as given (set `sent_at` before calling when it is wanted). Text
 * payloads are joined as one string and encoded once. Headers of items that are
 * frozen (`Object.freeze`) are serialized once and reused.
 */
export function serializeEnvelope(header: EnvelopeHeader, items: readonly EnvelopeItemInput[]): Uint8Array {
  checkItems(header, items);
  if (allText(items)) {
    let text = JSON.stringify(header);
    for (const item of items) {
      const payload = item.payload as string;
      text += `\n${headerLine(item.header, Buffer.byteLength(payload, 'utf8'))}\n${payload}`;
    }
    return Buffer.from(`${text}\n`, 'utf8');
  }
  const parts: Uint8Array[] = [encoder.encode(JSON.stringify(header))];
  for (const item of items) {
    const payload = typeof item.payload === 'string' ? encoder.encode(item.payload) : item.payload;
    parts.push(encoder.encode(`\n${headerLine(item.header, payload.length)}\n`), payload);
  }
  parts.push(encoder.encode('\n'));
  return Buffer.concat(parts);
}

const SERIALIZE = 'serializeEnvelope(header, items)';

/** Cheap checks (a few `typeof`s per item): the SDK frames thousands a second. */
function checkItems(header: unknown, items: unknown): void {
  checkObject(SERIALIZE, 'header', header, false);
  if (!Array.isArray(items)) throw argTypeError(SERIALIZE, 'items', 'an array of { header, payload }', items);
  for (let i = 0; i < items.length; i += 1) {
    const item: unknown = items[i];
    if (item === null || typeof item !== 'object')
      throw argTypeError(SERIALIZE, `items[${i}]`, 'an object { header, payload }', item);
    const { header: h, payload } = item as { header?: unknown; payload?: unknown };
    if (h === null || typeof h !== 'object')
      throw argTypeError(SERIALIZE, `items[${i}].header`, 'an item header object ({ type, … })', h);
    if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
      throw argTypeError(SERIALIZE, `items[${i}].payload`, 'a string or a Uint8Array', payload);
    }
  }
}

function checkItem(call: string, item: unknown): void {
  const ok =
    item !== null &&
    typeof item === 'object' &&
    (item as { header?: unknown }).header !== null &&
    typeof (item as { header?: unknown }).header === 'object' &&
    (item as { payload?: unknown }).payload instanceof Uint8Array;
  if (!ok) throw argTypeError(call, 'item', 'an envelope item { header, payload: Uint8Array } (from parseEnvelope())', item);
}

function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  // Sentry frames with `\n` only: after CRLF, the byte after a header is `\r`.
  if (bytes[bytes.length - 1] === 0x0d) throw new EnvelopeError(`${what} ends with \\r (CRLF line endings; envelopes use \\n)`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new EnvelopeError(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EnvelopeError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Parses an uncompressed envelope. Items with a `length` take exactly that many bytes
 * (which must be followed by `\n` or the end); items without one run to the next `\n`.
 * Blank lines between items are skipped. `name` prefixes error messages.
 * @throws EnvelopeError on gzip bytes, CRLF line ends, bad JSON, an item without `type`, a bad `length`.
 */
export function parseEnvelope(bytes: Uint8Array, name = 'envelope'): Envelope {
  if (!(bytes instanceof Uint8Array)) throw argTypeError('parseEnvelope(bytes, name)', 'bytes', 'a Uint8Array or Buffer', bytes);
  if (typeof name !== 'string') throw argTypeError('parseEnvelope(bytes, name)', 'name', 'a string', name);
  if (isGzip(bytes)) throw new EnvelopeError(`${name}: gzip-compressed; gunzip it first`);
  let pos = 0;
  const lineEnd = (from: number) => {
    const nl = bytes.indexOf(0x0a, from);
    return nl === -1 ? bytes.length : nl;
  };
  const firstEnd = lineEnd(0);
  if (firstEnd === 0) throw new EnvelopeError(`${name}: empty envelope`);
  const header = parseObject(bytes.subarray(0, firstEnd), `${name}: envelope header`) as EnvelopeHeader;
  pos = firstEnd + 1;
  const items: EnvelopeItem[] = [];
  while (pos < bytes.length) {
    const end = lineEnd(pos);
    if (end === pos) {
      pos += 1;
      continue;
    }
    const n = items.length + 1;
    const itemHeader = parseObject(bytes.subarray(pos, end), `${name}: item header ${n}`);
    if (typeof itemHeader.type !== 'string') throw new EnvelopeError(`${name}: item ${n} has no type`);
    const start = end + 1;
    let stop: number;
    if (itemHeader.length !== undefined) {
      const len = itemHeader.length;
      if (typeof len !== 'number' || !Number.isInteger(len) || len < 0)
        throw new EnvelopeError(`${name}: item ${n} has a bad length`);
      stop = start + len;
      if (stop > bytes.length) throw new EnvelopeError(`${name}: item ${n} runs past the end of the envelope`);
      if (stop < bytes.length && bytes[stop] !== 0x0a)
        throw new EnvelopeError(`${name}: item ${n} payload is not followed by a newline`);
    } else {
      stop = lineEnd(Math.min(start, bytes.length));
    }
    items.push({ header: itemHeader as ItemHeader, payload: bytes.subarray(Math.min(start, bytes.length), stop) });
    pos = stop + 1;
  }
  return { header, items };
}

/** The items of `envelope` whose type is `type`. */
export function itemsOfType(envelope: Envelope, type: ItemType): EnvelopeItem[] {
  const call = 'itemsOfType(envelope, type)';
  if (envelope === null || typeof envelope !== 'object' || !Array.isArray((envelope as { items?: unknown }).items)) {
    throw argTypeError(call, 'envelope', 'an Envelope { header, items } (from parseEnvelope())', envelope);
  }
  checkString(call, 'type', type);
  return envelope.items.filter((i) => i?.header?.type === type);
}

/** An item's payload as text (UTF-8). */
export function itemText(item: EnvelopeItem): string {
  checkItem('itemText(item)', item);
  return decoder.decode(item.payload);
}

/**
 * An item's payload parsed as JSON.
 * @throws EnvelopeError when it is not JSON.
 */
export function itemJson(item: EnvelopeItem): unknown {
  checkItem('itemJson(item)', item);
  try {
    return JSON.parse(itemText(item));
  } catch {
    throw new EnvelopeError(`${item.header.type} item: payload is not valid JSON`);
  }
}

/** The header's `event_id`, read from the first line only; `undefined` when unreadable or gzip. */
export function readEventId(bytes: Uint8Array): string | undefined {
  if (!(bytes instanceof Uint8Array)) throw argTypeError('readEventId(bytes)', 'bytes', 'a Uint8Array or Buffer', bytes);
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
