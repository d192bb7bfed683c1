import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent, ScriptedAgent } from '../../../../src/agents/simple-agents.js';
import { make, register } from '../../../../src/env/registry.js';
import type { Env } from '../../../../src/env/types.js';
import { runEpisode } from '../../../../src/rollout/run-episode.js';
import { depSearchTask, requiredComment } from '../../../../src/tasks/dep-search/index.js';
import { checkEnv } from '../../../../src/testing/check-env.js';
import { SHOP } from './helpers.js';

describe('dep-search env on the local sandbox', () => {
  let env: Env;

  beforeAll(async () => {
    expect(register(depSearchTask)).toBe('hybrid-gym/dep-search-v0');
    env = await make(depSearchTask, { repo: SHOP, sandbox: 'local', generate: { includeTests: true } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('passes checkEnv', async () => {
    const passed = await checkEnv(env);
    expect(passed.length).toBeGreaterThanOrEqual(8);
  });

  it('makes the env by id too', async () => {
    const byId = await make('hybrid-gym/dep-search-v0', { repo: SHOP, sandbox: 'local', warm: 0 });
    const { observation } = await byId.reset({ seed: 0 });
    expect(observation.text).toContain('# this function/class is called by the');
    await byId.close();
  });

  it('shows the workdir, the target and the exact comment in the prompt', async () => {
    const { observation, info } = await env.reset({ options: { instanceId: (await instanceId('make_cart')) } });
    expect(observation.text).toContain(`${info.workdir}`);
    expect(observation.text).toContain('`make_cart` defined in shop/models.py at line 38');
    expect(observation.text).toContain(requiredComment('make_cart'));
    expect(observation.text).toMatch(/above its decorators/);
    expect(observation.text).toMatch(/not what those functions call/);
  });

  it('scores the oracle 1 and the no-op agent 0 on every instance', async () => {
    for (const i of await depSearchTask.generate!({ repo: SHOP, includeTests: true })) {
      const oracle = await runEpisode(env, new OracleAgent(env), { options: { instanceId: i.id } });
      expect(oracle, i.target.qualname).toMatchObject({ reward: 1, success: true, terminated: true });
      expect(oracle.steps.filter((s) => s.action.tool === 'str_replace_editor')).toHaveLength(i.dependencies.length);
      const noop = await runEpisode(env, new NoopAgent(), { options: { instanceId: i.id } });
      expect(noop).toMatchObject({ reward: 0, success: false, terminated: true });
    }
  });

  it('scores edits made with bash like any other', async () => {
    const id = await instanceId('first_price');
    const comment = requiredComment('first_price');
    const agent = new ScriptedAgent([
      { tool: 'bash', input: { command: `sed -i 's/^def price_of(name):/${comment.replace(/\//g, '\\/')}\\ndef price_of(name):/' shop/models.py` } },
    ]);
    const r = await runEpisode(env, agent, { options: { instanceId: id } });
    expect(r).toMatchObject({ reward: 1, success: true });
  });
});

async function instanceId(qualname: string): Promise<string> {
  return (await depSearchTask.generate!({ repo: SHOP, includeTests: true })).find((i) => i.target.qualname === qualname)!.id;
}
