import { make, registeredTask } from '../env/registry.js';
import { TaskEnv } from '../env/task-env.js';
import type { MakeOptions } from '../env/make-options.js';
import type { Env } from '../env/types.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';

/** How every session of a server makes its env. */
export interface SessionEnvs {
  envId: string;
  task: TaskDefinition<BaseInstance> | undefined;
  /** Instances the sessions draw from; undefined for an env that is not task-backed. */
  instances: number | undefined;
  /** Their ids, in order. */
  instanceIds: readonly string[] | undefined;
  make: () => Promise<Env>;
}

/**
 * One env made now checks the options and loads (or generates) the instances, once for all the
 * sessions: each session's env then gets the instances themselves, so no session generates again.
 * Every env takes its sandboxes from `pool`.
 */
export async function sessionEnvs(which: string | TaskDefinition<any>, options: Omit<MakeOptions, 'pool'>, pool: SandboxPool): Promise<SessionEnvs> {
  const first = await make(which, { ...options, pool, prepareNext: false });
  const inner = first.unwrapped;
  await first.close();
  if (inner instanceof TaskEnv) {
    const { repo: _repo, generate: _generate, ...kept } = options;
    const envOptions: MakeOptions = { ...kept, instances: [...inner.instances], pool };
    const ids = inner.instances.map((i) => i.id);
    return { envId: first.id, task: inner.task as TaskDefinition<BaseInstance>, instances: ids.length, instanceIds: ids, make: () => make(which, envOptions) };
  }
  const task = typeof which === 'string' ? registeredTask(which) : which;
  return { envId: first.id, task, instances: undefined, instanceIds: undefined, make: () => make(which, { ...options, pool }) };
}
