import { checkObject } from '../args.js';
import { DEFAULT_FREQUENCY_HZ, validateFrequency } from '../binding.js';
import { logger } from './logger.js';

/** Options of every scheduler class. */
export interface SchedulerOptions {
  /** Samples per second, 1–10 000 (default 101, like Sentry's Python SDK). */
  frequency?: number;
}

/**
 * What decides when samples are taken. In Node there is one sampling backend: V8's
 * CPU profiler, whose sampler thread interrupts the isolate's thread with a signal at
 * the configured frequency. The three classes of Sentry's Python SDK are kept so that
 * ported code works; they differ only in name (see the README's scheduler table).
 */
export abstract class Scheduler {
  /** Samples per second. */
  readonly frequency: number;
  /** The Python SDK's mode name for this scheduler. */
  abstract readonly mode: 'thread' | 'sleep' | 'gevent';

  /**
   * @throws TypeError when `options` is given and is not an object.
   * @throws RangeError when the frequency is not a number of Hz in [1, 10 000].
   */
  constructor(options: SchedulerOptions = {}) {
    checkObject(`new ${new.target.name}(options)`, 'options', options, true);
    this.frequency = validateFrequency(options.frequency ?? DEFAULT_FREQUENCY_HZ);
  }

  /** The sampling interval in microseconds. */
  get intervalUs(): number {
    return 1e6 / this.frequency;
  }
}

/** The default: V8's sampler thread at `frequency` Hz (Python: a sampling thread). */
export class ThreadScheduler extends Scheduler {
  readonly mode = 'thread' as const;
}

/**
 * Python's sleep-loop scheduler. V8 has no sleep-based sampler, so this samples exactly
 * like {@link ThreadScheduler}; it exists so ported configurations keep working.
 */
export class SleepScheduler extends Scheduler {
  readonly mode = 'sleep' as const;
}

/**
 * Python's gevent scheduler. Node has no gevent; this samples like
 * {@link ThreadScheduler} and says so once.
 */
export class GeventScheduler extends Scheduler {
  readonly mode = 'gevent' as const;

  constructor(options: SchedulerOptions = {}) {
    super(options);
    logger.warnOnce('gevent', "GeventScheduler: Node has no gevent; sampling uses V8's sampler thread, like ThreadScheduler");
  }
}

/** The scheduler for a Python `profiler_mode` name. */
export function schedulerForMode(mode: 'thread' | 'sleep' | 'gevent', frequency: number): Scheduler {
  switch (mode) {
    case 'sleep':
      return new SleepScheduler({ frequency });
    case 'gevent':
      return new GeventScheduler({ frequency });
    default:
      return new ThreadScheduler({ frequency });
  }
}
