import { make } from '../env/registry.js';
import type { DockerProvider } from '../sandbox/docker/docker-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import { funcLocalizeTask } from '../tasks/func-localize/index.js';
import { loadRepoFiles } from '../workspace/files.js';
import { median, round3 } from './stats.js';

export interface ResetBenchResult {
  /** Median ms of env.reset to the next instance on a warm sandbox that holds an earlier workspace. */
  warmResetMs: number;
  /** Median ms of env.reset that has to start a new container and install the whole workspace. */
  coldResetMs: number;
  /** Files in the benchmarked repository's workspace. */
  resetRepoFiles: number;
}

/** func-localize resets on a real repository: warm (incremental install) against cold (new container). */
export async function benchReset(
  provider: DockerProvider,
  repo: string,
  samples: number,
  say: (line: string) => void,
): Promise<ResetBenchResult> {
  const files = await loadRepoFiles(repo);
  say(`bench: func-localize instances from ${repo} (${files.size} files)`);
  const instances = await funcLocalizeTask.generate!({ repo, n: samples + 2, seed: 0 });
  if (instances.length < 2) throw new Error(`${repo} yields ${instances.length} func-localize instances; the reset bench needs 2 or more`);

  say(`bench: ${samples} warm resets`);
  const pool = new SandboxPool(provider, { warm: 1, keepWorkdir: true });
  const warm: number[] = [];
  const env = await make(funcLocalizeTask, { instances, pool });
  try {
    await pool.fill();
    // Two rounds untimed: both pool sandboxes then hold a workspace of this repository.
    for (let i = 0; i < samples + 2; i++) {
      const t = performance.now();
      await env.reset({ options: { instanceId: instances[i % instances.length]!.id } });
      if (i >= 2) warm.push(performance.now() - t);
      // An episode takes seconds; the previous sandbox's recycling finishes meanwhile.
      while (pool.stats.pending > 0) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await env.close();
    await pool.close();
  }

  say(`bench: ${samples} cold resets`);
  const cold: number[] = [];
  for (let i = 0; i < samples; i++) {
    const coldPool = new SandboxPool(provider, { warm: 0 });
    const coldEnv = await make(funcLocalizeTask, { instances, pool: coldPool });
    try {
      const t = performance.now();
      await coldEnv.reset({ options: { instanceId: instances[i % instances.length]!.id } });
      cold.push(performance.now() - t);
    } finally {
      await coldEnv.close();
      await coldPool.close();
    }
  }
  return { warmResetMs: round3(median(warm)), coldResetMs: round3(median(cold)), resetRepoFiles: files.size };
}
