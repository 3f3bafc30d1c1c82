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
  /** Resolves with the result of a `closeWindow` ticket, or a `failed` one at the deadline. */
  wait(ticket: number, deadlineMs: number): Promise<WindowResult>;
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
export function dispatcherFor(
  binding: NativeBinding,
  threadId: number,
  threadName: string,
  onAttach: () => void,
): Dispatcher {
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
    data: JSON.stringify({ message }),
    complete: false,
    samples: 0,
    startNs: 0,
    endNs: 0,
  };
}

function createDispatcher(binding: NativeBinding): Dispatcher {
  const waiters = new Map<number, { resolve: (r: WindowResult) => void; timer: NodeJS.Timeout }>();
  const subscribers = new Map<number, (r: WindowResult) => void>();
  const counters: DispatcherCounters = { windowsAbandoned: 0, resultsUnclaimed: 0 };

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
    clearTimeout(w.timer);
    w.resolve(result);
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
    wait(ticket, deadlineMs) {
      return new Promise<WindowResult>((resolve) => {
        const timer = setTimeout(() => {
          // The result may be waiting natively, unannounced because the event loop
          // was busy: look before giving up.
          drain();
          if (!waiters.has(ticket)) return;
          waiters.delete(ticket);
          counters.windowsAbandoned += 1;
          resolve(failed(ticket, 0, `no result within ${deadlineMs} ms`));
        }, deadlineMs);
        waiters.set(ticket, { resolve, timer });
      });
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
