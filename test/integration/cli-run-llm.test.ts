import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { OpenAIAgent } from '../../src/agents/llm/openai-agent.js';
import { ReplayAgent, replayEpisode, replayFetch } from '../../src/agents/replay.js';
import { make } from '../../src/env/registry.js';
import { isComplete, readEpisodeFile } from '../../src/rollout/episode-file.js';
import { runEpisode, type Episode } from '../../src/rollout/run-episode.js';
import { parseInstance } from '../../src/tasks/define-task.js';
import { funcLocalizeTask } from '../../src/tasks/func-localize/index.js';
import { toJsonl } from '../../src/tasks/instances-io.js';
import { oracleTeacher } from '../support/oracle-teacher.js';
import { explain, requireBuild, runCli } from '../support/run-cli.js';
import { startScriptedLlm, type ScriptedLlmServer } from '../support/scripted-llm-server.js';
import { dockerReady } from './helpers.js';

const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));

// `run --agent openai` as a user runs it against a vLLM server; here a scripted server on 127.0.0.1
// stands in for the model (it answers with each instance's oracle actions), the episodes are real.
describe.runIf(dockerReady())('hybrid-gym run --agent openai: LLM episodes in Docker', () => {
  let dir: string;
  let instances: string;
  let llm: ScriptedLlmServer | undefined;

  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), 'hg-llm-'));
    instances = join(dir, 'i.jsonl');
    const made = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 3 });
    await writeFile(instances, toJsonl(made.slice(0, 3)));
  });
  afterEach(async () => {
    await llm?.close();
    llm = undefined;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const readInstances = () => readFileSync(instances, 'utf8').trim().split('\n').map((l) => parseInstance(funcLocalizeTask, JSON.parse(l)));
  const scored = (path: string): Episode[] => readEpisodeFile(path).episodes as Episode[];
  const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

  it('by function calling: rewards of 1, logprobs and token ids in the trajectory, a 429 with Retry-After retried', async () => {
    llm = await startScriptedLlm(
      oracleTeacher(funcLocalizeTask, instances, {
        format: 'function-calling',
        logprobs: true,
        before: (i) => (i === 0 ? { kind: 'status', status: 429, headers: { 'retry-after': '1' } } : undefined),
      }),
    );
    const out = join(dir, 'fc.jsonl');
    const r = await runCli(['run', instances, '--agent', 'openai', '--model', 'teacher', '--base-url', llm.url, '--logprobs', '--max-retries', '2', '--concurrency', '2', '--out', out], {
      timeoutMs: 240_000,
    });
    expect(r.code, explain(r)).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 3, meanReward: 1, successRate: 1, errors: 0, agentErrors: 0 });
    const episodes = scored(out);
    expect(episodes).toHaveLength(3);
    for (const e of episodes) {
      expect(e).toMatchObject({ agent: 'openai:teacher', model: 'teacher', setup: { api: 'openai', toolFormat: 'function-calling', sampling: { logprobs: true } }, reward: 1 });
      expect(e.turns!.length).toBe(e.steps.length);
      e.steps.forEach((s, i) => expect(s.turn).toBe(i));
      expect(e.turns![0]!.logprobs).toEqual({ tokens: ['token_id:7', 'token_id:8'], logprobs: [-0.125, -0.5], tokenIds: [7, 8] });
      expect(e.turns![0]!.usage!.promptTokens).toBeGreaterThan(0);
    }
    // The first request got the 429: its turn took two attempts, at least the second Retry-After apart.
    expect(episodes.flatMap((e) => e.turns!.map((t) => t.timing.attempts)).sort().at(-1)).toBe(2);
    // The retry sends the same body again (with two episodes at once, the next request may be the other's).
    const retry = llm.requests.slice(1).find((q) => JSON.stringify(q.body) === JSON.stringify(llm!.requests[0]!.body))!;
    expect(retry.at - llm.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(llm.requests[0]!.headers.authorization).toBe('Bearer EMPTY');

    // Replayed with no server and no container: the agent, fed the recorded replies and observations, acts as recorded.
    for (const e of episodes) {
      const agent = new OpenAIAgent({ model: 'teacher', baseURL: 'http://replay.invalid/v1', sampling: { logprobs: true }, fetch: replayFetch(e) });
      const replay = await replayEpisode(agent, e);
      expect(replay.mismatch).toBeUndefined();
      expect(replay.actions).toEqual(e.steps.map((s) => s.action));
      expect(agent.takeTurns().map((t) => t.toolCalls)).toEqual(e.turns!.map((t) => t.toolCalls));
    }
    // And its actions replayed in a real env score as they did.
    const env = await make(funcLocalizeTask, { instances: readInstances() });
    try {
      const again = await runEpisode(env, new ReplayAgent(episodes[0]!), { options: { instanceId: episodes[0]!.instanceId } });
      expect(again).toMatchObject({ agent: 'replay:openai:teacher', reward: 1 });
    } finally {
      await env.close();
    }
  });

  it("in OpenHands' text format: rewards of 1, the calls parsed from the text", async () => {
    llm = await startScriptedLlm(oracleTeacher(funcLocalizeTask, instances, { format: 'text' }));
    const out = join(dir, 'text.jsonl');
    const r = await runCli(['run', instances, '--agent', 'openai', '--model', 'teacher', '--base-url', llm.url, '--tool-format', 'text', '--out', out], { timeoutMs: 240_000 });
    expect(r.code, explain(r)).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 3, meanReward: 1, errors: 0 });
    const [e] = scored(out);
    expect(e!.setup).toMatchObject({ toolFormat: 'text', bashName: 'execute_bash' });
    expect(e!.turns![0]!.content).toMatch(/^Step 1\.\n<function=/);
    expect(llm.requests[0]!.body.tools).toBeUndefined();
    expect(llm.requests[0]!.body.messages[0].content).toMatch(/BEGIN FUNCTION #1: execute_bash/);
    expect(llm.requests[1]!.body.messages.at(-1).content).toMatch(/^EXECUTION RESULT of \[str_replace_editor\]:\n/);
    const replay = await replayEpisode(new OpenAIAgent({ model: 'teacher', baseURL: 'http://replay.invalid/v1', toolFormat: 'text', fetch: replayFetch(e!) }), e!);
    expect(replay.mismatch).toBeUndefined();
  });

  it('--agent anthropic: the Messages API with tool_use blocks, rewards of 1', async () => {
    llm = await startScriptedLlm(oracleTeacher(funcLocalizeTask, instances, { format: 'anthropic' }));
    const out = join(dir, 'anthropic.jsonl');
    const r = await runCli(['run', instances, '--agent', 'anthropic', '--model', 'claude-teacher', '--base-url', llm.root, '--out', out], {
      timeoutMs: 240_000,
      env: { ANTHROPIC_API_KEY: 'test-key' },
    });
    expect(r.code, explain(r)).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 3, meanReward: 1, errors: 0, agentErrors: 0 });
    const [e] = scored(out);
    expect(e!.setup).toMatchObject({ api: 'anthropic', model: 'claude-teacher', toolFormat: 'function-calling' });
    expect(llm.requests[0]!.path).toBe('/v1/messages');
    expect(llm.requests[1]!.body.messages[2].content[0]).toMatchObject({ type: 'tool_result', tool_use_id: e!.turns![0]!.toolCalls[0]!.id });
  });

  it("a server that hangs ends the episode as the agent's error, scored, not as an infrastructure failure", async () => {
    llm = await startScriptedLlm(() => ({ kind: 'hang' }));
    const out = join(dir, 'hang.jsonl');
    const one = join(dir, 'one.jsonl');
    await writeFile(one, toJsonl((await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 3 })).slice(0, 1)));
    const r = await runCli(['run', one, '--agent', 'openai', '--model', 'teacher', '--base-url', llm.url, '--request-timeout', '0.5', '--max-retries', '1', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, explain(r)).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 1, meanReward: 0, errors: 0, agentErrors: 1 });
    const [e] = scored(out);
    expect(e).toMatchObject({ reward: 0, terminated: false, truncated: true, steps: [], info: { truncation: 'agent', agentError: { code: 'MODEL', kind: 'timeout' } } });
    expect(e!.info.agentError!.message).toMatch(/did not answer after 2 attempts/);
    expect(e!.info.infraError).toBeUndefined();
    expect(e!.info.verify).toBeDefined();
  });

  it('a wrong key (401) stops the run at once, exit 1; with the server fixed, --resume runs the episode it cut short', async () => {
    llm = await startScriptedLlm(() => ({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }));
    const out = join(dir, '401.jsonl');
    const r = await runCli(['run', instances, '--agent', 'openai', '--model', 'teacher', '--base-url', llm.url, '--out', out], { timeoutMs: 120_000 });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/stopped: the model server refused the run \(.*401 Incorrect API key provided\): check --model, --base-url and the API key: 1 of 3 episodes ran; run again with --out .*401\.jsonl --resume/);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 1, agentErrors: 1, interrupted: true });
    expect(scored(out)[0]!.info.agentError).toMatchObject({ code: 'MODEL', kind: 'misconfigured', status: 401 });
    await llm.close();

    llm = await startScriptedLlm(oracleTeacher(funcLocalizeTask, instances, { format: 'function-calling' }));
    const resumed = await runCli(['run', instances, '--agent', 'openai', '--model', 'teacher', '--base-url', llm.url, '--out', out, '--resume'], { timeoutMs: 240_000 });
    expect(resumed.code, explain(resumed)).toBe(0);
    expect(summaryOf(resumed.stdout)).toMatchObject({ episodes: 3, meanReward: 1, agentErrors: 0 });
    const all = readEpisodeFile(out).episodes;
    expect(all).toHaveLength(4);
    expect(all.filter(isComplete)).toHaveLength(3);
  });

  it('--agent ./module.mjs: its default export makes the agent per env; a module without one is refused before any episode', async () => {
    const mod = join(dir, 'my-agent.mjs');
    await writeFile(
      mod,
      `export default function makeAgent(env, options) {
  return { name: 'mine:' + (options.model ?? 'none'), act: (observation, context) => context.step === 0 ? { tool: 'bash', input: { command: 'ls' } } : { tool: 'finish', input: { message: 'bye' } } };
}
`,
    );
    const out = join(dir, 'mod.jsonl');
    const r = await runCli(['run', instances, '--agent', mod, '--model', 'x', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, explain(r)).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ episodes: 3, meanReward: 0, errors: 0 });
    expect(scored(out).map((e) => [e.agent, e.steps.length])).toEqual([
      ['mine:x', 2],
      ['mine:x', 2],
      ['mine:x', 2],
    ]);

    const bad = join(dir, 'bad-agent.mjs');
    await writeFile(bad, 'export const agent = 1;\n');
    const refused = await runCli(['run', instances, '--agent', bad]);
    expect(refused.code, explain(refused)).toBe(2);
    expect(refused.stderr).toMatch(/default export must be a function \(env, options\) => agent; it is missing/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});
