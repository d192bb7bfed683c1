// LLaMA-Factory's ShareGPT form with tools: `conversations` of human / gpt / function_call /
// observation, the system prompt and the tool definitions beside them.
import { SYSTEM_PROMPT } from '../../agents/prompts.js';
import { toolDefinition, type ToolInputSchema } from '../../tools/export-schemas.js';
import { TOOL_NAMES } from '../../tools/schemas.js';
import { toConversation, type ExportableEpisode } from './conversation.js';
import { withReasoning, type FormatOptions } from './options.js';

export type ShareGptRole = 'human' | 'gpt' | 'function_call' | 'observation';
export interface ShareGptMessage {
  from: ShareGptRole;
  value: string;
}

/** One line of the `sharegpt` export (dataset_info: `"formatting": "sharegpt"`, columns messages=conversations, system, tools). */
export interface ShareGptRecord {
  conversations: ShareGptMessage[];
  system: string;
  /** JSON text of the function definitions: `[{"name", "description", "parameters"}]`. */
  tools: string;
}

/** The tool definitions as LLaMA-Factory's `tools` column takes them. */
export function shareGptTools(bashName: 'bash' | 'execute_bash'): Array<{ name: string; description: string; parameters: ToolInputSchema }> {
  return TOOL_NAMES.map((t) => toolDefinition(t, { bashName }));
}

/**
 * An episode in LLaMA-Factory's ShareGPT form, which requires human and observation at odd
 * positions (1st, 3rd, ...), gpt and function_call at even ones, and an even count:
 * - the prompt is the first human message; the system prompt (the agent's when it used function
 *   calling, else SYSTEM_PROMPT) goes in `system`, the tools in `tools`;
 * - a model turn with calls is ONE function_call whose value is `{"name","arguments"}` as JSON, or an
 *   array of them for parallel calls; `arguments` is the input object (a string when the model's
 *   arguments were not a JSON object). The turn's TEXT before the call has no place (a gpt message
 *   next to the function_call would break the alternation): it is left out. With `reasoning:
 *   'think'`, the turn's reasoning goes before the JSON as `<think>...</think>`;
 * - the results of a turn are ONE observation: the result's text, or for parallel calls a JSON
 *   array of the texts in the calls' order;
 * - a nudge turn is a gpt message (its text), then the nudge as human;
 * - a conversation that would end on human or observation (the episode stopped before `finish`)
 *   loses those last messages, so that it ends on the model's turn, as LLaMA-Factory requires.
 */
export function toShareGpt(episode: ExportableEpisode, options: FormatOptions = {}): ShareGptRecord {
  const bashName = options.bashName ?? episode.setup?.bashName ?? 'bash';
  const conversation = toConversation(episode, { bashName });
  const system = conversation.toolFormat === 'function-calling' && conversation.systemPrompt !== undefined ? conversation.systemPrompt : SYSTEM_PROMPT;
  const out: ShareGptMessage[] = [{ from: 'human', value: conversation.prompt }];
  const all = conversation.messages;
  for (let i = 0; i < all.length; i++) {
    const m = all[i]!;
    if (m.role === 'nudge') out.push({ from: 'human', value: m.text });
    else if (m.role === 'tool') out.push({ from: 'observation', value: m.text });
    else if (m.calls.length === 0) out.push({ from: 'gpt', value: withReasoning(m.text, m.reasoning, options.reasoning) });
    else {
      const calls = m.calls.map((c) => ({ name: c.tool, arguments: c.input }));
      const json = JSON.stringify(calls.length === 1 ? calls[0] : calls);
      out.push({ from: 'function_call', value: withReasoning(json, m.reasoning, options.reasoning) });
      let end = i + 1;
      while (end < all.length && all[end]!.role === 'tool') end++;
      const texts = m.calls.flatMap((c) => all.slice(i + 1, end).flatMap((r) => (r.role === 'tool' && r.callId === c.id ? [r.text] : [])));
      if (texts.length > 0) out.push({ from: 'observation', value: texts.length === 1 && m.calls.length === 1 ? texts[0]! : JSON.stringify(texts) });
      i = end - 1;
    }
  }
  while (out.length > 0 && (out.at(-1)!.from === 'human' || out.at(-1)!.from === 'observation')) out.pop();
  return { conversations: out, system, tools: JSON.stringify(shareGptTools(bashName)) };
}
