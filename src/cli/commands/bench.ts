import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchEpisodes, formatEpisodeBench, stdlibBenchRepo } from '../../bench/episode-bench.js';
import { benchReset } from '../../bench/reset-bench.js';
import { benchSandbox } from '../../bench/sandbox-bench.js';
import { benchServeStep } from '../../bench/serve-bench.js';
import { SandboxPool } from '../../sandbox/pool.js';
import { DockerProvider } from '../../sandbox/docker/docker-provider.js';
import { closeOnExit } from '../lifecycle.js';
import { existingDir, wholeNumber } from '../args.js';
import { makeProgress } from '../progress.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('step and reset latencies, or episodes per second (--episodes), measured side by side in one run')
    .option('--json', 'print one JSON object on stdout', false)
    .option('--steps <n>', 'samples per command latency (whole number >= 1)', wholeNumber(1), 200)
    .option('--starts <n>', 'samples per sandbox start and per env reset (whole number >= 1)', wholeNumber(1), 8)
    .option('--repo <dir>', 'Python repository for the reset benchmark (and --episodes)', existingDir, defaultBenchRepo())
    .option(
      '--episodes <n>',
      'instead: oracle func-localize episodes per second at each --concurrency, beside `docker run --rm IMAGE true` (on --repo, else ~300 standard library files)',
      wholeNumber(1),
    )
    .option('--concurrency <list>', 'concurrencies of --episodes, comma-separated', concurrencyList, [1, 2, 4])
    .addOption(new Option('--reuse <list>', 'sandbox modes of --episodes, comma-separated: fresh (a container per episode), reused (the provider\'s reuse)').argParser(modeList).default([false, true], 'fresh,reused'))
    .option('--docker-runs <n>', '`docker run --rm IMAGE true` of --episodes: this many in sequence, then this many at each --concurrency over 1', wholeNumber(1), 20)
    .action(async (opts: { json: boolean; steps: number; starts: number; repo: string; episodes?: number; concurrency: number[]; reuse: boolean[]; dockerRuns: number }, cmd: Command) => {
      const progress = makeProgress();
      if (opts.episodes !== undefined) {
        const repo = cmd.getOptionValueSource('repo') === 'default' ? stdlibBenchRepo() : resolve(opts.repo);
        const r = await benchEpisodes({ repo, episodes: opts.episodes, concurrencies: opts.concurrency, reuse: opts.reuse, dockerRuns: opts.dockerRuns, onProgress: progress });
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : formatEpisodeBench(r));
        return;
      }
      const provider = await DockerProvider.start();
      const unregister = closeOnExit(() => provider.close());
      try {
        const r = await benchSandbox(provider, { steps: opts.steps, starts: opts.starts, onProgress: progress });
        const reset = await benchReset(provider, resolve(opts.repo), opts.starts, progress);
        progress(`bench: ${opts.steps} bash steps over WebSocket (serve) and through env.step, in turns`);
        const pool = new SandboxPool(provider, { warm: 0 });
        const served = await benchServeStep(pool, opts.steps).finally(() => pool.close());
        const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
        const result = {
          ...r,
          ...reset,
          ...served,
          execOverShell: ratio(r.dockerExecMs, r.shellStepMs),
          coldOverWarm: ratio(r.coldStartMs, r.warmAcquireMs),
          coldResetOverWarmReset: ratio(reset.coldResetMs, reset.warmResetMs),
          coldResetOverMissReset: ratio(reset.coldResetMs, reset.missResetMs),
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(16)} ${v}\n`);
      } finally {
        unregister();
        await provider.close();
      }
    });
}

function concurrencyList(value: string): number[] {
  const each = wholeNumber(1);
  return value.split(',').map((v) => each(v));
}

function modeList(value: string): boolean[] {
  return value.split(',').map((v) => {
    if (v === 'fresh' || v === 'reused') return v === 'reused';
    throw new InvalidArgumentError(`"${v}" is not a sandbox mode: fresh or reused`);
  });
}

/** Real Python code that a fresh Debian machine has: the system interpreter's standard library. */
function defaultBenchRepo(): string {
  return ['/usr/lib/python3.11', '/usr/lib/python3'].find((d) => existsSync(d)) ?? '.';
}
