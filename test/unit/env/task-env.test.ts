import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent, ScriptedAgent } from '../../../src/agents/simple-agents.js';
import { make, register } from '../../../src/env/registry.js';
import type { Env } from '../../../src/env/types.js';
import { EnvNotFoundError, EnvOrderError, InstanceNotFoundError, SandboxError, ValidationError } from '../../../src/errors.js';
import { defineTask } from '../../../src/tasks/define-task.js';
import { runEpisode } from '../../../src/rollout/run-episode.js';
import { checkEnv } from '../../../src/testing/check-env.js';
import { writeFileTask, type WriteFileInstance } from '../../fixtures/tasks/write-file-task.js';

describe('a task env on the local sandbox', () => {
  let env: Env;

  beforeAll(async () => {
    register(writeFileTask);
    env = await make('test/write-file-v0', { repo: '.', generate: { n: 4, seed: 7 }, sandbox: 'local', maxSteps: 5 });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('passes checkEnv', async () => {
    const passed = await checkEnv(env);
    expect(passed.length).toBeGreaterThanOrEqual(8);
  });

  it('gives the oracle reward 1 through the tools and the no-op agent 0', async () => {
    const oracle = await runEpisode(env, new OracleAgent(env), { options: { instanceId: 'write-file-7-2' } });
    expect(oracle).toMatchObject({ reward: 1, success: true, terminated: true, truncated: false });
    expect(oracle.steps.map((s) => s.action.tool)).toEqual(['str_replace_editor', 'finish']);
    const noop = await runEpisode(env, new NoopAgent(), { options: { instanceId: 'write-file-7-2' } });
    expect(noop).toMatchObject({ reward: 0, success: false, terminated: true });
  });

  it('starts every episode from a fresh one-commit git workspace', async () => {
    const agent = new ScriptedAgent([
      { tool: 'bash', input: { command: 'echo leftover > junk.txt' } },
    ]);
    await runEpisode(env, agent, { seed: 1 });
    const r = await runEpisode(
      env,
      new ScriptedAgent([{ tool: 'bash', input: { command: 'ls -A1; git log --oneline | wc -l; git status --porcelain' } }]),
      { seed: 1 },
    );
    expect(r.steps[0]!.observation.text).toMatch(/^\.git\nREADME\.md\nsrc\n1\n/);
    expect(r.steps[0]!.observation.text).not.toContain('junk');
  });

  it('truncates at the step budget and still scores the final state', async () => {
    const solveLate = new ScriptedAgent([
      { tool: 'think', input: { thought: 'a' } },
      { tool: 'think', input: { thought: 'b' } },
      { tool: 'think', input: { thought: 'c' } },
      { tool: 'think', input: { thought: 'd' } },
      { tool: 'bash', input: { command: 'mkdir -p out && printf "answer 700\\n" > out/answer-0.txt' } },
    ]);
    const r = await runEpisode(env, solveLate, { options: { instanceId: 'write-file-7-0' } });
    expect(r).toMatchObject({ truncated: true, terminated: false, reward: 1 });
    expect(r.info.truncation).toBe('steps');
    expect(r.steps).toHaveLength(5);
  });

  it('throws typed errors for program mistakes', async () => {
    await expect(env.reset({ options: { instanceId: 'nope' } })).rejects.toBeInstanceOf(InstanceNotFoundError);
    const fresh = await make('test/write-file-v0', { repo: '.', sandbox: 'local', warm: 0 });
    await expect(fresh.step({ tool: 'think', input: { thought: 'x' } })).rejects.toBeInstanceOf(EnvOrderError);
    await fresh.close();
    await expect(make('test/write-fil-v0')).rejects.toThrow(/Did you mean "test\/write-file-v0"/);
    await expect(make('test/write-fil-v0')).rejects.toBeInstanceOf(EnvNotFoundError);
    await expect(make('test/write-file-v0', { sandbox: 'podman' as never })).rejects.toBeInstanceOf(ValidationError);
  });

  it('survives a few hundred random and malformed actions', async () => {
    const many = await make('test/write-file-v0', { repo: '.', sandbox: 'local', maxSteps: 300, warm: 0 });
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const junk: unknown[] = [null, 42, 'text', [], { x: 1 }, { command: 3 }, '{"bad json', { path: '/nope', command: 'view' }];
    const tools = ['bash', 'execute_bash', 'str_replace_editor', 'think', 'nope', '', 'BASH'];
    const commands = ['view', 'create', 'str_replace', 'insert', 'undo_edit', 'explode'];
    await many.reset({ seed: 3 });
    let last;
    for (let i = 0; i < 300; i++) {
      const tool = tools[rand(tools.length)]!;
      const input =
        rand(3) === 0
          ? junk[rand(junk.length)]
          : tool.includes('bash') || tool === 'BASH'
            ? { command: ['echo hi', 'ls', '', 'true'][rand(4)], timeout: rand(2) ? 5 : 'x' }
            : { command: commands[rand(commands.length)], path: ['/etc/hostname', 'rel', '/tmp', ''][rand(4)], insert_line: rand(5) - 1 };
      last = await many.step({ tool, input } as never);
      expect(typeof last.observation.text).toBe('string');
      expect(typeof last.observation.isError).toBe('boolean');
      if (last.terminated || last.truncated) break;
    }
    expect(last!.truncated).toBe(true);
    expect(last!.info.truncation).toBe('steps');
    expect(last!.info.step).toBe(300);
    await many.close();
  });
});

describe('a verifier that throws a SandboxError while the agent’s sandbox is there', () => {
  it('ends the episode as infrastructure after one more try, instead of trying forever', async () => {
    const throwing = defineTask<WriteFileInstance>({
      ...writeFileTask,
      name: 'throwing-verify',
      verify() {
        throw new SandboxError('the verifier’s engine call failed');
      },
    });
    const env = await make(throwing, { repo: '.', generate: { n: 1 }, sandbox: 'local' });
    try {
      await env.reset({ seed: 0 });
      const r = await env.step({ tool: 'finish', input: { message: 'done' } });
      expect(r).toMatchObject({ truncated: true, terminated: false, reward: 0 });
      expect(r.info.truncation).toBe('infra');
      expect(r.info.infraError?.message).toContain('the verifier’s engine call failed');
    } finally {
      await env.close();
    }
  }, 20_000);
});
