import { z } from 'zod';
import { parseOptions } from '../options.js';
import createDebug from 'debug';
import type { Agent } from '../agents/agent.js';
import { make } from '../env/registry.js';
import type { TaskEnv } from '../env/task-env.js';
import type { Env } from '../env/types.js';
import { createProvider, type SandboxKind } from '../sandbox/create-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';
import { runEpisode, type Episode } from './run-episode.js';

const log = createDebug('hybrid-gym:rollout');

export interface RolloutOptions<I extends BaseInstance> {
  task: TaskDefinition<I>;
  instances: readonly I[];
  /** Makes the agent for each env (agents may keep per-episode state); may be async. */
  agent: (env: Env) => Agent | Promise<Agent>;
  /** Episodes run at once, each in its own sandbox. @default 1 */
  concurrency?: number;
  /** @default 'docker' */
  sandbox?: SandboxKind;
  sandboxOptions?: Record<string, unknown>;
  maxSteps?: number;
  maxSeconds?: number;
  /**
   * Prepare each env's next episode while one runs (a reset is then a hand-over), with one more
   * container started ahead per env: at most 3 x concurrency containers. With `false`, at most `concurrency`, and each reset starts one. @default true
   */
  prepareNext?: boolean;
  /** Called as each episode ends (in completion order). */
  onEpisode?: (episode: EpisodeRecord, done: number, total: number) => void;
  signal?: AbortSignal;
}

/** An episode, or the reason it could not run. */
export type EpisodeRecord = Episode | { instanceId: string; error: { code: string; message: string } };

export interface RolloutSummary {
  episodes: number;
  /** Mean reward over the episodes that ran to a verdict (infrastructure failures excluded). */
  meanReward: number;
  successRate: number;
  /** Episodes that ended on an infrastructure failure or could not start. */
  errors: number;
  /** Of the scored episodes, those the agent could not finish giving actions for (its model did not answer, its code threw). */
  agentErrors: number;
}

export function isFailed(r: EpisodeRecord): r is { instanceId: string; error: { code: string; message: string } } {
  return 'error' in r;
}

// Checks what a caller can get wrong; functions and objects are taken as they are.
const RolloutOptionsSchema = z.object({
  task: z.custom<object>((v) => typeof v === 'object' && v !== null, 'expected a task definition'),
  instances: z.array(z.unknown()).min(1, 'expected at least one instance'),
  agent: z.custom<(env: Env) => Agent | Promise<Agent>>((v) => typeof v === 'function', 'expected a function that makes an agent per env'),
  concurrency: z.number().int().min(1).optional(),
  sandbox: z.enum(['docker', 'local']).optional(),
  sandboxOptions: z.record(z.string(), z.unknown()).optional(),
  maxSteps: z.number().int().positive().optional(),
  maxSeconds: z.number().positive().optional(),
  prepareNext: z.boolean().optional(),
  onEpisode: z.custom<() => void>((v) => typeof v === 'function', 'expected a function').optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
});

/** Run every instance of the list (once per time it is listed) with `concurrency` envs sharing one warm pool; results in input order. */
export async function rollout<I extends BaseInstance>(
  options: RolloutOptions<I>,
): Promise<{ episodes: EpisodeRecord[]; summary: RolloutSummary }> {
  parseOptions(RolloutOptionsSchema, options, 'rollout options');
  const concurrency = Math.min(options.concurrency ?? 1, options.instances.length);
  const provider = await createProvider(options.sandbox ?? 'docker', (options.sandboxOptions ?? {}) as never);
  // Every episode gets a fresh sandbox; each env prepares its next one (started, its workspace
  // installed) while an episode runs, and the pool keeps one more started per env, so that a
  // container start never waits for the install before it: 3 x concurrency containers at most
  // (concurrency with prepareNext off, where each reset starts its own).
  const pool = new SandboxPool(provider, { warm: options.prepareNext === false ? 0 : concurrency });
  const results: EpisodeRecord[] = new Array(options.instances.length);
  let next = 0;
  let done = 0;
  try {
    const claim = (): number | undefined => (next < options.instances.length && !options.signal?.aborted ? next++ : undefined);
    const worker = async (): Promise<void> => {
      const env = await make(options.task, {
        // An instance may be scheduled more than once (episodes per instance): the env holds it once.
        instances: [...new Map(options.instances.map((i) => [i.id, i])).values()],
        pool,
        maxSteps: options.maxSteps,
        maxSeconds: options.maxSeconds,
        prepareNext: options.prepareNext ?? true,
      });
      const task = env.unwrapped as unknown as TaskEnv<I>;
      try {
        const agent = await options.agent(env);
        // Each worker claims its next instance as an episode starts, so that its sandbox is
        // prepared while the episode runs and the next reset is a hand-over.
        let index = claim();
        if (index !== undefined && options.prepareNext !== false) task.prepareNext(options.instances[index]!.id);
        while (index !== undefined) {
          const instance = options.instances[index]!;
          const upcoming = claim();
          // Once this episode's reset has taken its sandbox, the next one is prepared for `upcoming`.
          const prepareUpcoming = (): void => {
            if (upcoming !== undefined && options.prepareNext !== false) task.prepareNext(options.instances[upcoming]!.id);
          };
          env.once('reset', prepareUpcoming);
          let record: EpisodeRecord;
          try {
            record = await runEpisode(env, agent, { options: { instanceId: instance.id } });
          } catch (err) {
            log('episode %s failed: %O', instance.id, err);
            const e = err as Error & { code?: string };
            record = { instanceId: instance.id, error: { code: e.code ?? e.name, message: e.message } };
          } finally {
            env.off('reset', prepareUpcoming);
          }
          results[index] = record;
          options.onEpisode?.(record, ++done, options.instances.length);
          index = options.signal?.aborted ? undefined : upcoming;
        }
      } finally {
        await env.close();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
    await provider.close();
  }
  const ran = results.filter((r) => r !== undefined);
  return { episodes: ran, summary: summarize(ran) };
}

export function summarize(records: readonly EpisodeRecord[]): RolloutSummary {
  const scored = records.filter((r): r is Episode => !isFailed(r) && !r.info.infraError);
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    episodes: records.length,
    meanReward: mean(scored.map((e) => e.reward)),
    successRate: mean(scored.map((e) => (e.success ? 1 : 0))),
    errors: records.length - scored.length,
    agentErrors: scored.filter((e) => e.info.agentError !== undefined).length,
  };
}
