import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EnvNotFoundError, ValidationError } from '../errors.js';
import { parseOptions } from '../options.js';
import { createProvider, type SandboxKind } from '../sandbox/create-provider.js';
import { DockerProvider, DockerProviderOptionsSchema, type DockerProviderOptions } from '../sandbox/docker/docker-provider.js';
import { LocalProviderOptionsSchema, type LocalProviderOptions } from '../sandbox/local/local-provider.js';
import { SandboxPool, type SandboxPoolOptions } from '../sandbox/pool.js';
import { parseInstance, taskEnvId, type BaseInstance, type GenerateOptions, type TaskDefinition } from '../tasks/define-task.js';
import { acceptsImageContents, type DroppedTargets } from '../tasks/image-contents.js';
import { BUILTIN_TASKS } from '../tasks/builtin.js';
import { readInstances } from '../tasks/instances-io.js';
import { closest } from './closest.js';
import { MakeOptionsSchema, type MakeOptions, type ParsedMakeOptions } from './make-options.js';
import { explainNoInstances } from './no-instances.js';
import { dropCollector, episodeImageContents, withDropped, type EpisodeImage } from './image-check.js';
import { TaskEnv } from './task-env.js';
import { SandboxCodeRunner } from './code-runner.js';
import type { CodeRunner } from '../tasks/code-check.js';
import type { Env, RegisteredEnvs } from './types.js';
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
 * `OrderEnforcing(TimeLimit(env))`. For a task (a built-in id, an id declared in
 * {@link RegisteredEnvs}, or a task definition) the result is typed `Env<TaskEnv<I>>`, so
 * `env.unwrapped.currentInstance` has the task's instance type.
 *
 * Throws {@link EnvNotFoundError} for an unknown id, {@link ValidationError} for bad options (an
 * unknown key names the closest known one; a missing `repo` or `instances` path is named),
 * {@link NoInstancesError} when `repo` yields no instance (with the reasons), and
 * {@link SandboxError} when the sandbox provider cannot start. Whatever `make` started before
 * failing (the provider, its pool) is closed again.
 */
export function make<K extends keyof RegisteredEnvs>(id: K, options?: MakeOptions): Promise<Env<RegisteredEnvs[K]>>;
export function make<I extends BaseInstance>(task: TaskDefinition<I>, options?: MakeOptions): Promise<Env<TaskEnv<I>>>;
export function make(idOrTask: string | TaskDefinition<any>, options?: MakeOptions): Promise<Env>;
export async function make(idOrTask: string | TaskDefinition<any>, options: MakeOptions = {}): Promise<Env> {
  if (typeof idOrTask !== 'string') return makeTaskEnv(idOrTask, options, taskEnvId(idOrTask));
  const entry = registry.get(idOrTask);
  if (!entry) throw new EnvNotFoundError(idOrTask, closest(idOrTask, registeredEnvs()), registeredEnvs());
  return entry.factory(options);
}

async function makeTaskEnv<I extends BaseInstance>(task: TaskDefinition<I>, input: MakeOptions, id: string): Promise<Env<TaskEnv<I>>> {
  const what = `options of ${id}`;
  const o = parseOptions(MakeOptionsSchema, input, what);
  // Checked before any generation, which may take a while on a large repository.
  const sandboxOptions = o.pool ? {} : parseSandboxOptions(o.sandbox, o.sandboxOptions, what);
  // A generator that runs the repository's tests gets a runner on the provider the episodes use.
  const runnerForGenerate = !o.instances && o.repo !== undefined && task.generateInputs?.includes('runner') && o.generate.runner === undefined;
  let provider = o.pool?.provider;
  if (runnerForGenerate && !provider) provider = await createProvider(o.sandbox, sandboxOptions);
  let instances: I[];
  try {
    instances = await loadInstances(task, o, what, runnerForGenerate ? (o.checkRunner ?? new SandboxCodeRunner(provider!)) : undefined);
  } catch (err) {
    if (!o.pool) await provider?.close().catch(() => {});
    throw err;
  }
  const poolOptions: SandboxPoolOptions = { warm: o.warm };
  const pool = o.pool ?? new SandboxPool(provider ?? (await createProvider(o.sandbox, sandboxOptions)), poolOptions);
  try {
    const env = new TaskEnv(id, task, instances, pool, {
      tools: o.tools,
      ownsPool: o.pool === undefined,
      prepareNext: o.prepareNext,
      readLimits: o.readLimits,
      ...(o.checkRunner ? { checkRunner: o.checkRunner } : {}),
    });
    if (!o.pool && o.warm > 0) void pool.fill();
    // The wrappers' `unwrapped` is the TaskEnv they were given.
    return new OrderEnforcing(new TimeLimit(env, { maxSteps: o.maxSteps, maxMs: o.maxSeconds * 1000 })) as Env as Env<TaskEnv<I>>;
  } catch (err) {
    if (!o.pool) await closeQuietly(pool);
    throw err;
  }
}

/** The provider's own schema, strict, with paths under `sandboxOptions`. */
function parseSandboxOptions(kind: SandboxKind, options: Record<string, unknown>, what: string): DockerProviderOptions | LocalProviderOptions {
  const schema = kind === 'local' ? LocalProviderOptionsSchema : DockerProviderOptionsSchema;
  try {
    parseOptions(schema, options, what);
  } catch (err) {
    throw prefixed(err, 'sandboxOptions', what);
  }
  // The provider parses (and defaults) them itself; it gets them as given.
  return options as DockerProviderOptions | LocalProviderOptions;
}

async function loadInstances<I extends BaseInstance>(
  task: TaskDefinition<I>,
  o: ParsedMakeOptions,
  what: string,
  runner: CodeRunner | undefined,
): Promise<I[]> {
  const { instances, repo, generate } = o;
  if (typeof instances === 'string') {
    await requirePath(instances, 'file', 'instances', what);
    return readInstances(instances, task);
  }
  if (instances) return instances.map((v) => parseInstance(task, v));
  if (repo && task.generate) {
    await requirePath(repo, 'directory', 'repo', what);
    // `imageCheck: false` turns off dropping the targets whose answers the episodes' image holds.
    const { imageCheck = true, ...given } = generate;
    if (typeof imageCheck !== 'boolean' && imageCheck !== 'host') {
      throw new ValidationError(what, [{ path: 'generate.imageCheck', message: `expected true, false or 'host', received ${JSON.stringify(imageCheck)}` }]);
    }
    const options: Record<string, unknown> = { ...given, repo, ...(runner ? { runner } : {}) };
    const drops = dropCollector(typeof given.onDropped === 'function' ? (given.onDropped as (d: DroppedTargets) => void) : undefined);
    if (acceptsImageContents(task)) {
      options.onDropped = drops.onDropped;
      const where = episodeImage(o);
      // The local sandbox's "image" is the host, whose Python may hold tens of thousands of files
      // (minutes to list): checked only on request (`imageCheck: 'host'`), see docs/images.md.
      const check = imageCheck === 'host' || (imageCheck === true && where.sandbox === 'docker');
      if (check && given.imageContents === undefined && given.loadImageContents === undefined) {
        options.loadImageContents = () => episodeImageContents(imageCheck === 'host' ? { sandbox: 'local' } : where);
      }
    }
    let made: I[];
    try {
      made = await task.generate(options as GenerateOptions);
    } catch (err) {
      // The generator's own option check: name the key as the user wrote it, under `generate`.
      throw prefixed(err, 'generate', what);
    }
    if (made.length === 0) throw withDropped(await explainNoInstances(task.name, resolve(repo), generate), drops.dropped);
    return made;
  }
  throw new ValidationError(what, [
    {
      path: 'instances',
      message: task.generate ? 'give `instances` (array or .jsonl path) or `repo` to generate from' : 'give `instances` (array or .jsonl path)',
    },
  ]);
}

/** The image the episodes will use: the shared pool's, else the one `sandbox`/`sandboxOptions` name. */
function episodeImage(o: ParsedMakeOptions): EpisodeImage {
  const provider = o.pool?.provider;
  if (provider instanceof DockerProvider) return { sandbox: 'docker', image: provider.options.image, docker: provider.docker };
  if (provider) return { sandbox: provider.name === 'docker' ? 'docker' : 'local' };
  const image = o.sandboxOptions.image;
  const docker = o.sandboxOptions.docker as EpisodeImage['docker'];
  return { sandbox: o.sandbox, image: typeof image === 'string' ? image : undefined, docker };
}

/** A ValidationError with each path under `prefix`; other errors unchanged. */
function prefixed(err: unknown, prefix: string, what: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(
    what,
    err.issues.map((i) => ({ ...i, path: i.path && i.path !== 'repo' ? `${prefix}.${i.path}` : i.path || prefix })),
  );
}

async function requirePath(path: string, kind: 'file' | 'directory', option: string, what: string): Promise<void> {
  const found = await stat(path).catch(() => null);
  const ok = found && (kind === 'file' ? found.isFile() : found.isDirectory());
  if (!ok) {
    const problem = found ? `is not a ${kind}` : `no such ${kind}`;
    throw new ValidationError(what, [{ path: option, message: `${problem}: ${path} (resolved: ${resolve(path)})` }]);
  }
}

async function closeQuietly(pool: SandboxPool): Promise<void> {
  await pool.close().catch(() => {});
  await pool.provider.close().catch(() => {});
}
