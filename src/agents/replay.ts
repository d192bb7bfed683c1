import { isDeepStrictEqual } from 'node:util';
import type { StepResult } from '../env/types.js';
import { HybridGymError } from '../errors.js';
import type { Episode } from '../rollout/run-episode.js';
import type { Action } from '../tools/types.js';
import type { Agent, AgentContext } from './agent.js';
import type { ModelTurn } from './model-turn.js';

/** A recorded episode's actions, replayed in order (then `finish`): to re-run a trajectory in an env. */
export class ReplayAgent implements Agent {
  readonly name: string;
  private readonly actions: readonly Action[];

  constructor(episode: Pick<Episode, 'agent' | 'steps'>) {
    this.name = `replay:${episode.agent}`;
    this.actions = episode.steps.map((s) => s.action);
  }

  act(_observation: unknown, context: AgentContext): Action {
    return this.actions[context.step] ?? { tool: 'finish', input: { message: 'replay ended' } };
  }
}

function jsonResponse(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

function openAIReply(turn: ModelTurn, model: string, i: number, textFormat: boolean): unknown {
  const toolCalls = turn.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  // In the text format the calls are in the content; with function calling they are the reply's own.
  const fc = turn.toolCalls.length > 0 && !textFormat;
  return {
    id: `replay-${i}`,
    object: 'chat.completion',
    created: 0,
    model: turn.model ?? model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: turn.content, refusal: null, ...(fc && { tool_calls: toolCalls }), ...(turn.reasoning && { reasoning_content: turn.reasoning }) },
        finish_reason: turn.finishReason ?? (fc ? 'tool_calls' : 'stop'),
        logprobs: turn.logprobs ? { content: turn.logprobs.tokens.map((token, k) => ({ token, logprob: turn.logprobs!.logprobs[k], bytes: null, top_logprobs: [] })), refusal: null } : null,
        ...(turn.completionTokenIds && { token_ids: turn.completionTokenIds }),
      },
    ],
    usage: turn.usage && { prompt_tokens: turn.usage.promptTokens, completion_tokens: turn.usage.completionTokens, total_tokens: turn.usage.promptTokens + turn.usage.completionTokens },
    ...(turn.promptTokenIds && { prompt_token_ids: turn.promptTokenIds }),
  };
}

function anthropicReply(turn: ModelTurn, model: string, i: number, textFormat: boolean): unknown {
  const text = turn.content;
  const fc = turn.toolCalls.length > 0 && !textFormat;
  const content = [
    ...(turn.reasoning ? [{ type: 'thinking', thinking: turn.reasoning, signature: '' }] : []),
    ...(text ? [{ type: 'text', text }] : []),
    ...(fc ? turn.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.arguments) as unknown })) : []),
  ];
  return {
    id: `replay-${i}`,
    type: 'message',
    role: 'assistant',
    model: turn.model ?? model,
    content,
    stop_reason: turn.finishReason ?? (fc ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: { input_tokens: turn.usage?.promptTokens ?? 0, output_tokens: turn.usage?.completionTokens ?? 0 },
  };
}

/**
 * A recorded episode's model, as a `fetch` for an LLM agent (`new OpenAIAgent({ model, fetch:
 * replayFetch(episode) })`): each request is answered with the next recorded turn, in the wire
 * format of the episode's API. With {@link replayEpisode}, agent code runs with no server and no container.
 */
export function replayFetch(episode: Pick<Episode, 'turns' | 'setup' | 'model'>): typeof fetch {
  const turns = episode.turns ?? [];
  const api = episode.setup?.api ?? 'openai';
  const textFormat = episode.setup?.toolFormat === 'text';
  const model = episode.model ?? episode.setup?.model ?? 'replay';
  let next = 0;
  return (async () => {
    const i = next++;
    const turn = turns[i];
    if (!turn) {
      return new Response(JSON.stringify({ error: { message: `the recorded episode has ${turns.length} model turns; this is request ${i + 1}`, type: 'replay_exhausted' } }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      });
    }
    return jsonResponse(api === 'anthropic' ? anthropicReply(turn, model, i, textFormat) : openAIReply(turn, model, i, textFormat));
  }) as typeof fetch;
}

/** Where a replayed agent first did something else than the recording. */
export interface ReplayMismatch {
  step: number;
  expected: Action;
  actual: Action;
}

/**
 * Feed an agent the recorded observations of an episode and collect its actions, without an env:
 * the first action that differs from the recording stops the replay and is reported.
 */
export async function replayEpisode(agent: Agent, episode: Pick<Episode, 'envId' | 'instanceId' | 'prompt' | 'steps'>): Promise<{ actions: Action[]; mismatch?: ReplayMismatch }> {
  if (episode.steps.length === 0) throw new HybridGymError('REPLAY', 'the recorded episode has no steps to replay');
  const info = { envId: episode.envId, instanceId: episode.instanceId, workdir: '/workspace' };
  const history: Array<{ action: Action; result: StepResult }> = [];
  const actions: Action[] = [];
  let observation = { text: episode.prompt, isError: false };
  for (const [step, recorded] of episode.steps.entries()) {
    const actual = await agent.act(observation, { step, prompt: episode.prompt, info, history });
    actions.push(actual);
    if (!isDeepStrictEqual(actual, recorded.action)) return { actions, mismatch: { step, expected: recorded.action, actual } };
    const result: StepResult = { observation: recorded.observation, reward: recorded.reward, terminated: false, truncated: false, info: { instanceId: episode.instanceId, step: step + 1, elapsedMs: 0 } };
    history.push({ action: actual, result });
    observation = recorded.observation;
  }
  return { actions };
}
