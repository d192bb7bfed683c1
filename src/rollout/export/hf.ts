// Messages for Hugging Face chat templates (TRL's SFTTrainer, `tokenizer.apply_chat_template`).
import type { OpenAITool } from '../../tools/export-schemas.js';
import type { ExportableEpisode } from './conversation.js';
import { toOpenAI, type OpenAIChatMessage } from './openai.js';
import type { FormatOptions } from './options.js';

/** A tool call as chat templates read it: `arguments` an object (the text as written when it is not a JSON object). */
export interface HfToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

export type HfChatMessage = Exclude<OpenAIChatMessage, { role: 'assistant' }> | { role: 'assistant'; content: string | null; tool_calls?: HfToolCall[] };

/** One line of the `hf` export: the messages and the tools, as `apply_chat_template(messages, tools=tools)` takes them. */
export interface HfChatRecord {
  messages: HfChatMessage[];
  tools: OpenAITool[];
}

function argumentsObject(text: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}

/**
 * The `openai` export with each call's arguments as an object: chat templates such as Qwen2.5's
 * and Llama 3.1's write `arguments | tojson`, so a JSON string would be encoded twice and the
 * model trained to emit a quoted string.
 */
export function toHf(episode: ExportableEpisode, options: FormatOptions = {}): HfChatRecord {
  const { messages, tools } = toOpenAI(episode, options);
  return {
    messages: messages.map((m): HfChatMessage => {
      if (m.role !== 'assistant' || !m.tool_calls) return m;
      return { ...m, tool_calls: m.tool_calls.map((c) => ({ ...c, function: { name: c.function.name, arguments: argumentsObject(c.function.arguments) } })) };
    }),
    tools,
  };
}
