/**
 * Checking that a repository is unchanged (every episode does it twice: its workspace and its
 * verifier read the repository through the per-process cache): a full walk that lists every folder
 * (`repoStamp`) beside the check from the last listing (`restamp`), in turn in one run.
 *
 * Run: npx esbuild bench/repo-stamp.ts --bundle --platform=node --format=esm --packages=external \
 *   --outfile=.cache/bench/stamp.mjs && node .cache/bench/stamp.mjs [--repo DIR] [--rounds 50]
 * Without --repo: the episodes bench's ~300 files of the system Python's standard library.
 */
import { stdlibBenchRepo } from '../src/bench/episode-bench.js';
import { median, round3 } from '../src/bench/stats.js';
import { repoStamp, restamp } from '../src/workspace/files.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const repo = arg('--repo') ?? stdlibBenchRepo();
const rounds = Number(arg('--rounds') ?? 50);
const { stamp, listing } = await repoStamp(repo);
const walk: number[] = [];
const quick: number[] = [];
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  if ((await repoStamp(repo)).stamp !== stamp) throw new Error('the repository changed during the bench');
  walk.push(performance.now() - t);
  t = performance.now();
  if (restamp(repo, listing) !== stamp) throw new Error('restamp disagrees with repoStamp');
  quick.push(performance.now() - t);
}
const summary = { repo, files: listing.files.length, folders: listing.folders.length, rounds, repoStampMedianMs: round3(median(walk)), restampMedianMs: round3(median(quick)) };
process.stdout.write(`repoStamp ${summary.repoStampMedianMs} ms, restamp ${summary.restampMedianMs} ms (median of ${rounds}, ${summary.files} files in ${summary.folders} folders)\n`);
process.stdout.write(`${JSON.stringify(summary)}\n`);
