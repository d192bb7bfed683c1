import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OracleAgent } from '../../src/agents/simple-agents.js';
import { make, register } from '../../src/env/registry.js';
import { TaskEnv } from '../../src/env/task-env.js';
import type { Env, EnvEvents } from '../../src/env/types.js';
import { runEpisode } from '../../src/rollout/run-episode.js';
import { checkEnv } from '../../src/testing/check-env.js';
import { writeFileTask } from '../fixtures/tasks/write-file-task.js';
import { dockerReady } from './helpers.js';

describe.runIf(dockerReady())('a task env in Docker', () => {
  let env: Env;

  beforeAll(async () => {
    register(writeFileTask);
    env = await make('test/write-file-v0', { repo: '.', generate: { n: 3 }, sandbox: 'docker' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('passes checkEnv', async () => {
    await expect(checkEnv(env)).resolves.toContain('bash runs in the workspace');
  });

  it('runs a complete episode: prompt, tools, verifier, events', async () => {
    const seen: Array<keyof EnvEvents> = [];
    for (const e of ['reset', 'step', 'exec', 'episodeEnd'] as const) env.on(e, () => seen.push(e));
    const episode = await runEpisode(env, new OracleAgent(env), { options: { instanceId: 'write-file-0-1' } });
    expect(episode.prompt).toContain('/workspace/out/answer-1.txt');
    expect(episode).toMatchObject({ reward: 1, success: true, terminated: true });
    expect(seen).toEqual(['reset', 'step', 'step', 'episodeEnd']);
  });

  it('ends the episode as an infrastructure failure when the container dies, and can reset again', async () => {
    await env.reset({ seed: 0 });
    const inner = env.unwrapped as TaskEnv;
    const sandboxId = (inner as unknown as { episode: { sandbox: { id: string } } }).episode.sandbox.id;
    const provider = inner.pool.provider as unknown as { docker: import('dockerode') };
    await provider.docker.getContainer(sandboxId).remove({ force: true });

    const r = await env.step({ tool: 'bash', input: { command: 'echo hi' } });
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    expect(r.info.truncation).toBe('infra');
    expect(r.info.infraError?.message).toBeTruthy();
    expect(r.observation.isError).toBe(true);

    const again = await runEpisode(env, new OracleAgent(env), { seed: 5 });
    expect(again.reward).toBe(1);
  });
});
