import { dockerExec } from '../sandbox/docker/docker-exec.js';
import type { DockerProvider } from '../sandbox/docker/docker-provider.js';
import type { DockerSandbox } from '../sandbox/docker/docker-sandbox.js';
import { SandboxPool } from '../sandbox/pool.js';
import { benchEnvStep } from './env-bench.js';
import { median, round3, sample } from './stats.js';

export interface SandboxBenchResult {
  /** Median ms of `true` through the persistent shell. */
  shellStepMs: number;
  /** Median ms of `true` through a fresh `docker exec` on the same container. */
  dockerExecMs: number;
  /** Median ms to get a ready sandbox from a warm pool. */
  warmAcquireMs: number;
  /** Median ms to create and start a sandbox (container, shell) from nothing. */
  coldStartMs: number;
  /** Median ms of `env.step` with a trivial bash command (the env's overhead over the shell). */
  envStepMs: number;
}

export interface SandboxBenchOptions {
  /** Samples of each command latency. @default 200 */
  steps?: number;
  /** Samples of sandbox starts. @default 8 */
  starts?: number;
  onProgress?: (line: string) => void;
}

/** Step and start latencies of Docker sandboxes, measured side by side in one run. */
export async function benchSandbox(provider: DockerProvider, options: SandboxBenchOptions = {}): Promise<SandboxBenchResult> {
  const steps = options.steps ?? 200;
  const starts = options.starts ?? 8;
  const say = options.onProgress ?? (() => {});

  const sandbox = (await provider.create()) as DockerSandbox;
  let shell: number[];
  let exec: number[];
  try {
    say(`bench: ${steps} trivial commands through the persistent shell`);
    shell = await sample(steps, () => sandbox.exec('true'));
    const execRuns = Math.max(10, Math.floor(steps / 10));
    say(`bench: ${execRuns} trivial commands through a fresh docker exec (same container)`);
    exec = await sample(execRuns, () => dockerExec(sandbox.container, ['true'], { timeoutMs: 0 }));
  } finally {
    await sandbox.close();
  }

  say(`bench: ${starts} cold starts (create + start + shell)`);
  const cold: number[] = [];
  for (let i = 0; i < starts; i++) {
    const t = performance.now();
    const s = await provider.create();
    cold.push(performance.now() - t);
    await s.close();
  }

  say(`bench: ${starts} acquisitions from a warm pool`);
  const pool = new SandboxPool(provider, { warm: 1 });
  const warm: number[] = [];
  try {
    await pool.fill();
    for (let i = 0; i < starts; i++) {
      const t = performance.now();
      const s = await pool.acquire();
      warm.push(performance.now() - t);
      await s.exec('echo used > /workspace/f');
      await pool.release(s);
      await pool.fill();
    }
  } finally {
    await pool.close();
  }

  say(`bench: ${steps} env.step calls with a trivial bash command`);
  const envPool = new SandboxPool(provider, { warm: 0 });
  let envStepMs: number;
  try {
    ({ envStepMs } = await benchEnvStep(envPool, steps));
  } finally {
    await envPool.close();
  }

  return {
    shellStepMs: round3(median(shell)),
    dockerExecMs: round3(median(exec)),
    warmAcquireMs: round3(median(warm)),
    coldStartMs: round3(median(cold)),
    envStepMs,
  };
}
