import { z } from 'zod';

/** One tool call as the model made it: `arguments` is the JSON text it wrote (parsed by the env). */
export const ToolCallSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
});

export const UsageSchema = z.strictObject({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** Prompt tokens served from the provider's cache, when it says. */
  cachedPromptTokens: z.number().int().nonnegative().optional(),
  /** Completion tokens spent on reasoning, when the provider says. */
  reasoningTokens: z.number().int().nonnegative().optional(),
});

/**
 * Per-token log probabilities of the completion, as the server returned them (vLLM and SGLang do
 * with `logprobs: true`). `tokenIds` is filled when the server gives ids (vLLM's `return_token_ids`,
 * or tokens written `token_id:N` by `return_tokens_as_token_ids`), so a trainer needs no tokenizer.
 */
export const LogprobsSchema = z.strictObject({
  tokens: z.array(z.string()),
  logprobs: z.array(z.number()),
  tokenIds: z.array(z.number().int()).optional(),
});

/**
 * One call of the model: what it wrote and what that cost. An LLM agent records one per request;
 * the steps of the episode that its tool calls became point back to it by index (`step.turn`).
 */
export const ModelTurnSchema = z.strictObject({
  /** The assistant's text (in the text format, with its `<function=...>` calls). */
  content: z.string(),
  /** Reasoning the server returned apart from the text (`reasoning_content`, Anthropic's thinking). */
  reasoning: z.string().optional(),
  /** The tool calls of the reply, in order (in the text format, parsed from `content`). */
  toolCalls: z.array(ToolCallSchema),
  /**
   * What the agent told the model after a reply with no (readable) tool call: a nudge to go on,
   * or what was wrong with the call. Such a turn is one step of the episode (a `think`).
   */
  nudge: z.string().optional(),
  /** The model the server says answered. */
  model: z.string().optional(),
  finishReason: z.string().optional(),
  usage: UsageSchema.optional(),
  /** When the request was sent (ISO 8601), how long until the reply, and how many HTTP attempts it took (retries + 1). */
  timing: z.strictObject({ startedAt: z.string(), latencyMs: z.number().nonnegative(), attempts: z.number().int().positive() }),
  logprobs: LogprobsSchema.optional(),
  /** The prompt's token ids, when the server returns them (vLLM `return_token_ids`). */
  promptTokenIds: z.array(z.number().int()).optional(),
  /** The completion's token ids, when the server returns them. */
  completionTokenIds: z.array(z.number().int()).optional(),
});

/** How an LLM agent talked to its model: what an export needs to rebuild the conversation. */
export const AgentSetupSchema = z.strictObject({
  /** 'openai' (chat completions) or 'anthropic' (Messages API). */
  api: z.enum(['openai', 'anthropic']),
  model: z.string(),
  /** Tools by the API's function calling, or in OpenHands' text format inside the messages. */
  toolFormat: z.enum(['function-calling', 'text']),
  /** The system prompt as sent (in the text format it includes the tool descriptions). */
  systemPrompt: z.string(),
  /** The name the shell tool was offered under. */
  bashName: z.enum(['bash', 'execute_bash']),
  /** Sampling options sent with every request. */
  sampling: z.record(z.string(), z.unknown()).optional(),
});

export type ToolCall = z.infer<typeof ToolCallSchema>;
export type Usage = z.infer<typeof UsageSchema>;
export type Logprobs = z.infer<typeof LogprobsSchema>;
export type ModelTurn = z.infer<typeof ModelTurnSchema>;
export type AgentSetup = z.infer<typeof AgentSetupSchema>;
