import { AsyncLocalStorage } from 'node:async_hooks';

import type { Span } from './span.js';

/** The active span of the current async context. */
export const activeSpanStorage = new AsyncLocalStorage<Span | undefined>();

/** The span active in the current async context, if any. */
export function getActiveSpan(): Span | undefined {
  return activeSpanStorage.getStore();
}
