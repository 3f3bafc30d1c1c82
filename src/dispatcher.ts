import type { NativeBinding, WindowResult } from './native-types.js';

/**
 * Routes window results from the native mailbox to whoever waits for them. There is
 * one per isolate and native runtime, kept on `globalThis`, so that every copy of the
 * package loaded in the process (an ESM app with a CJS dependency, say) shares it:
 * the native side wakes only the callback of the copy that attached first.
 *
 * Every wait has a deadline. A waiting result keeps the event loop alive until it
 * arrives or its deadline passes (so an awaited `close()` resolves), never longer.
 * Internal.
 */
export interface Dispatcher {
  /** Gives `onResult` the result of a `closeWindow` ticket, or a `failed` one at the deadline. */
  waitFor(ticket: number, deadlineMs: number, onResult: (result: WindowResult) => void): void;
  /** Receives the chunks the native side cuts for window `id` on its own. */
  subscribe(id: number, onChunk: (result: WindowResult) => void): void;
  unsubscribe(id: number): void;
  /** The current receiver of window `id`'s chunks. */
  subscriber(id: number): ((result: WindowResult) => void) | undefined;
  /** Takes and routes every result waiting natively (never blocks). */
  drain(): void;
  readonly counters: DispatcherCounters;
}

/** What the dispatcher could not hand over. */
export interface DispatcherCounters {
  /** Waits that reached their deadline without a result. */
  windowsAbandoned: number;
  /** Results that arrived with nobody waiting (after their deadline). */
  resultsUnclaimed: number;
}

const PROTOCOL = 1;

interface Shared {
  protocol: number;
  dispatchers: Map<string, Dispatcher>;
}

function shared(): Shared {
  const key = Symbol.for('ferroprof.dispatchers');
  const holder = globalThis as unknown as Record<symbol, Shared | undefined>;
  let s = holder[key];
  if (!s || s.protocol !== PROTOCOL) {
    s = { protocol: PROTOCOL, dispatchers: new Map() };
    holder[key] = s;
  }
  return s;
}

/**
 * The dispatcher of this isolate for `binding`, attaching the isolate on first use.
 * `onAttach` runs once per isolate and native runtime, whichever copy comes first.
 */
export function dispatcherFor(binding: NativeBinding, threadId: number, threadName: string, onAttach: () => void): Dispatcher {
  const registry = shared().dispatchers;
  const instance = binding.instanceId();
  const existing = registry.get(instance);
  if (existing) return existing;
  const d = createDispatcher(binding);
  binding.attach(() => d.drain(), threadId, threadName);
  registry.set(instance, d);
  onAttach();
  return d;
}

function failed(ticket: number, id: number, message: string): WindowResult {
  return {
    id,
    ticket,
    kind: 'failed',
    message,
    complete: false,
    samples: 0,
    startNs: 0,
    endNs: 0,
    truncated: false,
  };
}

interface Waiter {
  onResult: (r: WindowResult) => void;
  /** `Date.now()` at which it gives up. */
  deadline: number;
  waitMs: number;
}

function createDispatcher(binding: NativeBinding): Dispatcher {
  const waiters = new Map<number, Waiter>();
  const subscribers = new Map<number, (r: WindowResult) => void>();
  const counters: DispatcherCounters = { windowsAbandoned: 0, resultsUnclaimed: 0 };
  // One timer serves every deadline (a timer per wait cost ~1 µs of the JS thread per
  // transaction profile). It is ref'd only while someone waits, so it keeps the loop
  // alive exactly as long as a wait does.
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const arm = (at: number): void => {
    if (timer && timerAt <= at) {
      timer.ref();
      return;
    }
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(expire, Math.max(0, at - Date.now()));
  };

  // Receivers handle their own errors; one that throws must not keep the results
  // after it from being routed.
  const deliver = (w: Waiter, result: WindowResult): void => {
    try {
      w.onResult(result);
    } catch {
      // Nothing to add: the receiver logs what it can.
    }
  };

  const expire = (): void => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    // A result may be waiting natively, unannounced because the event loop was
    // busy: look before giving up.
    drain();
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [ticket, w] of waiters) {
      if (w.deadline > now) {
        next = Math.min(next, w.deadline);
        continue;
      }
      waiters.delete(ticket);
      counters.windowsAbandoned += 1;
      deliver(w, failed(ticket, 0, `no result within ${w.waitMs} ms`));
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next);
  };

  const route = (result: WindowResult): void => {
    if (result.ticket === 0) {
      const sub = subscribers.get(result.id);
      if (sub) sub(result);
      else counters.resultsUnclaimed += 1;
      return;
    }
    const w = waiters.get(result.ticket);
    if (!w) {
      counters.resultsUnclaimed += 1;
      return;
    }
    waiters.delete(result.ticket);
    if (waiters.size === 0) timer?.unref();
    deliver(w, result);
  };

  const drain = (): void => {
    let results: WindowResult[];
    try {
      results = binding.takeResults();
    } catch {
      return;
    }
    for (const r of results) route(r);
  };

  return {
    counters,
    drain,
    waitFor(ticket, deadlineMs, onResult) {
      const deadline = Date.now() + deadlineMs;
      waiters.set(ticket, { onResult, deadline, waitMs: deadlineMs });
      arm(deadline);
    },
    subscribe(id, onChunk) {
      subscribers.set(id, onChunk);
    },
    unsubscribe(id) {
      subscribers.delete(id);
    },
    subscriber(id) {
      return subscribers.get(id);
    },
  };
}
