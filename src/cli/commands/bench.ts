import type { Command } from 'commander';
import { benchSandbox } from '../../bench/sandbox-bench.js';
import { DockerProvider } from '../../sandbox/docker/docker-provider.js';
import { closeOnExit } from '../lifecycle.js';
import { makeProgress } from '../progress.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('step and reset latencies, measured side by side in one run')
    .option('--json', 'print one JSON object on stdout', false)
    .option('--steps <n>', 'samples per command latency', (v) => Number.parseInt(v, 10), 200)
    .option('--starts <n>', 'samples per sandbox start', (v) => Number.parseInt(v, 10), 8)
    .action(async (opts: { json: boolean; steps: number; starts: number }) => {
      const progress = makeProgress();
      const provider = await DockerProvider.start();
      const unregister = closeOnExit(() => provider.close());
      try {
        const r = await benchSandbox(provider, { steps: opts.steps, starts: opts.starts, onProgress: progress });
        const result = {
          ...r,
          execOverShell: Math.round((r.dockerExecMs / r.shellStepMs) * 10) / 10,
          coldOverWarm: Math.round((r.coldStartMs / r.warmAcquireMs) * 10) / 10,
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(16)} ${v}\n`);
      } finally {
        unregister();
        await provider.close();
      }
    });
}
