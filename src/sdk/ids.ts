import { randomUUID } from 'node:crypto';

// `randomUUID` draws from a cached pool of random bytes, far cheaper per call than
// `randomBytes`; ids are made on every transaction and span.

/** A UUID v4 as 32 lowercase hex digits (Sentry's `event_id` form). */
export function uuid4(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24);
}

/** A span id: 16 lowercase hex digits. */
export function spanId(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(24, 32);
}
