/** A parsed Sentry DSN. */
export interface Dsn {
  /** `http` or `https`. */
  protocol: 'http' | 'https';
  /** The public key (the DSN's user part). */
  publicKey: string;
  /** The legacy secret key, when the DSN carries one; never sent anywhere. */
  secretKey?: string;
  /** Host name (IPv6 addresses keep their brackets). */
  host: string;
  /** Port as written in the DSN, without the colon; `''` when absent. */
  port: string;
  /** Path prefix before the project id, `''` or ending in `/` (e.g. `sentry/`). */
  path: string;
  /** The numeric project id. */
  projectId: string;
  /** Where envelopes are POSTed: `<protocol>://<host>[:<port>]/<path>api/<projectId>/envelope/`. */
  envelopeUrl: string;
}

const EXPECTED = 'expected https://<publicKey>@<host>[:<port>]/[<path>/]<projectId>';

/** Thrown by {@link parseDsn} for a DSN that cannot be used; the message names the bad part. */
export class DsnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DsnError';
  }
}

function fail(what: string, dsn: string): never {
  throw new DsnError(`ferroprof: invalid DSN ${JSON.stringify(redact(dsn))}: ${what}; ${EXPECTED}`);
}

/** Hides a secret key so that error messages never print it. */
function redact(dsn: string): string {
  return dsn.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Parses a Sentry DSN such as `https://abc123@o1.ingest.sentry.io/42`.
 * Surrounding whitespace is ignored (DSNs often come from env vars with a newline).
 * @throws DsnError naming the part that is wrong and the expected shape.
 */
export function parseDsn(dsn: string): Dsn {
  if (typeof dsn !== 'string') {
    throw new DsnError(`ferroprof: the DSN must be a string, got ${dsn === null ? 'null' : typeof dsn}; ${EXPECTED}`);
  }
  const text = dsn.trim();
  if (text === '') throw new DsnError(`ferroprof: the DSN is empty; ${EXPECTED}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail('not a URL', text);
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') fail(`protocol "${protocol}" is not http or https`, text);
  if (url.username === '') fail('the public key (before "@") is missing', text);
  if (url.hostname === '') fail('the host is missing', text);
  // A single trailing slash is tolerated; the last remaining segment is the project id.
  const segments = url.pathname.replace(/\/$/, '').split('/').slice(1);
  const projectId = segments.pop() ?? '';
  if (projectId === '') fail('the project id (last path segment) is missing', text);
  if (!/^\d+$/.test(projectId)) fail(`the project id "${projectId}" is not a number`, text);
  const path = segments.map((s) => `${s}/`).join('');
  const port = url.port;
  const secretKey = url.password === '' ? undefined : decodeURIComponent(url.password);
  const host = url.hostname;
  const parsed: Dsn = {
    protocol,
    publicKey: decodeURIComponent(url.username),
    host,
    port,
    path,
    projectId,
    envelopeUrl: `${protocol}://${host}${port ? `:${port}` : ''}/${path}api/${projectId}/envelope/`,
  };
  if (secretKey !== undefined) parsed.secretKey = secretKey;
  return parsed;
}

/** The DSN as it goes into an envelope header's `dsn` field: never with the secret key. */
export function dsnToString(dsn: Dsn): string {
  const port = dsn.port ? `:${dsn.port}` : '';
  return `${dsn.protocol}://${dsn.publicKey}@${dsn.host}${port}/${dsn.path}${dsn.projectId}`;
}
