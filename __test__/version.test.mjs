import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { init, close, startTransaction } from '../dist/index.js';
import { cargoVersion, packageVersion, versionMismatches } from '../scripts/version.mjs';
import { collectingTransport } from './helpers/envelopes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

test('package.json is the one source of the version: Cargo and npm/* agree', (t) => {
  t.regex(packageVersion(root), /^\d+\.\d+\.\d+/);
  t.is(cargoVersion(root), packageVersion(root));
  t.deepEqual(versionMismatches(root), []);
});

test('a copy that disagrees is named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-version-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  const toml = readFileSync(join(root, 'Cargo.toml'), 'utf8').replace(/^version = ".*"$/m, 'version = "9.9.9"');
  writeFileSync(join(dir, 'Cargo.toml'), toml);
  t.deepEqual(versionMismatches(dir), ['Cargo.toml [workspace.package]: 9.9.9']);
});

test("the SDK reports package.json's version in every envelope", async (t) => {
  const envelopes = [];
  init({ transport: collectingTransport(envelopes), tracesSampleRate: 1 });
  startTransaction({ name: 'versioned', op: 'test' }).finish();
  t.true(await close(5000));
  t.true(envelopes.length >= 1);
  for (const e of envelopes) t.is(e.header.sdk.version, packageVersion(root));
});
