import type { EventEmitter } from 'eventemitter3';
import type { VerifyResult } from '../tasks/define-task.js';
import type { DepSearchInstance } from '../tasks/dep-search/schema.js';
import type { FuncGenInstance } from '../tasks/func-gen/schema.js';
import type { IssueLocalizeInstance } from '../tasks/issue-localize/schema.js';
import type { FuncLocalizeInstance } from '../tasks/func-localize/schema.js';
import type { Action, Observation } from '../tools/types.js';
import type { TaskEnv } from './task-env.js';

export interface ResetOptions {
  /** Seeds the env's instance choice; same seed, same instance, same prompt, same files. */
  seed?: number;
  options?: {
    /** Pick this instance instead of a random one. */
    instanceId?: string;
  };
}

export interface ResetInfo {
  envId: string;
  instanceId: string;
  /** Where the workspace is in the sandbox. */
  workdir: string;
  [key: string]: unknown;
}

/**
 * Why an episode was truncated: a step or time budget ran out; the infrastructure failed (the
 * container is gone or the engine does not answer); or the agent left its sandbox unable to run
 * commands ('sandbox': the container runs but no shell can start in it); or the agent could not give
 * an action ('agent': its model did not answer, or its code threw): the agent's doing, scored.
 */
export type Truncation = 'steps' | 'time' | 'infra' | 'sandbox' | 'agent';

export interface StepInfo {
  instanceId: string;
  /** Steps taken in this episode, this one included. */
  step: number;
  elapsedMs: number;
  /** Why the episode was truncated. */
  truncation?: Truncation;
  /** Set when the episode ended because of the infrastructure (engine gone, container died). */
  infraError?: { code: string; message: string };
  /** Set by `runEpisode` when the agent could not give an action (truncation 'agent'): why. */
  agentError?: { code: string; message: string; kind?: string; status?: number };
  /** The verifier's verdict when the episode ended. */
  verify?: VerifyResult;
  /** Time spent scoring the episode: reading the final files and verifying. */
  scoreMs?: number;
  /** Of that, the verifier's own time (its code checks included). */
  verifyMs?: number;
  /** The agent's `finish` message. */
  finishMessage?: string;
  [key: string]: unknown;
}

export interface StepResult {
  observation: Observation;
  reward: number;
  /** The agent called `finish`; the reward is the verifier's. */
  terminated: boolean;
  /** A budget ran out or the infrastructure failed; the verifier still scored the final state when it could. */
  truncated: boolean;
  info: StepInfo;
}

/** Typed events of an env (eventemitter3). */
export interface EnvEvents {
  reset: (e: { instanceId: string; info: ResetInfo }) => void;
  step: (e: { action: Action; result: StepResult }) => void;
  exec: (e: { command: string; exitCode: number | undefined; durationMs: number }) => void;
  episodeEnd: (e: { instanceId: string; reward: number; steps: number; terminated: boolean; truncated: boolean; info: StepInfo }) => void;
  error: (e: { error: Error; phase: 'reset' | 'step' | 'close' }) => void;
}

/**
 * The environment API: Gymnasium's, with objects and promises.
 *
 * `Inner` is the type of {@link Env.unwrapped}, the env under all wrappers. `make()` of a task
 * returns `Env<TaskEnv<I>>`, so `env.unwrapped.currentInstance` is typed by the task's instance
 * type without casts; a plain `Env` says nothing about what is underneath.
 */
export interface Env<Inner extends Env<any> = Env<any>> extends AsyncDisposable {
  readonly id: string;
  reset(options?: ResetOptions): Promise<{ observation: Observation; info: ResetInfo }>;
  step(action: Action): Promise<StepResult>;
  /**
   * End the running episode now as truncated (a budget ran out): the verifier scores the final
   * state. Wrappers such as `TimeLimit` call this.
   */
  end(reason: Truncation): Promise<StepResult>;
  close(): Promise<void>;
  /** The innermost env, under all wrappers (for a task, the `TaskEnv` with `currentInstance`, `oracleActions()`, ...). */
  readonly unwrapped: Inner;
  on<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): unknown;
  once<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): unknown;
  off<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn?: EventEmitter.EventListener<EnvEvents, E>): unknown;
}

/**
 * What `make(id)` returns for each registered id, by id: the built-in tasks' envs, and yours when
 * you add them by declaration merging, so that `make('my-lab/write-file-v0')` is typed too:
 *
 * ```ts nocheck
 * declare module 'hybrid-gym' {
 *   interface RegisteredEnvs { 'my-lab/write-file-v0': TaskEnv<WriteFileInstance> }
 * }
 * ```
 */
export interface RegisteredEnvs {
  'hybrid-gym/func-localize-v0': TaskEnv<FuncLocalizeInstance>;
  'hybrid-gym/dep-search-v0': TaskEnv<DepSearchInstance>;
  'hybrid-gym/func-gen-v0': TaskEnv<FuncGenInstance>;
  'hybrid-gym/issue-localize-v0': TaskEnv<IssueLocalizeInstance>;
}
