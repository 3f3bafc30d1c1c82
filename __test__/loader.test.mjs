import test from 'ava';
import { spawnSync } from 'node:child_process';

const entry = new URL('../dist/index.js', import.meta.url).href;

function runChild(source) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
}

test('an unsupported Node ABI gives one clear error naming platform, arch, libc and ABI', (t) => {
  const child = runChild(`
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const { startSampling, NativeBindingError } = await import(${JSON.stringify(entry)});
    try { startSampling(101); console.log('LOADED'); }
    catch (e) { console.log(e instanceof NativeBindingError ? 'CLEAR' : 'OTHER'); console.log(e.message); }
  `);
  t.is(child.status, 0, child.stderr);
  t.regex(child.stdout, /^CLEAR/);
  t.regex(child.stdout, new RegExp(`platform ${process.platform}, arch ${process.arch}, libc \\w+`));
  t.regex(child.stdout, /ABI 999/);
  t.regex(child.stdout, /npm run build:native/);
  t.notRegex(child.stdout, /dlopen/);
});

test('a binary built for another ABI is refused, not loaded', (t) => {
  const child = runChild(`
    const { loadNativeBinding } = await import(${JSON.stringify(entry)});
    const real = loadNativeBinding();
    console.log(real.nativeAbi() === process.versions.modules ? 'MATCH' : 'MISMATCH');
  `);
  t.is(child.status, 0, child.stderr);
  t.is(child.stdout.trim(), 'MATCH');
});

test('importing the package loads nothing native until used', (t) => {
  const child = runChild(`
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const m = await import(${JSON.stringify(entry)});
    console.log(typeof m.startSampling, m.isSampling(), m.stopSampling());
  `);
  t.is(child.status, 0, child.stderr);
  t.is(child.stdout.trim(), 'function false false');
});
