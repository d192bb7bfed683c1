import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { Action } from '../tools/types.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import type { CodeRunner, RunCheck } from './code-check.js';
import { isProtectedForChecks } from './protected-files.js';

/** What every instance of every task has. */
export const BaseInstanceSchema = z.object({
  /** Stable: same repo, same seed, same options, same id. */
  id: z.string().min(1),
  task: z.string().min(1),
  repo: z.object({ path: z.string(), name: z.string() }),
  seed: z.number().int(),
  /** The sandbox image of its episodes and code checks, when not the env's default. */
  image: z.string().min(1).optional(),
});
export type BaseInstance = z.infer<typeof BaseInstanceSchema>;

/** A verifier's verdict. `details` says why, in terms a person can check. */
export interface VerifyResult {
  reward: number;
  success: boolean;
  details: Record<string, unknown>;
}

/** What the agent-facing parts of a task know about where the episode runs. */
export interface TaskContext {
  /** Absolute path of the workspace in the sandbox (for example /workspace). */
  workdir: string;
}

/**
 * What a verifier gets besides the files. `run` runs a code check (see {@link CodeCheck}) in a
 * verification sandbox holding the files being judged, with the task's protected files restored
 * from the host's pristine copy. Episodes, `verifyFiles` and `hybrid-gym verify` always pass it (a
 * sandbox starts only when a check runs); a unit test may pass a fake.
 */
export interface VerifyContext extends TaskContext {
  run: RunCheck;
}

/** Options of a generator: the repository and the seed, plus the task's own. */
export interface GenerateOptions {
  repo: string;
  seed?: number;
  n?: number;
  /** Runs code (a repository's tests) in fresh sandboxes, for generators that need to. */
  runner?: CodeRunner;
  [key: string]: unknown;
}

/** A task type: how instances are made, shown, checked and solved. */
export interface TaskDefinition<I extends BaseInstance = BaseInstance> {
  /** Kebab-case name, e.g. `func-localize`; env ids are `hybrid-gym/<name>-v<version>` unless `namespace` says otherwise. */
  name: string;
  version: number;
  /** Env id namespace. @default 'hybrid-gym' */
  namespace?: string;
  description?: string;
  /** Validates instances read from files or given by users. */
  instanceSchema: z.ZodType<I>;
  /** Make instances from a repository (seeded, deterministic). Optional for tasks whose instances come from elsewhere. */
  generate?: (options: GenerateOptions) => Promise<I[]>;
  /**
   * What `make()` and `hybrid-gym generate` give `generate` besides the user's options (generators'
   * option schemas are strict, so each says what it takes): `'imageContents'` — what the episodes'
   * image holds (`loadImageContents`, `onDropped`: see ImageCheckOptions), so targets whose answer
   * it holds are dropped; `'runner'` — a CodeRunner on the env's sandbox provider, to run the
   * repository's tests; `'progress'` — `onProgress(line)`, told what a long generation is doing
   * (the CLI prints it on stderr). @default []
   */
  generateInputs?: ReadonlyArray<'imageContents' | 'runner' | 'progress'>;
  /** The files the agent starts from: the repository with the answer removed. Never the answer. */
  workspace: (instance: I) => Promise<WorkspaceFiles>;
  /** The task prompt: the first observation (it may be computed asynchronously, from the repository's files say). */
  prompt: (instance: I, ctx: TaskContext) => string | Promise<string>;
  /**
   * The verdict on the final files: file checks (pure, the same in an episode, the CLI and a unit
   * test) and, through `ctx.run`, code checks in a verification sandbox.
   */
  verify: (instance: I, final: WorkspaceFiles, ctx: VerifyContext) => VerifyResult | Promise<VerifyResult>;
  /**
   * Files a code check takes from the host's pristine copy (the instance's starting workspace),
   * whatever the agent did to them: an agent-made file that matches is left out.
   * @default isProtectedForChecks (tests, conftest.py, test configuration, sitecustomize, .pth files)
   */
  protectedFiles?: (path: string, instance: I) => boolean;
  /** Actions that solve the instance through the tools, like any agent would. */
  oracle: (instance: I, ctx: TaskContext) => Action[] | Promise<Action[]>;
}

/** The id under which a task's environment is registered. */
export function taskEnvId(task: Pick<TaskDefinition, 'name' | 'version' | 'namespace'>): string {
  return `${task.namespace ?? 'hybrid-gym'}/${task.name}-v${task.version}`;
}

/**
 * Declare a task type. The built-in tasks are declared the same way; `register(task)` or
 * `make(task, ...)` turns one into environments.
 */
export function defineTask<I extends BaseInstance>(definition: TaskDefinition<I>): TaskDefinition<I> {
  const problems: Array<{ path: string; message: string }> = [];
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
    problems.push({ path: 'name', message: `expected kebab-case like "my-task", received "${definition.name}"` });
  }
  if (!Number.isInteger(definition.version) || definition.version < 0) {
    problems.push({ path: 'version', message: `expected a non-negative integer, received ${definition.version}` });
  }
  for (const fn of ['workspace', 'prompt', 'verify', 'oracle'] as const) {
    if (typeof definition[fn] !== 'function') problems.push({ path: fn, message: 'expected a function' });
  }
  if (problems.length > 0) throw new ValidationError(`task definition "${definition.name}"`, problems);
  return Object.freeze({ ...definition });
}

/** Parse an instance with the task's schema; the error names the instance and each bad field. */
export function parseInstance<I extends BaseInstance>(task: TaskDefinition<I>, value: unknown): I {
  const r = task.instanceSchema.safeParse(value);
  if (r.success) return r.data;
  const id = (value as { id?: unknown } | null)?.id;
  throw new ValidationError(
    `${task.name} instance${typeof id === 'string' ? ` "${id}"` : ''}`,
    r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  );
}
