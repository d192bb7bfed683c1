// An episode as the conversation it was: what the model said, the calls it made, what came back.
// Format-neutral; openai.ts, openhands.ts and sharegpt.ts write it out for a trainer.
import type { AgentSetup, ModelTurn } from '../../agents/model-turn.js';
import { resolveToolName } from '../../tools/tool-names.js';

/** What an export needs of an episode (a `runEpisode` Episode, or a line `readEpisodeFile` read). */
export interface ExportableEpisode {
  prompt: string;
  steps: ReadonlyArray<{
    action: { tool: string; input?: unknown; callId?: string };
    observation: { text: string; isError: boolean };
    turn?: number;
  }>;
  turns?: readonly ModelTurn[];
  setup?: AgentSetup;
}

/** One tool call of an assistant turn. */
export interface ConversationCall {
  /** The call's id: the model's (function calling), else `call_<step>`; unique in the conversation. */
  id: string;
  /** The tool's name as offered: canonical, with the shell tool under the chosen `bashName`. */
  tool: string;
  /** The input as an object; a string when the model's arguments were not a JSON object (kept as written). */
  input: Record<string, unknown> | string;
  /** The arguments as the model wrote them (function calling), else the input as JSON. */
  arguments: string;
  /** Index of the episode's step this call became. */
  step: number;
}

export type ConversationMessage =
  /** One model call: its text (in the text format, what preceded the first `<function=`), reasoning, calls. */
  | { role: 'assistant'; text: string; reasoning?: string; calls: ConversationCall[] }
  /** What a call produced. */
  | { role: 'tool'; callId: string; tool: string; text: string; isError: boolean }
  /** What the agent told the model after a reply with no (readable) tool call. */
  | { role: 'nudge'; text: string };

export interface Conversation {
  /** The system prompt as the agent sent it, when the episode says (LLM agents). */
  systemPrompt?: string;
  /** How the agent offered its tools, when the episode says. */
  toolFormat?: AgentSetup['toolFormat'];
  /** The task prompt (the first user message). */
  prompt: string;
  messages: ConversationMessage[];
}

export interface ConversationOptions {
  /** The name the shell tool gets. @default the episode's (`setup.bashName`), else 'bash' */
  bashName?: 'bash' | 'execute_bash';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The tool's canonical name, with bash under `bashName`; an unknown name stays as written. */
export function offeredName(tool: string, bashName: string): string {
  const canonical = resolveToolName(tool);
  if (canonical === undefined) return tool;
  return canonical === 'bash' ? bashName : canonical;
}

function inputOf(input: unknown): { input: Record<string, unknown> | string; arguments: string } {
  if (input === undefined || input === null) return { input: {}, arguments: '{}' };
  if (typeof input === 'string') {
    if (input.trim() === '') return { input: {}, arguments: input };
    try {
      const parsed: unknown = JSON.parse(input);
      if (isObject(parsed)) return { input: parsed, arguments: input };
    } catch {
      // Not JSON: kept as the model wrote it.
    }
    return { input, arguments: input };
  }
  if (isObject(input)) return { input, arguments: JSON.stringify(input) };
  const text = JSON.stringify(input);
  return { input: text, arguments: text };
}

/** The text of a turn: in the text format, what precedes the first call (the thought). */
function turnText(turn: ModelTurn, toolFormat: AgentSetup['toolFormat'] | undefined): string {
  if (toolFormat !== 'text') return turn.content;
  const at = turn.content.indexOf('<function=');
  return (at === -1 ? turn.content : turn.content.slice(0, at)).trim();
}

/**
 * The conversation of an episode. Each model turn is one assistant message with the calls its
 * steps made (in order); each call's result follows, except that of a final `finish`. A turn with
 * a nudge (its reply had no readable call) is its text, then the nudge: the stand-in `think` step
 * it produced is not a call. A turn no step came from (the episode ended first) is left out, and
 * so are a turn's calls that never became steps. Episodes without turns (oracle, scripted agents)
 * give one assistant message per step, with empty text.
 */
export function toConversation(episode: ExportableEpisode, options: ConversationOptions = {}): Conversation {
  const bashName = options.bashName ?? episode.setup?.bashName ?? 'bash';
  const toolFormat = episode.setup?.toolFormat;
  const turns = episode.turns ?? [];
  const messages: ConversationMessage[] = [];
  const usedIds = new Set<string>();
  const uniqueId = (preferred: string | undefined, step: number): string => {
    let id = preferred !== undefined && preferred !== '' && !usedIds.has(preferred) ? preferred : `call_${step}`;
    for (let k = 2; usedIds.has(id); k++) id = `call_${step}_${k}`;
    usedIds.add(id);
    return id;
  };

  // Consecutive steps of one turn form a group; a step without a turn is a group of its own.
  const groups: Array<{ index: number | undefined; turn: ModelTurn | undefined; steps: number[] }> = [];
  episode.steps.forEach((step, i) => {
    const index = step.turn !== undefined && turns[step.turn] !== undefined ? step.turn : undefined;
    const last = groups.at(-1);
    if (index !== undefined && last !== undefined && last.index === index) last.steps.push(i);
    else groups.push({ index, turn: index !== undefined ? turns[index] : undefined, steps: [i] });
  });

  const lastStep = episode.steps.length - 1;
  for (const { turn, steps } of groups) {
    if (turn?.nudge !== undefined) {
      messages.push({ role: 'assistant', text: turn.content, ...(turn.reasoning !== undefined && { reasoning: turn.reasoning }), calls: [] });
      messages.push({ role: 'nudge', text: turn.nudge });
      continue;
    }
    const calls: ConversationCall[] = steps.map((i, k) => {
      const action = episode.steps[i]!.action;
      const modelCall = turn?.toolCalls.find((c) => c.id === action.callId) ?? turn?.toolCalls[k];
      return { id: uniqueId(action.callId ?? modelCall?.id, i), tool: offeredName(action.tool, bashName), ...inputOf(action.input), step: i };
    });
    messages.push({
      role: 'assistant',
      text: turn ? turnText(turn, toolFormat) : '',
      ...(turn?.reasoning !== undefined && { reasoning: turn.reasoning }),
      calls,
    });
    for (const call of calls) {
      const step = episode.steps[call.step]!;
      if (call.step === lastStep && resolveToolName(step.action.tool) === 'finish') continue;
      messages.push({ role: 'tool', callId: call.id, tool: call.tool, text: step.observation.text, isError: step.observation.isError });
    }
  }
  return {
    ...(episode.setup && { systemPrompt: episode.setup.systemPrompt, toolFormat: episode.setup.toolFormat }),
    prompt: episode.prompt,
    messages,
  };
}

/** How many assistant turns (model calls) the conversation has. */
export function assistantTurns(conversation: Conversation): number {
  return conversation.messages.filter((m) => m.role === 'assistant').length;
}
