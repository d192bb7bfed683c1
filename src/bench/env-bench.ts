import { make } from '../env/registry.js';
import { BaseInstanceSchema, defineTask } from '../tasks/define-task.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { median, round3, sample } from './stats.js';

// The smallest task there is: the bench measures the env's own overhead, not a task's.
export const benchTask = defineTask({
  name: 'bench',
  version: 0,
  namespace: 'internal',
  instanceSchema: BaseInstanceSchema,
  workspace: async () => new Map([['README.md', Buffer.from('bench\n')]]),
  prompt: () => 'bench',
  verify: () => ({ reward: 0, success: false, details: {} }),
  oracle: () => [],
});

/** The instance the benches run. */
export const BENCH_INSTANCES = [{ id: 'bench-0', task: 'bench', repo: { path: '.', name: 'bench' }, seed: 0 }];

/** Median ms of `env.step` with a trivial bash command, on a sandbox from `pool`. */
export async function benchEnvStep(pool: SandboxPool, steps: number): Promise<{ envStepMs: number }> {
  const env = await make(benchTask, {
    instances: BENCH_INSTANCES,
    pool,
    maxSteps: steps + 100,
  });
  try {
    await env.reset({ seed: 0 });
    const times = await sample(steps, () => env.step({ tool: 'bash', input: { command: 'true' } }), 5);
    return { envStepMs: round3(median(times)) };
  } finally {
    await env.close();
  }
}

