// OpenAI chat-completions messages: what a fine-tuning job or any chat-template trainer takes.
import { SYSTEM_PROMPT } from '../../agents/prompts.js';
import { toolSchemas, type OpenAITool } from '../../tools/export-schemas.js';
import { toConversation, type ExportableEpisode } from './conversation.js';
import { withReasoning, type FormatOptions } from './options.js';

/** A tool call of an assistant message (`ChatCompletionMessageFunctionToolCall`). */
export interface OpenAIToolCall {
  id: string;
  type: 'function';
  /** `arguments`: the JSON text the model wrote (kept as written, even when it is not valid JSON). */
  function: { name: string; arguments: string };
}

/** A message of the chat format; each variant is assignable to the `openai` client's `ChatCompletionMessageParam`. */
export type OpenAIChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; tool_calls?: OpenAIToolCall[] }
  | { role: 'assistant'; content: string | null; tool_calls: OpenAIToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** One line of the `openai` export: the messages, and the tools they were offered. */
export interface OpenAIChatRecord {
  messages: OpenAIChatMessage[];
  tools: OpenAITool[];
}

/**
 * An episode as chat-completions messages: system, the prompt as user, each model turn as one
 * assistant message with all its tool calls (parallel calls stay together), a `tool` message per
 * result, nudges as user messages. An assistant message with calls and no text has `content: null`.
 * Reasoning is not part of the format (`reasoning_content` is no field of OpenAI's types): left out,
 * or with `reasoning: 'think'` written into `content`. The system prompt is the agent's when it used
 * function calling, else SYSTEM_PROMPT (a text-format prompt describes the tools in words).
 */
export function toOpenAI(episode: ExportableEpisode, options: FormatOptions = {}): OpenAIChatRecord {
  const bashName = options.bashName ?? episode.setup?.bashName ?? 'bash';
  const conversation = toConversation(episode, { bashName });
  const system = conversation.toolFormat === 'function-calling' && conversation.systemPrompt !== undefined ? conversation.systemPrompt : SYSTEM_PROMPT;
  const messages: OpenAIChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: conversation.prompt },
  ];
  for (const m of conversation.messages) {
    if (m.role === 'nudge') messages.push({ role: 'user', content: m.text });
    else if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.callId, content: m.text });
    else {
      const content = withReasoning(m.text, m.reasoning, options.reasoning);
      if (m.calls.length === 0) messages.push({ role: 'assistant', content });
      else {
        const toolCalls = m.calls.map((c): OpenAIToolCall => ({ id: c.id, type: 'function', function: { name: c.tool, arguments: c.arguments } }));
        messages.push({ role: 'assistant', content: content === '' ? null : content, tool_calls: toolCalls });
      }
    }
  }
  return { messages, tools: toolSchemas('openai', { bashName }) };
}
