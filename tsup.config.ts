import { defineConfig } from 'tsup';

export default defineConfig({
  // The library (ESM and CJS, with declarations) and the command line, in one build: the command
  // line shares the library's modules (one registry, one set of classes), so a module that
  // `--import` loads registers its envs with `import { register } from 'hybrid-gym'` into the
  // registry the command line reads. The command line's shebang comes from src/cli/main.ts.
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    'cli/main': 'src/cli/main.ts',
    // Worker threads start from files of their own, found beside the module that starts them.
    'analysis-worker': 'src/analysis/python/index-worker.ts',
    'verify-worker': 'src/tasks/verify-worker.ts',
  },
  format: ['esm', 'cjs'],
  // Shared chunks for all entries, so . and ./testing (and the command line) share classes in CJS too.
  splitting: true,
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
});
