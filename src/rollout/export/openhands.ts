// OpenHands' text format, the paper's SFT format: plain-text messages, tool calls written as
// `<function=NAME><parameter=K>V</parameter></function>`, the tools described in the system prompt.
import { executionResult, SYSTEM_PROMPT, systemPromptFor } from '../../agents/prompts.js';
import { toConversation, type ConversationCall, type ExportableEpisode } from './conversation.js';
import { withReasoning, type FormatOptions } from './options.js';

export type OpenHandsMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** One line of the `openhands` export. */
export interface OpenHandsRecord {
  messages: OpenHandsMessage[];
}

function parameterValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * A call in the text format. A value with a line break goes on lines of its own (the parser drops
 * exactly the one break after the opening and before the closing tag, so the value comes back as
 * it was); numbers and booleans as written, arrays and objects as JSON.
 */
export function renderTextCall(name: string, input: Record<string, unknown>): string {
  const params = Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const text = parameterValue(v);
      return text.includes('\n') ? `<parameter=${k}>\n${text}\n</parameter>` : `<parameter=${k}>${text}</parameter>`;
    });
  return [`<function=${name}>`, ...params, '</function>'].join('\n');
}

function joinText(thought: string, call: string): string {
  return thought === '' ? call : `${thought}\n\n${call}`;
}

/**
 * An episode in OpenHands' text format: the system prompt with the tool descriptions (the agent's
 * when it used the text format with the same shell name, else SYSTEM_PROMPT with the descriptions
 * for `bashName`), the prompt as user, ONE call per assistant message: a turn with several calls
 * becomes several assistant messages, each followed by its result, the turn's text (and reasoning,
 * with `reasoning: 'think'`) with the first. Results are user messages "EXECUTION RESULT of [NAME]:";
 * nudges are user messages. A call whose arguments were not a JSON object cannot be written as
 * parameters: its assistant message holds the arguments as the model wrote them, with no call
 * markup, and its error comes back as a plain user message (as the text format answers an unreadable call).
 */
export function toOpenHands(episode: ExportableEpisode, options: FormatOptions = {}): OpenHandsRecord {
  const textSetup = episode.setup?.toolFormat === 'text' ? episode.setup : undefined;
  const bashName = options.bashName ?? textSetup?.bashName ?? 'execute_bash';
  const conversation = toConversation(episode, { bashName });
  const system = textSetup !== undefined && textSetup.bashName === bashName ? textSetup.systemPrompt : systemPromptFor('text', SYSTEM_PROMPT, { bashName });
  const messages: OpenHandsMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: conversation.prompt },
  ];
  const raw = new Set<string>();
  const rendered = (call: ConversationCall): string => {
    if (typeof call.input === 'string') {
      raw.add(call.id);
      return call.input;
    }
    return renderTextCall(call.tool, call.input);
  };
  const result = (call: ConversationCall, text: string): OpenHandsMessage => ({ role: 'user', content: raw.has(call.id) ? text : executionResult(call.tool, text) });
  const all = conversation.messages;
  for (let i = 0; i < all.length; i++) {
    const m = all[i]!;
    if (m.role === 'nudge') messages.push({ role: 'user', content: m.text });
    else if (m.role === 'tool') messages.push({ role: 'user', content: m.text }); // (no call before it: not produced by toConversation)
    else {
      const thought = withReasoning(m.text, m.reasoning, options.reasoning);
      if (m.calls.length === 0) {
        messages.push({ role: 'assistant', content: thought });
        continue;
      }
      // The turn's results follow it: interleave them, each call then its result.
      let end = i + 1;
      while (end < all.length && all[end]!.role === 'tool') end++;
      const results = all.slice(i + 1, end);
      m.calls.forEach((call, k) => {
        messages.push({ role: 'assistant', content: k === 0 ? joinText(thought, rendered(call)) : rendered(call) });
        const r = results.find((x) => x.role === 'tool' && x.callId === call.id);
        if (r?.role === 'tool') messages.push(result(call, r.text));
      });
      i = end - 1;
    }
  }
  return { messages };
}
