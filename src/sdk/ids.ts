import { crypto } from '../builtins.js';

// Ids are made on every transaction and span: hex from a pool of random bytes, one
// system call per 4 KiB, costs ~90 ns an id (`randomUUID` plus removing its dashes,
// ~300 ns). Per isolate, like every module state.
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

function take(bytes: number): number {
  if (offset + bytes > pool.length) {
    crypto().randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** A UUID v4 as 32 lowercase hex digits (Sentry's `event_id` form). */
export function uuid4(): string {
  const at = take(16);
  pool[at + 6] = ((pool[at + 6] ?? 0) & 0x0f) | 0x40; // version 4
  pool[at + 8] = ((pool[at + 8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  return pool.toString('hex', at, at + 16);
}

/** A span id: 16 lowercase hex digits. */
export function spanId(): string {
  const at = take(8);
  return pool.toString('hex', at, at + 8);
}
