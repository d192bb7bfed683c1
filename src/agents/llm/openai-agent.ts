import type OpenAI from 'openai';
import { toolSchemas } from '../../tools/export-schemas.js';
import { ModelError } from '../../errors.js';
import type { Action } from '../../tools/types.js';
import type { AgentSetup, Logprobs, ModelTurn, ToolCall, Usage } from '../model-turn.js';
import { SYSTEM_PROMPT, systemPromptFor } from '../prompts.js';
import { countingFetch, LlmClientOptionsSchema, loadSdk, parseClientOptions, resolveApiKey, sdkClientOptions, timedRequest, type LlmClientOptions } from './client-options.js';
import { LlmAgent, type ModelReply, type ToolResult } from './llm-agent.js';
import { closeCutCall, textFormatCalls, textResults, toolSetupOf } from './text-format.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Completion = OpenAI.Chat.Completions.ChatCompletion;

export type OpenAIAgentOptions = LlmClientOptions;

/** Tokens written `token_id:N` (vLLM's `return_tokens_as_token_ids`): their ids, when every token is one. */
function idsOfTokens(tokens: string[]): number[] | undefined {
  const ids = tokens.map((t) => /^token_id:(\d+)$/.exec(t)?.[1]);
  return tokens.length > 0 && ids.every((x) => x !== undefined) ? ids.map(Number) : undefined;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x));
}

/**
 * An agent on any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, SGLang, Ollama, ...).
 * Tools by function calling, or in OpenHands' text format for models without it. 429 and 5xx are
 * retried with backoff honouring `Retry-After`; each attempt has a timeout; a model that still
 * does not answer throws a `ModelError` (the episode ends as the agent's failure). The `openai`
 * package is loaded on first use.
 */
export class OpenAIAgent extends LlmAgent {
  readonly name: string;
  readonly setup: AgentSetup;
  private readonly options: ReturnType<typeof parseOptions>;
  private readonly counter: ReturnType<typeof countingFetch>;
  private readonly apiKey: string;
  private client: Promise<OpenAI> | undefined;
  private messages: Message[] = [];
  private readonly tools: OpenAI.Chat.Completions.ChatCompletionTool[] | undefined;

  constructor(options: OpenAIAgentOptions) {
    super();
    this.options = parseOptions(options);
    const o = this.options;
    const { toolFormat, bashName } = toolSetupOf(o);
    this.name = o.name ?? `openai:${o.model}`;
    const sampling = { ...(toolFormat === 'text' && { stop: ['</function>'] }), ...o.sampling };
    this.setup = {
      api: 'openai',
      model: o.model,
      toolFormat,
      systemPrompt: systemPromptFor(toolFormat, o.systemPrompt ?? SYSTEM_PROMPT, { bashName }),
      bashName,
      ...(Object.keys(sampling).length > 0 && { sampling }),
    };
    this.tools = toolFormat === 'function-calling' ? toolSchemas('openai', { bashName }) : undefined;
    this.counter = countingFetch(o.fetch);
    // Checked now: a missing key fails before any episode, not in each of them.
    this.apiKey = resolveApiKey(o, 'OPENAI_API_KEY', 'OpenAIAgent');
  }

  private sdk(): Promise<OpenAI> {
    const o = this.options;
    this.client ??= loadSdk('openai', () => import('openai')).then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient(sdkClientOptions(o, this.apiKey, this.counter.fetch)),
    );
    return this.client;
  }

  protected begin(prompt: string): void {
    this.messages = [
      { role: 'system', content: this.setup.systemPrompt },
      { role: 'user', content: prompt },
    ];
  }

  protected addResults(results: ToolResult[]): void {
    if (this.setup.toolFormat === 'text') {
      this.messages.push({ role: 'user', content: textResults(results) });
    } else {
      for (const r of results) this.messages.push({ role: 'tool', tool_call_id: r.call.id, content: r.observation.text });
    }
  }

  protected addNudge(text: string): void {
    this.messages.push({ role: 'user', content: text });
  }

  protected async request(): Promise<ModelReply> {
    const client = await this.sdk();
    const body = {
      model: this.setup.model,
      messages: this.messages,
      ...(this.tools && { tools: this.tools }),
      ...this.setup.sampling,
      ...this.options.extraBody,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const { reply: completion, timing } = await timedRequest(this.counter, `${this.setup.model} at ${client.baseURL}`, () => client.chat.completions.create(body));
    return this.reply(completion, timing);
  }

  private reply(completion: Completion, timing: ModelTurn['timing']): ModelReply {
    const choice = typeof completion === 'object' && completion !== null && Array.isArray(completion.choices) ? completion.choices[0] : undefined;
    if (!choice || typeof choice !== 'object') {
      const seen = typeof completion === 'string' ? (completion as string) : JSON.stringify(completion);
      throw new ModelError(`The model ${this.setup.model} answered, but not with a chat completion (no choices): ${String(seen).slice(0, 200)}`, { attempts: timing.attempts, kind: 'bad-reply' });
    }
    const message = (choice.message ?? {}) as Completion['choices'][number]['message'] & { reasoning_content?: unknown; reasoning?: unknown };
    const reasoning = typeof message.reasoning_content === 'string' ? message.reasoning_content : typeof message.reasoning === 'string' ? message.reasoning : undefined;
    let content = typeof message.content === 'string' ? message.content : '';
    // A stop sequence cuts the call's closing tag: put it back, so the history reads as the model meant it.
    // vLLM says which stop string matched (`stop_reason`); other servers do not, and a stop is taken as the stop sequence.
    const matched = (choice as { stop_reason?: unknown }).stop_reason;
    const cutByStop = choice.finish_reason === 'stop' && (matched === undefined || matched === '</function>');
    if (this.setup.toolFormat === 'text') content = closeCutCall(content, cutByStop);
    const turn: ModelTurn = { content, toolCalls: [], timing, ...(reasoning && { reasoning }), ...(completion.model && { model: completion.model }) };
    if (choice.finish_reason) turn.finishReason = choice.finish_reason;
    const usage = usageOf(completion.usage);
    if (usage) turn.usage = usage;
    const logprobs = logprobsOf(choice.logprobs);
    if (logprobs) turn.logprobs = logprobs;
    const extra = completion as unknown as { prompt_token_ids?: unknown };
    const choiceIds = (choice as unknown as { token_ids?: unknown }).token_ids;
    if (isIntArray(extra.prompt_token_ids)) turn.promptTokenIds = extra.prompt_token_ids;
    if (isIntArray(choiceIds)) turn.completionTokenIds = choiceIds;
    else if (logprobs?.tokenIds) turn.completionTokenIds = logprobs.tokenIds;

    const actions: Action[] = [];
    let nudge: string | undefined;
    if (this.setup.toolFormat === 'text') {
      this.messages.push({ role: 'assistant', content });
      const calls = textFormatCalls(content, this.requestNo);
      turn.toolCalls.push(...calls.toolCalls);
      actions.push(...calls.actions);
      nudge = calls.nudge;
    } else {
      const calls = toolCallsOf(message.tool_calls, this.requestNo);
      this.messages.push({
        role: 'assistant',
        content: typeof message.content === 'string' ? message.content : null,
        ...(calls.length > 0 && { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }),
      });
      for (const c of calls) {
        turn.toolCalls.push(c);
        // The arguments as the model wrote them: the env parses and validates them (a broken one is an error observation).
        actions.push({ tool: c.name, input: c.arguments, callId: c.id });
      }
    }
    return { turn, actions, ...(nudge && { nudge }) };
  }
}

/**
 * The reply's tool calls as strings, whatever the server sent: servers differ (a missing `type`,
 * a missing or numeric id, arguments as an object), and a recorded turn must read back. Ids are
 * made unique within the reply, so that each result answers one call.
 */
export function toolCallsOf(raw: unknown, request: number): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  const seen = new Set<string>();
  const calls: ToolCall[] = [];
  raw.forEach((c: unknown, k) => {
    const call = (c ?? {}) as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    if (call.type !== undefined && call.type !== 'function') return;
    if (!call.function || typeof call.function !== 'object') return;
    const { name, arguments: args } = call.function;
    let id = typeof call.id === 'string' && call.id !== '' ? call.id : typeof call.id === 'number' ? String(call.id) : `call_${request}_${k}`;
    if (seen.has(id)) id = `${id}_${k}`;
    seen.add(id);
    calls.push({ id, name: typeof name === 'string' ? name : String(name ?? ''), arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
  });
  return calls;
}

function parseOptions(options: OpenAIAgentOptions) {
  return parseClientOptions(LlmClientOptionsSchema, options, 'OpenAIAgent options');
}

function usageOf(u: Completion['usage']): Usage | undefined {
  if (!u) return undefined;
  const usage: Usage = { promptTokens: u.prompt_tokens ?? 0, completionTokens: u.completion_tokens ?? 0 };
  const cached = u.prompt_tokens_details?.cached_tokens;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof cached === 'number') usage.cachedPromptTokens = cached;
  if (typeof reasoning === 'number') usage.reasoningTokens = reasoning;
  return usage;
}

function logprobsOf(lp: Completion['choices'][number]['logprobs']): Logprobs | undefined {
  const content = lp?.content;
  if (!content || content.length === 0) return undefined;
  const tokens = content.map((c) => c.token);
  const out: Logprobs = { tokens, logprobs: content.map((c) => c.logprob) };
  const ids = idsOfTokens(tokens);
  if (ids) out.tokenIds = ids;
  return out;
}
