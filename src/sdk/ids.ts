import { randomBytes, randomUUID } from 'node:crypto';

/** A UUID v4 as 32 lowercase hex digits (Sentry's `event_id` form). */
export function uuid4(): string {
  return randomUUID().replace(/-/g, '');
}

/** A span id: 16 lowercase hex digits. */
export function spanId(): string {
  return randomBytes(8).toString('hex');
}
