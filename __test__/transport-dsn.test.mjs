import test from 'ava';

import { DsnError, dsnToString, parseDsn } from '../dist/transport.js';

test('a SaaS DSN gives its parts and the envelope URL', (t) => {
  const dsn = parseDsn('https://abc123@o11.ingest.sentry.io/4505');
  t.like(dsn, { protocol: 'https', publicKey: 'abc123', host: 'o11.ingest.sentry.io', port: '', path: '', projectId: '4505' });
  t.is(dsn.secretKey, undefined);
  t.is(dsn.envelopeUrl, 'https://o11.ingest.sentry.io/api/4505/envelope/');
  t.is(dsnToString(dsn), 'https://abc123@o11.ingest.sentry.io/4505');
});

test('port, path prefix and a legacy secret; the secret never goes into the header DSN', (t) => {
  const dsn = parseDsn('  http://pub:sec@sentry.local:9000/sub/dir/7\n');
  t.like(dsn, {
    protocol: 'http',
    publicKey: 'pub',
    secretKey: 'sec',
    host: 'sentry.local',
    port: '9000',
    path: 'sub/dir/',
    projectId: '7',
  });
  t.is(dsn.envelopeUrl, 'http://sentry.local:9000/sub/dir/api/7/envelope/');
  t.is(dsnToString(dsn), 'http://pub@sentry.local:9000/sub/dir/7');
});

test('IPv6 hosts and a trailing slash', (t) => {
  const dsn = parseDsn('http://k@[::1]:8080/12/');
  t.is(dsn.host, '[::1]');
  t.is(dsn.projectId, '12');
  t.is(dsn.envelopeUrl, 'http://[::1]:8080/api/12/envelope/');
});

const bad = [
  ['', /empty/],
  ['   ', /empty/],
  ['not a dsn', /not a URL/],
  ['ftp://k@host/1', /protocol "ftp" is not http or https/],
  ['https://host.example/1', /public key .* is missing/],
  ['https://k@host.example', /project id .* is missing/],
  ['https://k@host.example/', /project id .* is missing/],
  ['https://k@host.example/abc', /project id "abc" is not a number/],
  ['https://k@host.example:99999/1', /not a URL/],
];
for (const [input, why] of bad) {
  test(`invalid DSN ${JSON.stringify(input)} is refused with a clear message`, (t) => {
    const err = t.throws(() => parseDsn(input), { instanceOf: DsnError });
    t.regex(err.message, why);
    if (input.trim() !== '') t.regex(err.message, /expected https:\/\/<publicKey>@<host>\[:<port>\]\/\[<path>\/\]<projectId>/);
  });
}

test('non-string DSNs are refused with a DsnError', (t) => {
  for (const input of [undefined, null, 42, {}]) {
    const err = t.throws(() => parseDsn(input), { instanceOf: DsnError });
    t.regex(err.message, /must be a string/);
  }
});

test('error messages never print the secret key', (t) => {
  const err = t.throws(() => parseDsn('https://pub:topsecret@host.example/notanumber'), { instanceOf: DsnError });
  t.false(err.message.includes('topsecret'));
  t.regex(err.message, /pub:\*\*\*@/);
});
