// OpenHands' text format as both LLM agents speak it: calls parsed from the reply's text, results as user text.
import { parseTextToolCalls } from '../../tools/parse.js';
import type { Action } from '../../tools/types.js';
import type { ToolCall } from '../model-turn.js';
import { executionResult } from '../prompts.js';
import type { ToolResult } from './llm-agent.js';

/** The tool format and shell-tool name an agent's options ask for (the text format names bash `execute_bash`, as OpenHands does). */
export function toolSetupOf(o: { toolFormat?: 'function-calling' | 'text'; bashName?: 'bash' | 'execute_bash' }) {
  const toolFormat = o.toolFormat ?? 'function-calling';
  return { toolFormat, bashName: o.bashName ?? (toolFormat === 'text' ? 'execute_bash' : 'bash') } as const;
}

/** A reply the stop sequence `</function>` cut, with its closing tag back, so the history reads as the model meant it. */
export function closeCutCall(content: string, cutByStop: boolean): string {
  if (!cutByStop || !/<function=/.test(content) || /<\/function>\s*$/.test(content)) return content;
  return `${content.replace(/\s*$/, '')}\n</function>`;
}

/**
 * The calls of a text-format reply, with ids `call_<request>_<k>`; a reply that tries a call
 * (`<function=`) but cannot be read gets the parser's error as its nudge.
 */
export function textFormatCalls(content: string, request: number): { toolCalls: ToolCall[]; actions: Action[]; nudge?: string } {
  const parsed = parseTextToolCalls(content);
  if (!parsed.ok) return { toolCalls: [], actions: [], ...(/<function=/.test(content) && { nudge: parsed.error }) };
  const toolCalls = parsed.actions.map((a, k): ToolCall => ({ id: `call_${request}_${k}`, name: a.tool, arguments: JSON.stringify(a.input ?? {}) }));
  return { toolCalls, actions: parsed.actions.map((a, k) => ({ ...a, callId: toolCalls[k]!.id })) };
}

/** The results of a reply's calls as one user message of the text format. */
export function textResults(results: ToolResult[]): string {
  return results.map((r) => executionResult(r.call.name, r.observation.text)).join('\n\n');
}
