import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIAgent, toolCallsOf } from '../../../src/agents/llm/openai-agent.js';
import { ModelTurnSchema, ToolCallSchema } from '../../../src/agents/model-turn.js';
import { NUDGE } from '../../../src/agents/prompts.js';
import { ModelError, ValidationError } from '../../../src/errors.js';
import type { Observation } from '../../../src/tools/types.js';
import { driveAgent } from './drive-agent.js';
import { startScriptedLlm, type Reply, type ScriptedLlmServer } from '../../support/scripted-llm-server.js';

let llm: ScriptedLlmServer | undefined;
afterEach(async () => {
  await llm?.close();
  llm = undefined;
});

const PROMPT = 'Fix the bug in /workspace/app.py.';

/** Drive the agent with observations made up by the test: the agent's own logic only. */
const driver = (agent: OpenAIAgent) => {
  const act = driveAgent(agent, PROMPT);
  return (observation: Observation) => act(observation.text, observation.isError);
};

const obs = (text: string, isError = false): Observation => ({ text, isError });
const call = (name: string, args: unknown, id?: string) => ({ name, arguments: JSON.stringify(args), ...(id && { id }) });

describe('OpenAIAgent: function calling', () => {
  it('queues parallel calls, sends their results as tool messages, answers a reply without a call with a nudge', async () => {
    const replies: Reply[] = [
      { kind: 'openai', message: { content: 'Two looks.', tool_calls: [call('bash', { command: 'ls' }, 'a'), call('str_replace_editor', { command: 'view', path: '/workspace/app.py' }, 'b')] } },
      { kind: 'openai', message: { content: 'I think it is fixed.' } },
      { kind: 'openai', message: { content: null, tool_calls: [call('finish', { message: 'done' }, 'c')] } },
    ];
    llm = await startScriptedLlm(replies);
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url, sampling: { temperature: 0 } });
    const act = driver(agent);
    expect(await act(obs(PROMPT))).toEqual({ tool: 'bash', input: '{"command":"ls"}', callId: 'a' });
    // The queued call needs no request.
    expect(await act(obs('app.py\n'))).toEqual({ tool: 'str_replace_editor', input: '{"command":"view","path":"/workspace/app.py"}', callId: 'b' });
    expect(llm.requests).toHaveLength(1);
    const thought = await act(obs('1\tprint(1)', true));
    expect(thought).toEqual({ tool: 'think', input: { thought: 'I think it is fixed.' } });
    expect(await act(obs('Your thought has been logged.'))).toMatchObject({ tool: 'finish', callId: 'c' });

    const [first, second, third] = llm.requests.map((r) => r.body);
    expect(first.model).toBe('m');
    expect(first.temperature).toBe(0);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['bash', 'str_replace_editor', 'think', 'finish']);
    expect(first.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(first.messages[1].content).toBe(PROMPT);
    expect(second.messages.slice(2)).toEqual([
      { role: 'assistant', content: 'Two looks.', tool_calls: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })] },
      { role: 'tool', tool_call_id: 'a', content: 'app.py\n' },
      { role: 'tool', tool_call_id: 'b', content: '1\tprint(1)' },
    ]);
    // The stand-in think's observation is not sent: the nudge answers the reply.
    expect(third.messages.slice(5)).toEqual([
      { role: 'assistant', content: 'I think it is fixed.' },
      { role: 'user', content: NUDGE },
    ]);

    const turns = agent.takeTurns();
    expect(turns).toHaveLength(3);
    for (const t of turns) ModelTurnSchema.parse(t);
    expect(turns[0]).toMatchObject({ content: 'Two looks.', toolCalls: [{ id: 'a', name: 'bash' }, { id: 'b' }], finishReason: 'tool_calls', model: 'm', timing: { attempts: 1 } });
    expect(turns[0]!.usage!.promptTokens).toBeGreaterThan(0);
    expect(turns[1]).toMatchObject({ toolCalls: [], nudge: NUDGE });
    expect(agent.takeTurns()).toEqual([]);
  });

  it('keeps logprobs, completion token ids and prompt token ids the server returns', async () => {
    llm = await startScriptedLlm([
      {
        kind: 'openai',
        message: { tool_calls: [call('finish', {})], reasoning_content: 'Nothing to do.' },
        logprobs: [
          { token: 'token_id:11', logprob: -0.5 },
          { token: 'token_id:12', logprob: -0.25 },
        ],
        promptTokenIds: [1, 2, 3],
        tokenIds: [11, 12],
      },
      { kind: 'openai', message: { tool_calls: [call('finish', {})] }, logprobs: [{ token: 'fin', logprob: -1 }] },
    ]);
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url, sampling: { logprobs: true }, extraBody: { return_token_ids: true } });
    await driver(agent)(obs(PROMPT));
    const [turn] = agent.takeTurns();
    expect(turn).toMatchObject({
      reasoning: 'Nothing to do.',
      logprobs: { tokens: ['token_id:11', 'token_id:12'], logprobs: [-0.5, -0.25], tokenIds: [11, 12] },
      promptTokenIds: [1, 2, 3],
      completionTokenIds: [11, 12],
    });
    expect(llm.requests[0]!.body).toMatchObject({ logprobs: true, return_token_ids: true });
    // Tokens as text: no ids made up.
    await driver(agent)(obs(PROMPT));
    const [plain] = agent.takeTurns();
    expect(plain!.logprobs).toEqual({ tokens: ['fin'], logprobs: [-1] });
    expect(plain!.completionTokenIds).toBeUndefined();
  });

  it('retries a 429 after its Retry-After and records the attempts', async () => {
    llm = await startScriptedLlm([
      { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
      { kind: 'openai', message: { tool_calls: [call('finish', {})] } },
    ]);
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url, maxRetries: 2 });
    await driver(agent)(obs(PROMPT));
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]!.at - llm.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(agent.takeTurns()[0]!.timing.attempts).toBe(2);
  });

  it('a server that does not answer is a ModelError after the timeout and the retries', async () => {
    llm = await startScriptedLlm(() => ({ kind: 'hang' }));
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url, timeoutMs: 300, maxRetries: 1 });
    const err = await driver(agent)(obs(PROMPT)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).attempts).toBe(2);
    expect((err as ModelError).message).toMatch(/did not answer after 2 attempts/);
  });

  it('a refused request (400) is a ModelError naming the status, not retried', async () => {
    llm = await startScriptedLlm([{ kind: 'status', status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } }]);
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url });
    const err = (await driver(agent)(obs(PROMPT)).catch((e: unknown) => e)) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/answered 400.*context too long/);
    expect(llm.requests).toHaveLength(1);
  });

  it('a new episode (step 0) starts a new conversation', async () => {
    llm = await startScriptedLlm(() => ({ kind: 'openai', message: { tool_calls: [call('bash', { command: 'pwd' })] } }));
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url });
    const act = driver(agent);
    await act(obs(PROMPT));
    await act(obs('/workspace'));
    await driver(agent)(obs(PROMPT));
    expect(llm.requests.map((r) => r.body.messages.length)).toEqual([2, 4, 2]);
  });

  it('checks its options: a missing model, an unknown option, no key for the default endpoint', () => {
    expect(() => new OpenAIAgent({ model: '' })).toThrow(ValidationError);
    expect(() => new OpenAIAgent({ model: 'm', temprature: 1 } as never)).toThrow(/temprature/);
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      expect(() => new OpenAIAgent({ model: 'm' })).toThrow(/no API key: set OPENAI_API_KEY/);
      expect(() => new OpenAIAgent({ model: 'm', apiKeyEnv: 'MY_KEY' })).toThrow(/set MY_KEY/);
      expect(new OpenAIAgent({ model: 'm', baseURL: 'http://127.0.0.1:1/v1' }).name).toBe('openai:m');
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });
});

describe('toolCallsOf: tool calls as servers really send them, made to read back', () => {
  it('gives string ids, names and arguments, unique ids, and keeps calls without a type', () => {
    const calls = toolCallsOf(
      [
        { id: 'a', type: 'function', function: { name: 'bash', arguments: { command: 'ls' } } },
        { id: 7, function: { name: null, arguments: '{}' } },
        { type: 'function', function: { name: 'think' } },
        { id: 'a', type: 'function', function: { name: 'finish', arguments: '{}' } },
        { id: 'x', type: 'custom', custom: { name: 'other' } },
        null,
      ],
      2,
    );
    expect(calls).toEqual([
      { id: 'a', name: 'bash', arguments: '{"command":"ls"}' },
      { id: '7', name: '', arguments: '{}' },
      { id: 'call_2_2', name: 'think', arguments: '{}' },
      { id: 'a_3', name: 'finish', arguments: '{}' },
    ]);
    for (const c of calls) ToolCallSchema.parse(c);
    expect(toolCallsOf('not a list', 1)).toEqual([]);
  });
});

describe('OpenAIAgent: OpenHands text format', () => {
  it('offers the tools in the system prompt, parses <function=...> calls, sends results as EXECUTION RESULT user messages', async () => {
    llm = await startScriptedLlm([
      // Cut by the stop sequence, as a server does.
      { kind: 'openai', message: { content: 'Let me look.\n<function=execute_bash>\n<parameter=command>cat /workspace/app.py</parameter>\n' }, finishReason: 'stop' },
      { kind: 'openai', message: { content: '<function=>\n<parameter=command>ls</parameter>\n' }, finishReason: 'stop' },
      { kind: 'openai', message: { content: '<function=finish>\n<parameter=message>done</parameter>\n</function>' } },
    ]);
    const agent = new OpenAIAgent({ model: 'm', baseURL: llm.url, toolFormat: 'text' });
    const act = driver(agent);
    expect(await act(obs(PROMPT))).toEqual({ tool: 'execute_bash', input: { command: 'cat /workspace/app.py' }, callId: 'call_1_0' });
    // A broken call: the parser's error is the nudge, and the step is a thought.
    expect(await act(obs('print(1)'))).toMatchObject({ tool: 'think' });
    expect(await act(obs('logged'))).toMatchObject({ tool: 'finish', input: { message: 'done' } });

    const [first, second, third] = llm.requests.map((r) => r.body);
    expect(first.tools).toBeUndefined();
    expect(first.stop).toEqual(['</function>']);
    expect(first.messages[0].content).toMatch(/BEGIN FUNCTION #1: execute_bash/);
    expect(first.messages[0].content).toBe(agent.setup.systemPrompt);
    expect(second.messages.slice(2)).toEqual([
      { role: 'assistant', content: 'Let me look.\n<function=execute_bash>\n<parameter=command>cat /workspace/app.py</parameter>\n</function>' },
      { role: 'user', content: 'EXECUTION RESULT of [execute_bash]:\nprint(1)' },
    ]);
    expect(third.messages.at(-1).role).toBe('user');
    expect(third.messages.at(-1).content).not.toBe(NUDGE);
    const turns = agent.takeTurns();
    expect(turns[0]!.toolCalls).toEqual([{ id: 'call_1_0', name: 'execute_bash', arguments: '{"command":"cat /workspace/app.py"}' }]);
    expect(turns[1]!.nudge).toBe(third.messages.at(-1).content);
    expect(agent.setup).toMatchObject({ api: 'openai', toolFormat: 'text', bashName: 'execute_bash', sampling: { stop: ['</function>'] } });
  });
});
