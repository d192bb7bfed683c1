import { make } from '../env/registry.js';
import type { TaskEnv } from '../env/task-env.js';
import type { DockerProvider } from '../sandbox/docker/docker-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import { funcLocalizeTask, type FuncLocalizeInstance } from '../tasks/func-localize/index.js';
import { loadRepoFiles } from '../workspace/files.js';
import { median, round3 } from './stats.js';

export interface ResetBenchResult {
  /** Median ms of env.reset when the env prepared the episode's sandbox ahead (a hand-over). */
  warmResetMs: number;
  /** Median ms of env.reset when the prepared sandbox holds another instance (its workspace is updated in place). */
  missResetMs: number;
  /** Median ms of env.reset that has to start a new container and install the whole workspace. */
  coldResetMs: number;
  /** Files in the benchmarked repository's workspace. */
  resetRepoFiles: number;
}

/**
 * func-localize resets on a real repository, every episode in a fresh container: prepared ahead
 * (seeded resets, whose next instance the env knows), prepared for another instance, and cold.
 */
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

  say(`bench: ${samples} resets prepared ahead, ${samples} prepared for another instance`);
  const warm: number[] = [];
  const miss: number[] = [];
  const pool = new SandboxPool(provider, { warm: 0 });
  const env = await make(funcLocalizeTask, { instances, pool });
  const task = env.unwrapped as TaskEnv<FuncLocalizeInstance>;
  try {
    await env.reset({ seed: 0 });
    for (let i = 0; i < samples; i++) {
      // An episode takes seconds: the next sandbox is ready by the time it ends.
      await task.nextPrepared();
      let t = performance.now();
      await env.reset();
      warm.push(performance.now() - t);
      await task.nextPrepared();
      // An instance the env did not expect: the prepared sandbox gets this workspace instead.
      const other = instances.find((x) => x.id !== task.currentInstance?.id && x.id !== task.preparedFor)!;
      t = performance.now();
      await env.reset({ options: { instanceId: other.id } });
      miss.push(performance.now() - t);
    }
  } finally {
    await env.close();
    await pool.close();
  }

  say(`bench: ${samples} cold resets`);
  const cold: number[] = [];
  for (let i = 0; i < samples; i++) {
    const coldPool = new SandboxPool(provider, { warm: 0 });
    const coldEnv = await make(funcLocalizeTask, { instances, pool: coldPool, prepareNext: false });
    try {
      const t = performance.now();
      await coldEnv.reset({ options: { instanceId: instances[i % instances.length]!.id } });
      cold.push(performance.now() - t);
    } finally {
      await coldEnv.close();
      await coldPool.close();
    }
  }
  return {
    warmResetMs: round3(median(warm)),
    missResetMs: round3(median(miss)),
    coldResetMs: round3(median(cold)),
    resetRepoFiles: files.size,
  };
}

