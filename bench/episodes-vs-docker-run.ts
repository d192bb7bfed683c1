/**
 * Oracle func-localize episodes per second at concurrency 1, 2 and 4, beside bare
 * `docker run --rm IMAGE true` in the same run, sequential and at each concurrency over 1 (the
 * most one-fresh-container-per-episode could give here) (issue 15's "cheap episodes").
 *
 * Run (nothing here runs TypeScript directly; esbuild comes with tsup):
 *   npx esbuild bench/episodes-vs-docker-run.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=.cache/bench/episodes.mjs && node .cache/bench/episodes.mjs [--repo DIR] [--episodes 40]
 *     [--concurrency 1,2,4] [--reuse fresh,reused] [--docker-runs 20] [--image TAG]
 * Without --repo: about 300 files of the system Python's standard library (copied to a temp dir).
 * Needs a running Docker engine and the default image (`hybrid-gym image build`). Prints lines,
 * then a JSON summary last. `hybrid-gym bench --episodes 40` runs the same.
 */
import { benchEpisodes, formatEpisodeBench, stdlibBenchRepo } from '../src/bench/episode-bench.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const result = await benchEpisodes({
  repo: arg('--repo') ?? stdlibBenchRepo(),
  episodes: Number(arg('--episodes') ?? 40),
  concurrencies: (arg('--concurrency') ?? '1,2,4').split(',').map(Number),
  dockerRuns: Number(arg('--docker-runs') ?? 20),
  reuse: (arg('--reuse') ?? 'fresh,reused').split(',').map((m) => m === 'reused'),
  ...(arg('--image') && { image: arg('--image') }),
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(formatEpisodeBench(result));
process.stdout.write(`${JSON.stringify(result)}\n`);
