import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OracleAgent } from '../agents/simple-agents.js';
import { DEFAULT_IMAGE } from '../image/default-image.js';
import { isFailed, rollout, type EpisodeRecord } from '../rollout/rollout.js';
import type { Episode } from '../rollout/run-episode.js';
import { funcLocalizeTask } from '../tasks/func-localize/index.js';
import { loadRepoFiles } from '../workspace/files.js';
import { median, round3 } from './stats.js';

const run = promisify(execFile);

export interface EpisodeBenchOptions {
  /** The Python repository func-localize instances are made from. */
  repo: string;
  /** Oracle episodes per concurrency. @default 40 */
  episodes?: number;
  /** @default [1, 2, 4] */
  concurrencies?: number[];
  /** Sequential `docker run --rm IMAGE true` runs. @default 20 */
  dockerRuns?: number;
  /** @default DEFAULT_IMAGE */
  image?: string;
  /** The sandbox modes the oracle runs in, in turn: a fresh container per episode, reused containers. @default [false, true] */
  reuse?: boolean[];
  onProgress?: (line: string) => void;
}

export interface OracleRate {
  concurrency: number;
  /** Reused containers (the docker provider's `reuse`), else a fresh one per episode. */
  reuse: boolean;
  episodes: number;
  /** Wall time of the whole rollout (provider start to the last container removed). */
  seconds: number;
  episodesPerSec: number;
  successRate: number;
  errors: number;
  /** Medians over the episodes: whole episode (reset to verdict), and the verdict's read + verify. */
  episodeMs: number;
  scoreMs: number;
}

export interface EpisodeBenchResult {
  repo: string;
  repoFiles: number;
  image: string;
  dockerRuns: number;
  /** Sequential `docker run --rm IMAGE true` through the docker CLI. */
  dockerRunPerSec: number;
  dockerRunMs: number;
  /**
   * `docker run --rm IMAGE true` at each concurrency over 1 (`dockerRuns` runs each): about the most
   * episodes a second any design with one fresh container per episode could reach on this machine.
   */
  dockerRunAt: Array<{ concurrency: number; perSec: number }>;
  oracle: OracleRate[];
  bestConcurrency: number;
  bestReuse: boolean;
  bestEpisodesPerSec: number;
  /** Oracle episodes per second at the best concurrency over docker runs per second. */
  oracleOverDockerRun: number;
}

/**
 * Oracle func-localize episodes per second at several concurrencies, beside bare
 * `docker run --rm IMAGE true` in the same run: what an episode costs over a container run.
 */
export async function benchEpisodes(options: EpisodeBenchOptions): Promise<EpisodeBenchResult> {
  const say = options.onProgress ?? (() => {});
  const episodes = options.episodes ?? 40;
  const concurrencies = options.concurrencies ?? [1, 2, 4];
  const dockerRuns = options.dockerRuns ?? 20;
  const image = options.image ?? DEFAULT_IMAGE;
  const files = await loadRepoFiles(options.repo);
  say(`bench: ${episodes} func-localize instances from ${options.repo} (${files.size} files)`);
  const instances = await funcLocalizeTask.generate!({ repo: options.repo, n: episodes, seed: 0 });
  if (instances.length === 0) throw new Error(`${options.repo} yields no func-localize instances`);
  // The same list for every concurrency, repeated up to `episodes` if the repo yields fewer.
  const list = Array.from({ length: episodes }, (_, k) => instances[k % instances.length]!);

  say(`bench: ${dockerRuns} sequential \`docker run --rm ${image} true\``);
  await run('docker', ['run', '--rm', image, 'true']);
  const runs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < dockerRuns; i++) {
    const t = performance.now();
    await run('docker', ['run', '--rm', image, 'true']);
    runs.push(performance.now() - t);
  }
  const dockerRunPerSec = dockerRuns / ((performance.now() - t0) / 1000);
  const dockerRunAt: EpisodeBenchResult['dockerRunAt'] = [];
  for (const concurrency of concurrencies.filter((c) => c > 1)) {
    say(`bench: ${dockerRuns} \`docker run --rm ${image} true\` at concurrency ${concurrency}`);
    dockerRunAt.push({ concurrency, perSec: round3(await dockerRunRate(image, dockerRuns, concurrency)) });
  }

  const oracle: OracleRate[] = [];
  for (const reuse of options.reuse ?? [false, true]) for (const concurrency of concurrencies) {
    say(`bench: ${list.length} oracle episodes at concurrency ${concurrency}${reuse ? ', containers reused' : ''}`);
    const t = performance.now();
    const { episodes: records, summary } = await rollout({
      task: funcLocalizeTask,
      instances: list,
      agent: (env) => new OracleAgent(env),
      concurrency,
      sandboxOptions: { image, reuse },
    });
    const seconds = (performance.now() - t) / 1000;
    const ran = records.filter((r: EpisodeRecord): r is Episode => !isFailed(r));
    oracle.push({
      concurrency,
      reuse,
      episodes: records.length,
      seconds: round3(seconds),
      episodesPerSec: round3(records.length / seconds),
      successRate: round3(summary.successRate),
      errors: summary.errors,
      episodeMs: round3(median(ran.map((e) => e.durationMs))),
      scoreMs: round3(median(ran.map((e) => e.info.scoreMs ?? Number.NaN))),
    });
  }
  const best = oracle.reduce((a, b) => (b.episodesPerSec > a.episodesPerSec ? b : a));
  return {
    repo: options.repo,
    repoFiles: files.size,
    image,
    dockerRuns,
    dockerRunPerSec: round3(dockerRunPerSec),
    dockerRunMs: round3(median(runs)),
    dockerRunAt,
    oracle,
    bestConcurrency: best.concurrency,
    bestReuse: best.reuse,
    bestEpisodesPerSec: best.episodesPerSec,
    oracleOverDockerRun: round3(best.episodesPerSec / dockerRunPerSec),
  };
}

/** Runs per second of `runs` `docker run --rm IMAGE true`, `concurrency` at a time. */
async function dockerRunRate(image: string, runs: number, concurrency: number): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < runs) await run('docker', ['run', '--rm', image, 'true']);
    }),
  );
  return runs / ((performance.now() - t) / 1000);
}

/** Folders of the standard library that, with its top-level modules, make a repository of about 300 files. */
const STDLIB_DIRS = ['email', 'json', 'xml', 'http', 'urllib', 'logging', 'asyncio', 'concurrent', 'importlib'];

/**
 * A repository of about 300 real Python files that a Debian machine has without downloads: the
 * system interpreter's top-level standard library modules and a few of its packages, copied once
 * into `dir` (default: a folder under the system temp dir).
 */
export function stdlibBenchRepo(dir = join(tmpdir(), 'hybrid-gym-bench', 'stdlib-300')): string {
  if (existsSync(join(dir, 'json', '__init__.py'))) return dir;
  const lib = ['/usr/lib/python3.11', '/usr/lib/python3'].find((d) => existsSync(join(d, 'json', '__init__.py')));
  if (!lib) throw new Error('no standard library found under /usr/lib/python3.11 or /usr/lib/python3: give a repository');
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(lib)) {
    const from = join(lib, name);
    if (name.endsWith('.py') && statSync(from).isFile() && !name.startsWith('_sysconfigdata')) cpSync(from, join(dir, name));
  }
  for (const sub of STDLIB_DIRS) {
    if (existsSync(join(lib, sub))) {
      cpSync(join(lib, sub), join(dir, sub), { recursive: true, filter: (src) => !src.includes('__pycache__') });
    }
  }
  return dir;
}

/** The result as aligned lines for a terminal. */
export function formatEpisodeBench(r: EpisodeBenchResult): string {
  const lines = [
    `repo                ${r.repo} (${r.repoFiles} files)`,
    `docker run --rm     ${r.dockerRunPerSec} /s (median ${r.dockerRunMs} ms, ${r.dockerRuns} runs)`,
    ...r.dockerRunAt.map((d) => `docker run c=${d.concurrency}      ${d.perSec} /s (${r.dockerRuns} runs)`),
    ...r.oracle.map(
      (o) =>
        `oracle c=${o.concurrency}${o.reuse ? ' reused' : '       '}   ${o.episodesPerSec} episodes/s (${o.episodes} in ${o.seconds} s; episode ${o.episodeMs} ms, score ${o.scoreMs} ms; success ${o.successRate}, errors ${o.errors})`,
    ),
    `best / docker run   ${r.oracleOverDockerRun}x (concurrency ${r.bestConcurrency}${r.bestReuse ? ', containers reused' : ''})`,
  ];
  return `${lines.join('\n')}\n`;
}
