import { defineConfig } from 'tsup';

// @ts-expect-error: a plain ES module of the repository's scripts, without types.
import { assertVersionsAgree, packageVersion } from './scripts/version.mjs';

const root = import.meta.dirname ?? process.cwd();
assertVersionsAgree(root);

export default defineConfig({
  entry: {
    // Public entry points (package.json `exports`).
    index: 'src/index.ts',
    sampler: 'src/sampler.ts',
    transport: 'src/transport/index.ts',
    testing: 'src/testing.ts',
    // Private: the postinstall script's view of the loader.
    internal: 'src/internal.ts',
    cli: 'src/cli-bin.ts',
    'cli-lib': 'src/cli/index.ts',
    preload: 'src/preload.ts',
    sentry: 'src/sentry/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of every module across entries, in the CommonJS build too (the SDK's and
  // the sampler's state must not be duplicated between `ferroprof` and its subpaths).
  splitting: true,
  // `import.meta.url` in the CommonJS build, `__dirname` in the ESM build.
  shims: true,
  target: 'node20',
  platform: 'node',
  // ferroprof/sentry runs inside the application's own @sentry/node: its @sentry/core
  // (one global carrier per copy) must be the application's, never a bundled one.
  external: ['@sentry/core', '@sentry/node'],
  // The source-map reader (the CLI's) is bundled: the package keeps no runtime
  // dependency, so it installs offline from its two tarballs like any prebuilt.
  noExternal: [/^@jridgewell\//],
  // The one source of the version: package.json (see src/sdk/version.ts).
  define: { __FERROPROF_VERSION__: JSON.stringify(packageVersion(root)) },
});
