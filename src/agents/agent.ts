import type { ResetInfo, StepResult } from '../env/types.js';
import type { Action, Observation } from '../tools/types.js';

/**
 * What an agent knows of the episode so far. `runEpisode` and `rollout` build it for every call of
 * {@link Agent.act}; code that drives an agent itself must fill every field.
 */
export interface AgentContext {
  /** Steps taken before this one (0 on the first call). */
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

/** An agent: given the latest observation (and the episode so far), the next action. */
export interface Agent {
  readonly name: string;
  act(observation: Observation, context: AgentContext): Action | Promise<Action>;
}
