import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM and CJS with declarations.
    entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    // One shared chunk for both entries, so . and ./testing share classes in CJS too.
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
  },
  {
    // The command line: ESM only, with a shebang.
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
