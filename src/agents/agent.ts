import type { Env, ResetInfo, StepResult } from '../env/types.js';
import type { Action, Observation } from '../tools/types.js';
import type { AgentSetup, ModelTurn } from './model-turn.js';

/**
 * What an agent knows of the episode so far. `runEpisode` and `rollout` build it for every call of
 * {@link Agent.act}; code that drives an agent itself must fill every field.
 */
export interface AgentContext {
  /** Steps taken before this one (0 on the first call: a new episode). */
  step: number;
  /**
   * The task prompt: `observation.text` of the reset, the same on every call of the episode, so
   * that an agent that starts mid-episode (or keeps no state) still has the task. On the first call
   * it equals the observation passed in.
   */
  prompt: string;
  /** The reset info (instance id, workdir). */
  info: ResetInfo;
  /** Every action so far with what it produced. */
  history: ReadonlyArray<{ action: Action; result: StepResult }>;
}

/**
 * An agent: given the latest observation (and the episode so far), the next action. An agent that
 * throws from `act` ends its episode as truncated 'agent' (scored; `info.agentError` says why).
 */
export interface Agent {
  readonly name: string;
  act(observation: Observation, context: AgentContext): Action | Promise<Action>;
  /**
   * LLM agents: the model calls made since the last time this was called, oldest first.
   * `runEpisode` takes them after every `act` and records them in the trajectory.
   */
  takeTurns?(): ModelTurn[];
  /** LLM agents: how they talk to their model (API, model, tool format, system prompt), for the trajectory. */
  readonly setup?: AgentSetup;
}

/**
 * The default export of a module given as `run --agent ./my-agent.mjs`: makes an agent per env
 * (called once for each of the run's `--concurrency` envs; the agent sees `context.step === 0` at
 * each new episode). `options` carries `--model` and `--base-url` when given.
 */
export type AgentModuleFactory = (env: Env, options: { model?: string; baseURL?: string }) => Agent | Promise<Agent>;
