import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicAgent } from '../../../src/agents/llm/anthropic-agent.js';
import { ModelTurnSchema } from '../../../src/agents/model-turn.js';
import { NUDGE } from '../../../src/agents/prompts.js';
import { ModelError } from '../../../src/errors.js';
import { driveAgent } from './drive-agent.js';
import { startScriptedLlm, type ScriptedLlmServer } from '../../support/scripted-llm-server.js';

let llm: ScriptedLlmServer | undefined;
afterEach(async () => {
  await llm?.close();
  llm = undefined;
});

const PROMPT = 'Find the function that parses dates.';

const driver = (agent: AnthropicAgent) => driveAgent(agent, PROMPT);

describe('AnthropicAgent', () => {
  it('queues tool_use blocks, returns all their results in one user message, keeps thinking, nudges a reply without tools', async () => {
    llm = await startScriptedLlm([
      {
        kind: 'anthropic',
        content: [
          { type: 'thinking', thinking: 'Search first.' },
          { type: 'text', text: 'Searching.' },
          { type: 'tool_use', id: 't1', name: 'bash', input: { command: 'grep -rn "def parse" /workspace' } },
          { type: 'tool_use', id: 't2', name: 'bash', input: { command: 'ls /workspace' } },
        ],
      },
      { kind: 'anthropic', content: [{ type: 'text', text: 'Found it.' }] },
      { kind: 'anthropic', content: [{ type: 'tool_use', id: 't3', name: 'finish', input: { message: 'dates.py' } }] },
    ]);
    const agent = new AnthropicAgent({ model: 'claude-x', baseURL: llm.root, apiKey: 'k' });
    const act = driver(agent);
    expect(await act(PROMPT)).toEqual({ tool: 'bash', input: { command: 'grep -rn "def parse" /workspace' }, callId: 't1' });
    expect(await act('dates.py:3:def parse(s):')).toMatchObject({ callId: 't2' });
    expect(await act('no such file', true)).toEqual({ tool: 'think', input: { thought: 'Found it.' } });
    expect(await act('logged')).toMatchObject({ tool: 'finish', callId: 't3' });

    const [first, second, third] = llm.requests.map((r) => r.body);
    expect(first).toMatchObject({ model: 'claude-x', max_tokens: 4096, system: agent.setup.systemPrompt, messages: [{ role: 'user', content: PROMPT }] });
    expect(first.tools.map((t: { name: string }) => t.name)).toEqual(['bash', 'str_replace_editor', 'think', 'finish']);
    expect(second.messages[1].role).toBe('assistant');
    expect(second.messages[1].content.map((b: { type: string }) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use']);
    expect(second.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'dates.py:3:def parse(s):' },
        { type: 'tool_result', tool_use_id: 't2', content: 'no such file', is_error: true },
      ],
    });
    expect(third.messages.slice(3)).toEqual([
      { role: 'assistant', content: [expect.objectContaining({ type: 'text', text: 'Found it.' })] },
      { role: 'user', content: NUDGE },
    ]);
    const turns = agent.takeTurns();
    for (const t of turns) ModelTurnSchema.parse(t);
    expect(turns[0]).toMatchObject({
      content: 'Searching.',
      reasoning: 'Search first.',
      toolCalls: [{ id: 't1', name: 'bash', arguments: '{"command":"grep -rn \\"def parse\\" /workspace"}' }, { id: 't2' }],
      finishReason: 'tool_use',
    });
    expect(turns[0]!.usage!.completionTokens).toBeGreaterThan(0);
    expect(turns[1]!.nudge).toBe(NUDGE);
  });

  it('retries a 500, then gives a ModelError when the server keeps failing', async () => {
    llm = await startScriptedLlm(() => ({ kind: 'status', status: 500 }));
    const agent = new AnthropicAgent({ model: 'claude-x', baseURL: llm.root, apiKey: 'k', maxRetries: 2 });
    const err = (await driver(agent)(PROMPT).catch((e: unknown) => e)) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.attempts).toBe(3);
    expect(err.status).toBe(500);
    expect(llm.requests).toHaveLength(3);
  });
});
