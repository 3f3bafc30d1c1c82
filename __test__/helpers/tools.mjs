// Tests that need an external tool (Chromium, Go). In CI (`CI=true`) a missing tool
// is a failure: the check it guards must run there. Elsewhere the test is reported as
// skipped, with one line saying what is missing and how to get it.
import test from 'ava';

/** True when the environment says it is CI (`CI=true`, `CI=1`, ...). */
export const inCI = (() => {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
})();

/**
 * Registers an ava test that needs a tool.
 * @param {string} title the test's title
 * @param {{ available: boolean, missing: string }} tool `missing` says what is absent and how to install it
 * @param {(t: import('ava').ExecutionContext) => unknown} body
 */
export function testWithTool(title, tool, body) {
  if (tool.available) return test(title, body);
  if (inCI) {
    return test(title, (t) => {
      t.fail(`${tool.missing}; CI=true requires it, so this is a failure, not a skip`);
    });
  }
  // ava prints every skipped test as one line ("- file › title"), the reason included.
  return test.skip(`${title} [SKIPPED: ${tool.missing}]`, body);
}
