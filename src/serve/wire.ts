import { z } from 'zod';
import type { ResetInfo, StepResult } from '../env/types.js';
import { TOOL_INPUT_SCHEMAS, TOOL_NAMES } from '../tools/schemas.js';
import type { Observation } from '../tools/types.js';
import type { ObservationData } from './protocol.js';

/** Our Observation as it travels in `data.observation`. */
export const ObservationSchema = z.object({
  text: z.string().describe('The text for the model (capped, head and tail kept). After a reset: the task prompt.'),
  isError: z.boolean().describe('The action was malformed or failed; `text` says what to fix.'),
  tool: z.string().optional().describe('The tool that ran (canonical name).'),
  callId: z.string().optional().describe("The action's callId, echoed."),
  exitCode: z.number().int().optional().describe("bash: the command's exit code (-1 while it still runs)."),
});

/** A reply's `data`: OpenEnv's serialized observation, the Gymnasium distinction kept in `metadata`. */
export const ObservationDataSchema = z.object({
  observation: ObservationSchema,
  reward: z.number().nullable().describe('null after a reset; 0 until the episode ends; then the verifier\'s reward.'),
  done: z.boolean().describe('terminated or truncated: the episode is over and the next message should be a reset.'),
  metadata: z
    .object({
      episode_id: z.string(),
      terminated: z.boolean().optional().describe('The agent called finish.'),
      truncated: z.boolean().optional().describe('A step or time budget ran out, or the infrastructure failed (info.infraError).'),
      info: z.record(z.string(), z.unknown()).describe("The env's ResetInfo or StepInfo: instanceId, step, truncation, infraError, verify (reward, success, details)."),
    })
    .loose(),
});

/** The session's state (`state` replies): OpenEnv's `episode_id` and `step_count`, and ours. */
export const StateSchema = z.object({
  episode_id: z.string().nullable().describe('null before the first reset'),
  step_count: z.number().int().min(0),
  env_id: z.string(),
  instance_id: z.string().nullable(),
  done: z.boolean(),
  terminated: z.boolean(),
  truncated: z.boolean(),
  reward: z.number().nullable().describe("The episode's reward once it is done, else null."),
  elapsed_ms: z.number().int().min(0).nullable().describe('Since the reset.'),
});
export type SessionState = z.output<typeof StateSchema>;

/**
 * Every action the tools take, one branch per tool: what `/schema` shows. Every action it admits is
 * accepted (the server is more lenient still: it passes any `tool` on to the env, whose error
 * observation tells the agent what to fix, and the tools take numbers and booleans written as text).
 */
export const ActionSchema = z.union(
  TOOL_NAMES.map((tool) =>
    z.strictObject({
      tool: tool === 'bash' ? z.enum(['bash', 'execute_bash']) : z.literal(tool),
      input: z.union([TOOL_INPUT_SCHEMAS[tool], z.string().describe("The input's JSON text, as LLM APIs give tool arguments.")]).optional(),
      callId: z.string().optional(),
      metadata: z.record(z.string(), z.unknown()).optional().describe("OpenEnv's Action.metadata: accepted and ignored."),
    }),
  ),
);

/** `/schema`: JSON Schemas of the action, the observation reply's data and the state. */
export function serverSchemas(): { action: unknown; observation: unknown; state: unknown } {
  const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  return { action: json(ActionSchema), observation: json(ObservationDataSchema), state: json(StateSchema) };
}

/** The observation's own fields (undefined ones are left out when the reply is serialized). */
function observationFields(o: Observation): Record<string, unknown> {
  return { ...o };
}

export function resetData(episodeId: string, observation: Observation, info: ResetInfo): ObservationData {
  return { observation: observationFields(observation), reward: null, done: false, metadata: { episode_id: episodeId, info: { ...info } } };
}

export function stepData(episodeId: string, result: StepResult): ObservationData {
  return {
    observation: observationFields(result.observation),
    reward: result.reward,
    done: result.terminated || result.truncated,
    metadata: { episode_id: episodeId, terminated: result.terminated, truncated: result.truncated, info: { ...result.info } },
  };
}
