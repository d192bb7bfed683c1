// The examples' own vitest config (the repository's config only runs test/**/*.test.ts).
// Run: npx vitest run --config examples/vitest.config.mjs
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Keep Vite's cache with the repository's, not in examples/node_modules.
  cacheDir: fileURLToPath(new URL('../node_modules/.vite', import.meta.url)),
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.mjs'],
    testTimeout: 60_000,
  },
});
