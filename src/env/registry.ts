import { EnvNotFoundError, ValidationError } from '../errors.js';
import { parseOptions } from '../options.js';
import { createProvider } from '../sandbox/create-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import { parseInstance, taskEnvId, type BaseInstance, type TaskDefinition } from '../tasks/define-task.js';
import { BUILTIN_TASKS } from '../tasks/builtin.js';
import { readInstances } from '../tasks/instances-io.js';
import { closest } from './closest.js';
import { MakeOptionsSchema, type MakeOptions } from './make-options.js';
import { TaskEnv } from './task-env.js';
import type { Env } from './types.js';
import { OrderEnforcing, TimeLimit } from './wrappers.js';

/** Makes one env from validated options. */
export type EnvFactory = (options: MakeOptions) => Promise<Env>;

interface Entry {
  id: string;
  factory: EnvFactory;
  task?: TaskDefinition<BaseInstance>;
}

const registry = new Map<string, Entry>();

// The built-in tasks come in through the same door as users' tasks.
for (const task of BUILTIN_TASKS) register(task);

/**
 * Register a task type (its env id is `hybrid-gym/<name>-v<version>`, or `<namespace>/...`) or a
 * factory under an id of your choosing. Registering an id twice replaces the first.
 */
export function register(task: TaskDefinition<any>): string;
export function register(id: string, factory: EnvFactory): string;
export function register(taskOrId: TaskDefinition<any> | string, factory?: EnvFactory): string {
  if (typeof taskOrId === 'string') {
    if (!factory) throw new ValidationError('register()', [{ path: 'factory', message: 'expected a function' }]);
    registry.set(taskOrId, { id: taskOrId, factory });
    return taskOrId;
  }
  const task = taskOrId as TaskDefinition<BaseInstance>;
  const id = taskEnvId(task);
  registry.set(id, { id, task, factory: (options) => makeTaskEnv(task, options, id) });
  return id;
}

/** The newest registered task type with this name (the `task` field of its instances). */
export function taskByName(name: string): TaskDefinition<BaseInstance> | undefined {
  let best: TaskDefinition<BaseInstance> | undefined;
  for (const e of registry.values()) {
    if (e.task?.name === name && (!best || e.task.version > best.version)) best = e.task;
  }
  return best;
}

/** Ids of every registered env, sorted. */
export function registeredEnvs(): string[] {
  return [...registry.keys()].sort();
}

/** The task type behind a registered id, if it is task-backed. */
export function registeredTask(id: string): TaskDefinition<BaseInstance> | undefined {
  return registry.get(id)?.task;
}

/**
 * Make an env by id (or straight from a task definition), wrapped like Gymnasium's `make`:
 * `OrderEnforcing(TimeLimit(env))`.
 */
export async function make(idOrTask: string | TaskDefinition<any>, options: MakeOptions = {}): Promise<Env> {
  if (typeof idOrTask !== 'string') return makeTaskEnv(idOrTask, options, taskEnvId(idOrTask));
  const entry = registry.get(idOrTask);
  if (!entry) throw new EnvNotFoundError(idOrTask, closest(idOrTask, registeredEnvs()), registeredEnvs());
  return entry.factory(options);
}

async function makeTaskEnv<I extends BaseInstance>(task: TaskDefinition<I>, input: MakeOptions, id: string): Promise<Env> {
  const o = parseOptions(MakeOptionsSchema, input, `options of ${id}`);
  const instances = await loadInstances(task, o.instances, o.repo, o.generate, id);
  const pool =
    o.pool ?? new SandboxPool(await createProvider(o.sandbox, o.sandboxOptions as Record<string, never>), { warm: o.warm, keepWorkdir: true });
  const env = new TaskEnv(id, task, instances, pool, { tools: o.tools, ownsPool: o.pool === undefined });
  if (!o.pool && o.warm > 0) void pool.fill();
  return new OrderEnforcing(new TimeLimit(env, { maxSteps: o.maxSteps, maxMs: o.maxSeconds * 1000 }));
}

async function loadInstances<I extends BaseInstance>(
  task: TaskDefinition<I>,
  instances: string | unknown[] | undefined,
  repo: string | undefined,
  generate: Record<string, unknown>,
  id: string,
): Promise<I[]> {
  if (typeof instances === 'string') return readInstances(instances, task);
  if (instances) return instances.map((v) => parseInstance(task, v));
  if (repo && task.generate) return task.generate({ ...generate, repo });
  throw new ValidationError(`options of ${id}`, [
    {
      path: 'instances',
      message: task.generate ? 'give `instances` (array or .jsonl path) or `repo` to generate from' : 'give `instances` (array or .jsonl path)',
    },
  ]);
}
