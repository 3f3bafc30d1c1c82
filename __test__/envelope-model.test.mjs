// The one envelope model (ferroprof/transport): framing, parsing, item iteration and gzip
// detection, checked against Sentry's test vectors and the native validator.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

import { validateEnvelope } from '../dist/testing.js';
import {
  EnvelopeError,
  isGzip,
  itemJson,
  itemText,
  itemsOfType,
  parseEnvelope,
  readEventId,
  serializeEnvelope,
} from '../dist/transport.js';

const fixtures = fileURLToPath(new URL('../crates/core/tests/fixtures/', import.meta.url));
const read = (kind, name) => readFileSync(join(fixtures, kind, name));
const envelopes = (kind) =>
  readdirSync(join(fixtures, kind))
    .filter((n) => n.includes('.envelope'))
    .sort();

test('every valid fixture envelope parses, re-serializes, and the native validator accepts the result', (t) => {
  const names = envelopes('valid');
  t.true(names.length >= 4);
  for (const name of names) {
    const gz = name.endsWith('.gz');
    const raw = read('valid', name);
    t.is(isGzip(raw), gz, name);
    const plain = gz ? gunzipSync(raw) : raw;
    const parsed = parseEnvelope(plain, name);
    const written = serializeEnvelope(parsed.header, parsed.items);
    t.notThrows(() => validateEnvelope(written), name);
    if (gz) t.notThrows(() => validateEnvelope(gzipSync(written), true), name);
    const again = parseEnvelope(written);
    t.deepEqual(again.header, parsed.header, `${name}: header kept`);
    t.is(again.items.length, parsed.items.length);
    again.items.forEach((item, i) => {
      const before = parsed.items[i];
      t.is(item.header.length, item.payload.length, `${name}: length is the payload's byte count`);
      const { length: _a, ...h1 } = before.header;
      const { length: _b, ...h2 } = item.header;
      t.deepEqual(h2, h1, `${name}: item header kept`);
      t.is(itemText(item), itemText(before));
    });
    t.is(readEventId(written), parsed.header.event_id);
  }
});

test('framing errors are refused with a message naming the item', (t) => {
  t.throws(() => parseEnvelope(read('invalid', 'envelope-item-without-type.envelope'), 'x'), {
    instanceOf: EnvelopeError,
    message: 'x: item 1 has no type',
  });
  t.throws(() => parseEnvelope(read('invalid', 'envelope-wrong-length.envelope')), {
    instanceOf: EnvelopeError,
    message: /item 1 payload is not followed by a newline/,
  });
  t.throws(() => parseEnvelope(read('invalid', 'envelope-crlf.envelope')), { instanceOf: EnvelopeError, message: /CRLF/ });
  t.throws(() => parseEnvelope(read('invalid', 'envelope-undeclared-gzip.envelope')), {
    instanceOf: EnvelopeError,
    message: /gzip-compressed/,
  });
  t.throws(() => parseEnvelope(Buffer.from('{}\n{"type":"profile","length":50}\n{}\n')), { message: /runs past the end/ });
  t.throws(() => parseEnvelope(Buffer.from('{}\n{"type":"profile","length":-1}\n{}\n')), { message: /bad length/ });
  t.throws(() => parseEnvelope(Buffer.from('[1]\n')), { message: /envelope header is not a JSON object/ });
  t.throws(() => parseEnvelope(Buffer.alloc(0)), { message: /empty envelope/ });
  t.throws(() => parseEnvelope('text'), { instanceOf: TypeError, message: /bytes must be a Uint8Array/ });
});

test('serialize: exact UTF-8 byte lengths, text and binary payloads, items without length read to the newline', (t) => {
  const bytes = serializeEnvelope({ event_id: 'abc' }, [
    { header: { type: 'transaction', length: 999 }, payload: '{"name":"café ☕"}' },
    { header: { type: 'attachment' }, payload: new Uint8Array([0x00, 0x0a, 0xff]) },
  ]);
  const envelope = parseEnvelope(bytes);
  t.is(envelope.items[0].header.length, Buffer.byteLength('{"name":"café ☕"}'));
  t.deepEqual(itemJson(envelope.items[0]), { name: 'café ☕' });
  t.deepEqual([...envelope.items[1].payload], [0x00, 0x0a, 0xff], 'a newline inside a payload with length is data');
  t.deepEqual(itemsOfType(envelope, 'attachment').length, 1);
  const loose = parseEnvelope(Buffer.from('{"event_id":"e"}\n{"type":"event"}\n{"a":1}\n\n{"type":"event"}\n{"a":2}'));
  t.deepEqual(loose.items.map(itemJson), [{ a: 1 }, { a: 2 }]);
  t.false(isGzip(Buffer.from('{}')));
  t.true(isGzip(gzipSync('x')));
  t.is(readEventId(gzipSync('x')), undefined);
});
