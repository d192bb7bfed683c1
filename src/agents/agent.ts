import type { ResetInfo, StepResult } from '../env/types.js';
import type { Action, Observation } from '../tools/types.js';

/** What an agent knows of the episode so far. */
export interface AgentContext {
  /** Steps taken before this one. */
  step: number;
  /** The task prompt: the first observation of the episode. */
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
