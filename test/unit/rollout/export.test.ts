import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { ModelTurn } from '../../../src/agents/model-turn.js';
import { NUDGE, executionResult, SYSTEM_PROMPT, systemPromptFor } from '../../../src/agents/prompts.js';
import { EpisodeSchema } from '../../../src/rollout/episode-file.js';
import { describeExport, exportEpisode, exportEpisodes, toConversation, type ExportFormat } from '../../../src/rollout/export/index.js';
import type { EpisodeRecord } from '../../../src/rollout/rollout.js';
import type { Episode } from '../../../src/rollout/run-episode.js';
import { parseTextToolCalls } from '../../../src/tools/parse.js';
import { resolveToolName } from '../../../src/tools/tool-names.js';

const timing = { startedAt: '2025-01-01T00:00:00.000Z', latencyMs: 10, attempts: 1 };
const turn = (t: Partial<ModelTurn>): ModelTurn => ({ content: '', toolCalls: [], timing, ...t });
const ok = (text: string) => ({ text, isError: false });

function episode(e: Partial<Episode> & Pick<Episode, 'steps'>): Episode {
  const value = {
    envId: 'hybrid-gym/func-localize-v0',
    instanceId: 'shop-1',
    agent: 'llm',
    prompt: 'Find the function that computes the total of a cart.',
    reward: 1,
    success: true,
    terminated: true,
    truncated: false,
    info: { instanceId: e.instanceId ?? 'shop-1', step: e.steps.length, elapsedMs: 5 },
    durationMs: 50,
    ...e,
  };
  // What a trajectories file holds: checked against the reader's schema.
  return EpisodeSchema.parse(value) as Episode;
}

const FC_SETUP = { api: 'openai', model: 'm', toolFormat: 'function-calling', systemPrompt: 'You are the agent (function calling).', bashName: 'bash' } as const;

/** Function calling: parallel calls, a nudge, a call with malformed arguments, finish. */
const functionCalling = episode({
  setup: FC_SETUP,
  model: 'm',
  turns: [
    turn({
      content: 'Let me look around.',
      reasoning: 'The cart module is likely in shop/.',
      toolCalls: [
        { id: 'call_a', name: 'bash', arguments: '{"command": "ls shop"}' },
        { id: 'call_b', name: 'str_replace_editor', arguments: '{"command":"view","path":"/workspace/shop/cart.py","view_range":[1,20]}' },
      ],
    }),
    turn({ content: 'I think I know.', nudge: NUDGE }),
    turn({ content: '', toolCalls: [{ id: 'call_c', name: 'execute_bash', arguments: '{"command": "grep -n total' }] }),
    turn({ content: 'Done.', toolCalls: [{ id: 'call_d', name: 'finish', arguments: '{"message": "cart.total"}' }] }),
  ],
  steps: [
    { action: { tool: 'bash', input: '{"command": "ls shop"}', callId: 'call_a' }, observation: ok('cart.py\nprices.py'), reward: 0, turn: 0 },
    { action: { tool: 'str_replace_editor', input: '{"command":"view","path":"/workspace/shop/cart.py","view_range":[1,20]}', callId: 'call_b' }, observation: ok('1\tdef total(items):'), reward: 0, turn: 0 },
    { action: { tool: 'think', input: { thought: 'I think I know.' } }, observation: ok('Your thought has been logged.'), reward: 0, turn: 1 },
    { action: { tool: 'execute_bash', input: '{"command": "grep -n total', callId: 'call_c' }, observation: { text: 'The arguments of the call to `execute_bash` are not valid JSON', isError: true }, reward: 0, turn: 2 },
    { action: { tool: 'finish', input: '{"message": "cart.total"}', callId: 'call_d' }, observation: ok('Finished: cart.total'), reward: 1, turn: 3 },
  ],
});

/** The text format: calls in the content, the thought before them. */
const TEXT_SYSTEM = systemPromptFor('text', SYSTEM_PROMPT, { bashName: 'execute_bash' });
const textFormat = episode({
  setup: { api: 'openai', model: 'm', toolFormat: 'text', systemPrompt: TEXT_SYSTEM, bashName: 'execute_bash' },
  turns: [
    turn({
      content: 'First the files.\n\n<function=execute_bash>\n<parameter=command>ls -la /workspace</parameter>\n</function>',
      toolCalls: [{ id: 't1', name: 'execute_bash', arguments: '{"command":"ls -la /workspace"}' }],
    }),
    turn({
      content: 'Now a new file.\n<function=str_replace_editor>\n<parameter=command>create</parameter>\n<parameter=path>/workspace/a.py</parameter>\n<parameter=file_text>\n\ndef f():\n    return 1\n\n</parameter>\n</function>',
      toolCalls: [{ id: 't2', name: 'str_replace_editor', arguments: '{"command":"create","path":"/workspace/a.py","file_text":"\\ndef f():\\n    return 1\\n"}' }],
    }),
    turn({ content: '<function=finish>\n<parameter=message>done</parameter>\n</function>', toolCalls: [{ id: 't3', name: 'finish', arguments: '{"message":"done"}' }] }),
  ],
  steps: [
    { action: { tool: 'execute_bash', input: { command: 'ls -la /workspace' } }, observation: ok('a.py'), reward: 0, turn: 0 },
    { action: { tool: 'str_replace_editor', input: { command: 'create', path: '/workspace/a.py', file_text: '\ndef f():\n    return 1\n' } }, observation: ok('File created.'), reward: 0, turn: 1 },
    { action: { tool: 'finish', input: { message: 'done' } }, observation: ok('Finished: done'), reward: 1, turn: 2 },
  ],
});

/** An oracle: no turns, no setup, input objects. */
const oracle = episode({
  agent: 'oracle',
  steps: [
    { action: { tool: 'str_replace_editor', input: { command: 'str_replace', path: '/workspace/x.py', old_str: 'a', new_str: 'b' } }, observation: ok('edited'), reward: 0 },
    { action: { tool: 'bash', input: { command: 'python -m pytest -q', timeout: 30 } }, observation: ok('1 passed'), reward: 0 },
    { action: { tool: 'finish', input: { message: 'oracle done' } }, observation: ok('Finished'), reward: 1 },
  ],
});

const ALL = { functionCalling, textFormat, oracle };
const FORMATS: ExportFormat[] = ['openai', 'hf', 'openhands', 'sharegpt'];

/** The steps' actions as the model meant them: canonical tool, input as an object. */
const stepActions = (e: Episode, skip: (i: number) => boolean = () => false) =>
  e.steps.flatMap((s, i) => (skip(i) ? [] : [{ tool: resolveToolName(s.action.tool), input: typeof s.action.input === 'string' ? JSON.parse(s.action.input) : s.action.input }]));

describe('toConversation', () => {
  it('groups a turn\'s calls, keeps raw arguments that are not JSON, and puts nudges in place of the think stand-in', () => {
    const c = toConversation(functionCalling);
    expect(c.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'tool', 'assistant', 'nudge', 'assistant', 'tool', 'assistant']);
    const [first, , , nudged, , bad, , last] = c.messages;
    expect(first).toMatchObject({ text: 'Let me look around.', reasoning: 'The cart module is likely in shop/.', calls: [{ id: 'call_a', tool: 'bash', input: { command: 'ls shop' } }, { id: 'call_b', tool: 'str_replace_editor' }] });
    expect(nudged).toEqual({ role: 'assistant', text: 'I think I know.', calls: [] });
    expect(bad).toMatchObject({ calls: [{ id: 'call_c', tool: 'bash', input: '{"command": "grep -n total', arguments: '{"command": "grep -n total' }] });
    expect(last).toMatchObject({ calls: [{ tool: 'finish', input: { message: 'cart.total' } }] });
    expect(toConversation(functionCalling, { bashName: 'execute_bash' }).messages[0]).toMatchObject({ calls: [{ tool: 'execute_bash' }, {}] });
  });

  it('gives each step of an agent without turns a turn of its own, ids call_<step>', () => {
    const c = toConversation(oracle);
    expect(c.messages.map((m) => (m.role === 'assistant' ? `${m.text}|${m.calls.map((x) => `${x.id}:${x.tool}`).join(',')}` : m.role))).toEqual([
      '|call_0:str_replace_editor',
      'tool',
      '|call_1:bash',
      'tool',
      '|call_2:finish',
    ]);
  });

  it('takes the text before the first <function= as the thought in the text format', () => {
    const c = toConversation(textFormat);
    expect(c.messages.filter((m) => m.role === 'assistant').map((m) => m.role === 'assistant' && m.text)).toEqual(['First the files.', 'Now a new file.', '']);
  });
});

describe('openai', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../fixtures/schemas/openai-chat.schema.json', import.meta.url), 'utf8')) as object);

  it.each(Object.entries(ALL))('%s: the client\'s types, the JSON Schema, and every tool message answers an earlier call', (_name, e) => {
    const line = exportEpisode(e, 'openai');
    // Compiles without casts: tsc --noEmit checks this file.
    const m: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = line.messages;
    const t: OpenAI.Chat.Completions.ChatCompletionTool[] = line.tools;
    expect(m.length).toBeGreaterThan(2);
    expect(t.map((x) => x.type === 'function' && x.function.name)).toContain(e.setup?.bashName ?? 'bash');
    const json: unknown = JSON.parse(JSON.stringify(line));
    expect(validate(json), ajv.errorsText(validate.errors)).toBe(true);
    const called = new Set<string>();
    for (const msg of line.messages) {
      if (msg.role === 'assistant') for (const c of msg.tool_calls ?? []) called.add(c.id);
      if (msg.role === 'tool') expect(called.has(msg.tool_call_id), `tool message for ${msg.tool_call_id} before its call`).toBe(true);
      if (msg.role === 'assistant' && msg.content === null) expect(msg.tool_calls?.length).toBeGreaterThan(0);
    }
    expect(line.messages.at(-1)).toMatchObject({ role: 'assistant', tool_calls: [{ function: { name: 'finish' } }] });
  });

  it('keeps parallel calls in one message, the raw arguments, nudges as user; leaves reasoning out', () => {
    const { messages } = exportEpisode(functionCalling, 'openai');
    expect(messages[0]).toEqual({ role: 'system', content: FC_SETUP.systemPrompt });
    expect(messages[1]).toEqual({ role: 'user', content: functionCalling.prompt });
    expect(messages[2]).toEqual({
      role: 'assistant',
      content: 'Let me look around.',
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'bash', arguments: '{"command": "ls shop"}' } },
        { id: 'call_b', type: 'function', function: { name: 'str_replace_editor', arguments: '{"command":"view","path":"/workspace/shop/cart.py","view_range":[1,20]}' } },
      ],
    });
    expect(messages.slice(3, 7)).toEqual([
      { role: 'tool', tool_call_id: 'call_a', content: 'cart.py\nprices.py' },
      { role: 'tool', tool_call_id: 'call_b', content: '1\tdef total(items):' },
      { role: 'assistant', content: 'I think I know.' },
      { role: 'user', content: NUDGE },
    ]);
    expect(messages[7]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_c', type: 'function', function: { name: 'bash', arguments: '{"command": "grep -n total' } }] });
    expect(JSON.stringify(messages)).not.toContain('likely in shop');
    expect(exportEpisode(functionCalling, 'openai', { reasoning: 'think' }).messages[2]).toMatchObject({ content: '<think>\nThe cart module is likely in shop/.\n</think>\n\nLet me look around.' });
  });

  it('uses SYSTEM_PROMPT for text-format and oracle episodes', () => {
    expect(exportEpisode(textFormat, 'openai').messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    expect(exportEpisode(oracle, 'openai').messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
  });
});

describe('hf', () => {
  it('is the openai export with arguments as objects (chat templates write them with tojson); unreadable ones stay text', () => {
    const hf = exportEpisode(functionCalling, 'hf');
    const openai = exportEpisode(functionCalling, 'openai');
    expect(hf.tools).toEqual(openai.tools);
    expect(hf.messages.length).toBe(openai.messages.length);
    expect(hf.messages[2]).toMatchObject({
      tool_calls: [{ id: 'call_a', function: { name: 'bash', arguments: { command: 'ls shop' } } }, { function: { arguments: { command: 'view', path: '/workspace/shop/cart.py', view_range: [1, 20] } } }],
    });
    expect(hf.messages[7]).toMatchObject({ tool_calls: [{ function: { arguments: '{"command": "grep -n total' } }] });
    hf.messages.forEach((m, i) => {
      if (m.role !== 'assistant') expect(m).toEqual(openai.messages[i]);
    });
  });
});

describe('openhands', () => {
  it.each(Object.entries(ALL))('%s: one call per assistant message, each parsing back to its step\'s action', (name, e) => {
    const { messages } = exportEpisode(e, 'openhands');
    expect(messages[0]!.role).toBe('system');
    expect(messages[1]).toEqual({ role: 'user', content: e.prompt });
    const parsed = messages.filter((m) => m.role === 'assistant').map((m) => parseTextToolCalls(m.content));
    const actions = parsed.flatMap((p) => {
      if (!p.ok) return [];
      expect(p.actions).toHaveLength(1);
      return p.actions.map((a) => ({ tool: resolveToolName(a.tool), input: a.input }));
    });
    // The nudge's think stand-in and the malformed call are no calls of the text format.
    const skipped = name === 'functionCalling' ? new Set([2, 3]) : new Set<number>();
    expect(actions).toEqual(stepActions(e, (i) => skipped.has(i)));
    for (let i = 2; i < messages.length; i++) expect(messages[i]!.role).not.toBe(messages[i - 1]!.role);
  });

  it('splits parallel calls, the thought with the first; results as EXECUTION RESULT; nudges and unreadable calls as user text', () => {
    const { messages } = exportEpisode(functionCalling, 'openhands');
    expect(messages[0]!.content).toBe(systemPromptFor('text', SYSTEM_PROMPT, { bashName: 'execute_bash' }));
    expect(messages.slice(2).map((m) => `${m.role}: ${m.content}`)).toEqual([
      'assistant: Let me look around.\n\n<function=execute_bash>\n<parameter=command>ls shop</parameter>\n</function>',
      `user: ${executionResult('execute_bash', 'cart.py\nprices.py')}`,
      'assistant: <function=str_replace_editor>\n<parameter=command>view</parameter>\n<parameter=path>/workspace/shop/cart.py</parameter>\n<parameter=view_range>[1,20]</parameter>\n</function>',
      `user: ${executionResult('str_replace_editor', '1\tdef total(items):')}`,
      'assistant: I think I know.',
      `user: ${NUDGE}`,
      'assistant: {"command": "grep -n total',
      'user: The arguments of the call to `execute_bash` are not valid JSON',
      'assistant: Done.\n\n<function=finish>\n<parameter=message>cart.total</parameter>\n</function>',
    ]);
  });

  it('keeps the setup\'s text-format system prompt, and values with line breaks exactly', () => {
    const { messages } = exportEpisode(textFormat, 'openhands');
    expect(messages[0]!.content).toBe(TEXT_SYSTEM);
    expect(messages[4]!.content).toBe('Now a new file.\n\n<function=str_replace_editor>\n<parameter=command>create</parameter>\n<parameter=path>/workspace/a.py</parameter>\n<parameter=file_text>\n\ndef f():\n    return 1\n\n</parameter>\n</function>');
    expect(exportEpisode(textFormat, 'openhands', { bashName: 'bash' }).messages[0]!.content).toBe(systemPromptFor('text', SYSTEM_PROMPT, { bashName: 'bash' }));
  });
});

describe('sharegpt', () => {
  it.each(Object.entries(ALL))('%s: human/observation at odd positions, gpt/function_call at even, ending on the model', (_name, e) => {
    const line = exportEpisode(e, 'sharegpt');
    const c = line.conversations;
    expect(c.length % 2).toBe(0);
    c.forEach((m, i) => expect(i % 2 === 0 ? ['human', 'observation'] : ['gpt', 'function_call'], `position ${i + 1}: ${m.from}`).toContain(m.from));
    expect(c[0]).toEqual({ from: 'human', value: e.prompt });
    for (const m of c.filter((x) => x.from === 'function_call')) {
      const v: unknown = JSON.parse(m.value);
      for (const call of Array.isArray(v) ? v : [v]) expect(Object.keys(call as object)).toEqual(['name', 'arguments']);
    }
    const tools = JSON.parse(line.tools) as Array<{ name: string }>;
    expect(tools.map((t) => t.name)).toEqual([e.setup?.bashName ?? 'bash', 'str_replace_editor', 'think', 'finish']);
  });

  it('parallel calls as one array and one observation; text before a call left out; nudges as gpt then human', () => {
    const line = exportEpisode(functionCalling, 'sharegpt');
    expect(line.system).toBe(FC_SETUP.systemPrompt);
    expect(line.conversations.slice(1)).toEqual([
      { from: 'function_call', value: JSON.stringify([{ name: 'bash', arguments: { command: 'ls shop' } }, { name: 'str_replace_editor', arguments: { command: 'view', path: '/workspace/shop/cart.py', view_range: [1, 20] } }]) },
      { from: 'observation', value: JSON.stringify(['cart.py\nprices.py', '1\tdef total(items):']) },
      { from: 'gpt', value: 'I think I know.' },
      { from: 'human', value: NUDGE },
      { from: 'function_call', value: JSON.stringify({ name: 'bash', arguments: '{"command": "grep -n total' }) },
      { from: 'observation', value: 'The arguments of the call to `execute_bash` are not valid JSON' },
      { from: 'function_call', value: JSON.stringify({ name: 'finish', arguments: { message: 'cart.total' } }) },
    ]);
    expect(exportEpisode(functionCalling, 'sharegpt', { reasoning: 'think' }).conversations[1]!.value).toMatch(/^<think>\nThe cart module is likely in shop\/.\n<\/think>\n\n\[\{"name":"bash"/);
  });

  it('drops a trailing observation of an episode that stopped before finish', () => {
    const cut = episode({ ...oracle, steps: oracle.steps.slice(0, 2), truncated: true, terminated: false });
    const c = exportEpisode(cut, 'sharegpt').conversations;
    expect(c.at(-1)!.from).toBe('function_call');
    expect(exportEpisode(cut, 'openai').messages.at(-1)).toMatchObject({ role: 'tool', content: '1 passed' });
  });
});

describe('exportEpisodes', () => {
  const failedStart: EpisodeRecord = { instanceId: 'x', error: { code: 'SANDBOX', message: 'engine gone' } };
  const infra = episode({ ...oracle, instanceId: 'infra', reward: 0, info: { instanceId: 'infra', step: 1, elapsedMs: 1, infraError: { code: 'SANDBOX', message: 'container died' } } });
  const low = episode({ ...oracle, instanceId: 'low', reward: 0.25 });
  // Solved before its model stopped answering: reward 1, but the episode did not end by the model's decisions.
  const cutShort = episode({ ...oracle, instanceId: 'cut', reward: 1, info: { instanceId: 'cut', step: 2, elapsedMs: 1, truncation: 'agent', agentError: { code: 'MODEL', message: 'answered 503', kind: 'overloaded', status: 503 } } });
  const records: EpisodeRecord[] = [functionCalling, failedStart, infra, low, textFormat, cutShort, oracle];

  it('never exports failed starts, infrastructure failures or agent errors; filters by reward and turns; counts why', () => {
    for (const format of FORMATS) {
      expect(exportEpisodes(records, { format })).toMatchObject({ exported: 4, leftOut: { failedStart: 1, infraError: 1, agentError: 1, noSteps: 0, belowMinReward: 0, tooManyTurns: 0 } });
      const r = exportEpisodes(records, { format, minReward: 0.5, maxTurns: 3 });
      // functionCalling has 4 assistant turns; low's reward is 0.25; cutShort's 1 does not let it through.
      expect(r).toMatchObject({ exported: 2, leftOut: { failedStart: 1, infraError: 1, agentError: 1, belowMinReward: 1, tooManyTurns: 1 } });
      expect(describeExport(r, records.length)).toBe('exported 2 of 7 episodes; left out: 1 could not start, 1 infrastructure failure, 1 agent error, 1 below min reward, 1 over max turns');
      expect(r.lines.map((l) => JSON.parse(l) as unknown)).toEqual([exportEpisode(textFormat, format), exportEpisode(oracle, format)]);
    }
  });

  it('gives byte-identical lines for the same records', () => {
    for (const format of FORMATS) {
      const again = JSON.parse(JSON.stringify(records)) as EpisodeRecord[];
      expect(exportEpisodes(again, { format }).lines.join('\n')).toBe(exportEpisodes(records, { format }).lines.join('\n'));
    }
  });
});
