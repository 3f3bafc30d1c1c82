import { toTransport } from '../transport/callback.js';
import { DsnError, dsnToString, parseDsn } from '../transport/dsn.js';
import { HttpTransport } from '../transport/http.js';
import { LocalTransport } from '../transport/local.js';
import type { Transport } from '../transport/types.js';
import { logger } from './logger.js';
import type { ResolvedOptions } from './options.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

/** The transport a client sends through, and how it was chosen. */
export interface ChosenTransport {
  transport: Transport;
  /** `custom` (the `transport` option), `http` (a DSN) or `local` (files). */
  kind: 'local' | 'http' | 'custom';
  /** The DSN for envelope headers, when sending to one. */
  dsnHeader?: string;
}

/**
 * The transport option if it is usable, else HTTP to a DSN that parses, else local
 * files; each fallback is said once.
 */
export function chooseTransport(options: ResolvedOptions): ChosenTransport {
  const log = logger.asTransportLogger();
  if (options.transport !== undefined) {
    try {
      return { transport: toTransport(options.transport, log), kind: 'custom' };
    } catch (err) {
      logger.warnOnce(
        'transport',
        `transport must be a Transport object or a function (envelope, info) => void; ${err instanceof Error ? err.message : String(err)}; using the default transport`,
      );
    }
  }
  if (options.dsn) {
    try {
      const dsn = parseDsn(options.dsn);
      return {
        transport: new HttpTransport({ dsn, sdkName: SDK_NAME, sdkVersion: SDK_VERSION, logger: log }),
        kind: 'http',
        dsnHeader: dsnToString(dsn),
      };
    } catch (err) {
      const why = err instanceof DsnError ? err.message : String(err);
      logger.warnOnce('dsn', `${why.replace(/^ferroprof: /, '')}; writing envelopes locally to ${options.localDir} instead`);
    }
  }
  return { transport: new LocalTransport({ dir: options.localDir, logger: log }), kind: 'local' };
}
