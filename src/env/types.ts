import type { EventEmitter } from 'eventemitter3';
import type { VerifyResult } from '../tasks/define-task.js';
import type { Action, Observation } from '../tools/types.js';

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

export type Truncation = 'steps' | 'time' | 'infra';

export interface StepInfo {
  instanceId: string;
  /** Steps taken in this episode, this one included. */
  step: number;
  elapsedMs: number;
  /** Why the episode was truncated. */
  truncation?: Truncation;
  /** Set when the episode ended because of the infrastructure (engine gone, container died). */
  infraError?: { code: string; message: string };
  /** The verifier's verdict when the episode ended. */
  verify?: VerifyResult;
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

/** The environment API: Gymnasium's, with objects and promises. */
export interface Env extends AsyncDisposable {
  readonly id: string;
  reset(options?: ResetOptions): Promise<{ observation: Observation; info: ResetInfo }>;
  step(action: Action): Promise<StepResult>;
  /**
   * End the running episode now as truncated (a budget ran out): the verifier scores the final
   * state. Wrappers such as `TimeLimit` call this.
   */
  end(reason: Truncation): Promise<StepResult>;
  close(): Promise<void>;
  /** The innermost env, under all wrappers. */
  readonly unwrapped: Env;
  on<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): unknown;
  once<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): unknown;
  off<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn?: EventEmitter.EventListener<EnvEvents, E>): unknown;
}
