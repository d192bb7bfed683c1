import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Containers are heavy on a 2-core machine: keep file-level parallelism modest.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    // The analysis cache of this run only: tests use it (a second index of a repository is served
    // from it) without reading or filling the user's ~/.cache/hybrid-gym.
    env: { HYBRID_GYM_CACHE: path.join(tmpdir(), `hybrid-gym-test-cache-${process.pid}`) },
  },
});
