import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Agent, AgentModuleFactory } from '../agents/agent.js';
import { AnthropicAgent } from '../agents/llm/anthropic-agent.js';
import type { LlmClientOptions } from '../agents/llm/client-options.js';
import { OpenAIAgent } from '../agents/llm/openai-agent.js';
import { NoopAgent, OracleAgent } from '../agents/simple-agents.js';
import type { Env } from '../env/types.js';
import { UsageError, ValidationError } from '../errors.js';
import { keyValue, nonEmpty, oneOf, wholeNumber } from './args.js';

export const BUILT_IN_AGENTS = ['oracle', 'noop', 'openai', 'anthropic'] as const;
const LLM_AGENTS = ['openai', 'anthropic'];

export interface AgentCliOptions {
  agent: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  toolFormat?: 'function-calling' | 'text';
  temperature?: number;
  maxTokens?: number;
  logprobs?: boolean;
  requestTimeout?: number;
  maxRetries?: number;
  header?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/** The agent name, or a module path (`./x.mjs`, `/abs/x.js`): a module must exist. */
function agentName(value: string): string {
  if ((BUILT_IN_AGENTS as readonly string[]).includes(value)) return value;
  if (/[/\\]|\.[cm]?js$/.test(value)) {
    if (!existsSync(resolve(value))) throw new InvalidArgumentError(`No such module (${resolve(value)}).`);
    return value;
  }
  throw new InvalidArgumentError(`Expected one of: ${BUILT_IN_AGENTS.join(', ')}, or a module path such as ./my-agent.mjs.`);
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) throw new InvalidArgumentError('Expected a number > 0.');
  return n;
}

function temperature(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || n > 2) throw new InvalidArgumentError('Expected a number from 0 to 2.');
  return n;
}

function baseUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new InvalidArgumentError('Expected an http(s) URL, e.g. http://127.0.0.1:8000/v1.');
  return value;
}

function header(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('Expected "Name: value".');
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

/** The options of `run` that choose and configure the agent. */
export function addAgentOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--agent <agent>', `the agent: ${BUILT_IN_AGENTS.join(' | ')} | ./module.mjs (its default export makes an agent per env)`)
        .argParser(agentName)
        .makeOptionMandatory(),
    )
    .option('--model <name>', 'openai/anthropic: the model to ask', nonEmpty)
    .option('--base-url <url>', 'openai: the server, ending in /v1 (vLLM, SGLang, Ollama, ...); anthropic: its root', baseUrl)
    .option('--api-key-env <name>', 'the variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY; a --base-url server may need none)', nonEmpty)
    .addOption(new Option('--tool-format <format>', 'tools by function calling, or in OpenHands\' text format').argParser(oneOf(['function-calling', 'text'] as const)))
    .option('--temperature <t>', 'sampling temperature (0 to 2)', temperature)
    .option('--max-tokens <n>', 'tokens per reply (whole number >= 1)', wholeNumber(1))
    .option('--logprobs', 'openai: ask for per-token logprobs (kept in the trajectory)')
    .option('--request-timeout <seconds>', 'seconds one HTTP attempt may take (default 120)', positiveNumber)
    .option('--max-retries <n>', 'retries of a request that got 408/409/429/5xx or no answer (default 4)', wholeNumber(0))
    .option('--header <"Name: value">', 'a header for every request (repeatable)', header)
    .option('--body <key=value>', 'a field for every request body, JSON when it parses (repeatable; e.g. return_token_ids=true)', keyValue);
}

/** Check what only makes sense together, before any container starts. */
export function checkAgentOptions(o: AgentCliOptions): void {
  const llm = LLM_AGENTS.includes(o.agent);
  if (llm && !o.model) throw new UsageError(`--agent ${o.agent} needs --model`, { option: '--model' });
  if (!llm) {
    const given = (['toolFormat', 'temperature', 'maxTokens', 'logprobs', 'requestTimeout', 'maxRetries', 'header', 'body', 'apiKeyEnv'] as const).find((k) => o[k] !== undefined);
    if (given) throw new UsageError(`--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is an option of --agent openai or anthropic`, { option: `--${given}` });
  }
  if (o.logprobs && o.agent === 'anthropic') throw new UsageError('--logprobs: the Messages API returns no logprobs; use --agent openai', { option: '--logprobs' });
}

function llmOptions(o: AgentCliOptions): LlmClientOptions {
  const sampling: Record<string, unknown> = {};
  if (o.temperature !== undefined) sampling.temperature = o.temperature;
  if (o.maxTokens !== undefined) sampling.max_tokens = o.maxTokens;
  if (o.logprobs) sampling.logprobs = true;
  return {
    model: o.model!,
    ...(o.baseUrl && { baseURL: o.baseUrl }),
    ...(o.apiKeyEnv && { apiKeyEnv: o.apiKeyEnv }),
    ...(o.toolFormat && { toolFormat: o.toolFormat }),
    ...(Object.keys(sampling).length > 0 && { sampling }),
    ...(o.body && { extraBody: o.body }),
    ...(o.header && { headers: o.header as Record<string, string> }),
    ...(o.requestTimeout !== undefined && { timeoutMs: Math.round(o.requestTimeout * 1000) }),
    ...(o.maxRetries !== undefined && { maxRetries: o.maxRetries }),
  };
}

/** The agent factory `rollout` takes: one agent per env. A module is imported once, here. */
export async function agentFactory(o: AgentCliOptions): Promise<(env: Env) => Agent | Promise<Agent>> {
  switch (o.agent) {
    case 'oracle':
      return (env) => new OracleAgent(env);
    case 'noop':
      return () => new NoopAgent();
    case 'openai':
    case 'anthropic': {
      const options = llmOptions(o);
      const make = (): Agent => (o.agent === 'openai' ? new OpenAIAgent(options) : new AnthropicAgent(options));
      // Options (and the API key) are checked now, once, before any container starts.
      try {
        make();
      } catch (err) {
        if (err instanceof ValidationError) throw new UsageError(`--agent ${o.agent}: ${err.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ')}`, { option: '--agent', cause: err });
        throw err;
      }
      return make;
    }
    default:
      return moduleFactory(o);
  }
}

async function moduleFactory(o: AgentCliOptions): Promise<(env: Env) => Promise<Agent>> {
  const path = resolve(o.agent);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new UsageError(`--agent ${o.agent}: the module could not be loaded: ${(err as Error).message}`, { option: '--agent', cause: err });
  }
  const make = mod.default;
  if (typeof make !== 'function') {
    throw new UsageError(`--agent ${o.agent}: the module's default export must be a function (env, options) => agent; it is ${make === undefined ? 'missing' : typeof make}`, { option: '--agent' });
  }
  return async (env) => {
    const agent = (await (make as AgentModuleFactory)(env, { ...(o.model && { model: o.model }), ...(o.baseUrl && { baseURL: o.baseUrl }) })) as Partial<Agent> | undefined;
    if (!agent || typeof agent.act !== 'function' || typeof agent.name !== 'string') {
      throw new UsageError(`--agent ${o.agent}: the default export returned no agent (an object with a string \`name\` and an \`act(observation, context)\` method)`, { option: '--agent' });
    }
    return agent as Agent;
  };
}
