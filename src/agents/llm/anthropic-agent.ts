import type Anthropic from '@anthropic-ai/sdk';
import { toolSchemas, type AnthropicTool } from '../../tools/export-schemas.js';
import type { Action } from '../../tools/types.js';
import type { AgentSetup, ModelTurn, Usage } from '../model-turn.js';
import { SYSTEM_PROMPT, systemPromptFor } from '../prompts.js';
import { countingFetch, LlmClientOptionsSchema, loadSdk, parseClientOptions, resolveApiKey, sdkClientOptions, timedRequest, type LlmClientOptions } from './client-options.js';
import { LlmAgent, type ModelReply, type ToolResult } from './llm-agent.js';
import { closeCutCall, textFormatCalls, textResults, toolSetupOf } from './text-format.js';

export type AnthropicAgentOptions = LlmClientOptions;

/** A content block as the Messages API returns it (only the kinds the agent reads are named). */
type Block = { type: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown };
type Turn = { role: 'user' | 'assistant'; content: string | unknown[] };

const DEFAULT_MAX_TOKENS = 4096;

/**
 * An agent on Anthropic's Messages API: tools as `tool_use` blocks (all results of a reply go back
 * in one user message of `tool_result` blocks), or OpenHands' text format. Thinking blocks are kept
 * in the conversation as returned and recorded as the turn's reasoning. Retries, timeouts and
 * errors as {@link OpenAIAgent}'s. `max_tokens` (required by the API) defaults to 4096.
 */
export class AnthropicAgent extends LlmAgent {
  readonly name: string;
  readonly setup: AgentSetup;
  private readonly options: ReturnType<typeof parseOptions>;
  private readonly counter: ReturnType<typeof countingFetch>;
  private readonly apiKey: string;
  private client: Promise<Anthropic> | undefined;
  private messages: Turn[] = [];
  private readonly tools: AnthropicTool[] | undefined;

  constructor(options: AnthropicAgentOptions) {
    super();
    this.options = parseOptions(options);
    const o = this.options;
    const { toolFormat, bashName } = toolSetupOf(o);
    this.name = o.name ?? `anthropic:${o.model}`;
    const sampling = { max_tokens: DEFAULT_MAX_TOKENS, ...(toolFormat === 'text' && { stop_sequences: ['</function>'] }), ...o.sampling };
    this.setup = { api: 'anthropic', model: o.model, toolFormat, systemPrompt: systemPromptFor(toolFormat, o.systemPrompt ?? SYSTEM_PROMPT, { bashName }), bashName, sampling };
    this.tools = toolFormat === 'function-calling' ? toolSchemas('anthropic', { bashName }) : undefined;
    this.counter = countingFetch(o.fetch);
    // Checked now: a missing key fails before any episode, not in each of them.
    this.apiKey = resolveApiKey(o, 'ANTHROPIC_API_KEY', 'AnthropicAgent');
  }

  private sdk(): Promise<Anthropic> {
    const o = this.options;
    this.client ??= loadSdk('@anthropic-ai/sdk', () => import('@anthropic-ai/sdk')).then(
      ({ default: AnthropicClient }) =>
        new AnthropicClient(sdkClientOptions(o, this.apiKey, this.counter.fetch)),
    );
    return this.client;
  }

  protected begin(prompt: string): void {
    this.messages = [{ role: 'user', content: prompt }];
  }

  protected addResults(results: ToolResult[]): void {
    if (this.setup.toolFormat === 'text') {
      this.messages.push({ role: 'user', content: textResults(results) });
      return;
    }
    this.messages.push({
      role: 'user',
      content: results.map((r) => ({ type: 'tool_result', tool_use_id: r.call.id, content: r.observation.text, ...(r.observation.isError && { is_error: true }) })),
    });
  }

  protected addNudge(text: string): void {
    this.messages.push({ role: 'user', content: text });
  }

  protected async request(): Promise<ModelReply> {
    const client = await this.sdk();
    const body = {
      model: this.setup.model,
      system: this.setup.systemPrompt,
      messages: this.messages,
      ...(this.tools && { tools: this.tools }),
      ...this.setup.sampling,
      ...this.options.extraBody,
    } as unknown as Anthropic.Messages.MessageCreateParamsNonStreaming;
    const { reply: message, timing } = await timedRequest(this.counter, `${this.setup.model} at ${client.baseURL}`, () => client.messages.create(body));
    return this.reply(message, timing);
  }

  private reply(message: Anthropic.Messages.Message, timing: ModelTurn['timing']): ModelReply {
    const blocks = (message.content ?? []) as Block[];
    const text = blocks.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n');
    const thinking = blocks.filter((b) => b.type === 'thinking').map((b) => b.thinking ?? '').join('\n');
    const content = this.setup.toolFormat === 'text' ? closeCutCall(text, message.stop_reason === 'stop_sequence') : text;
    const turn: ModelTurn = { content, toolCalls: [], timing, ...(thinking && { reasoning: thinking }), ...(message.model && { model: message.model }) };
    if (message.stop_reason) turn.finishReason = message.stop_reason;
    const usage = usageOf(message.usage as unknown as Record<string, unknown> | undefined);
    if (usage) turn.usage = usage;
    const actions: Action[] = [];
    let nudge: string | undefined;
    if (this.setup.toolFormat === 'text') {
      this.messages.push({ role: 'assistant', content: content || '(no reply)' });
      const calls = textFormatCalls(content, this.requestNo);
      turn.toolCalls.push(...calls.toolCalls);
      actions.push(...calls.actions);
      nudge = calls.nudge;
    } else {
      // The reply goes back as it came (thinking blocks with their signatures included), as the API requires.
      this.messages.push({ role: 'assistant', content: message.content as unknown[] });
      for (const b of blocks) {
        if (b.type !== 'tool_use' || typeof b.id !== 'string' || typeof b.name !== 'string') continue;
        turn.toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
        actions.push({ tool: b.name, input: b.input ?? {}, callId: b.id });
      }
    }
    return { turn, actions, ...(nudge && { nudge }) };
  }
}

function parseOptions(options: AnthropicAgentOptions) {
  return parseClientOptions(LlmClientOptionsSchema, options, 'AnthropicAgent options');
}

function usageOf(u: Record<string, unknown> | undefined): Usage | undefined {
  if (!u) return undefined;
  const n = (k: string): number | undefined => (typeof u[k] === 'number' ? (u[k] as number) : undefined);
  const usage: Usage = { promptTokens: n('input_tokens') ?? 0, completionTokens: n('output_tokens') ?? 0 };
  const cached = n('cache_read_input_tokens');
  if (cached !== undefined) usage.cachedPromptTokens = cached;
  return usage;
}
