import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent } from '../../../../src/agents/simple-agents.js';
import { make, registeredEnvs } from '../../../../src/env/registry.js';
import type { Env } from '../../../../src/env/types.js';
import { runEpisode } from '../../../../src/rollout/run-episode.js';
import { checkEnv } from '../../../../src/testing/check-env.js';

const workdirOf = (e: { prompt: string }): string => /repository is in (\S+)\. /.exec(e.prompt)![1]!;

const SHOP = fileURLToPath(new URL('../../../fixtures/func-localize/shop', import.meta.url));

describe('func-localize env on the local sandbox', () => {
  let env: Env;

  beforeAll(async () => {
    env = await make('hybrid-gym/func-localize-v0', { repo: SHOP, sandbox: 'local', generate: { perFile: 10 } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('is registered beside dep-search, and passes checkEnv', async () => {
    expect(registeredEnvs()).toEqual(expect.arrayContaining(['hybrid-gym/func-localize-v0', 'hybrid-gym/dep-search-v0']));
    expect((await checkEnv(env)).length).toBeGreaterThanOrEqual(8);
  });

  it('gives the oracle 1 and the no-op agent 0 on every instance, with byte-identical prompts per seed', async () => {
    for (let seed = 0; seed < 9; seed++) {
      const oracle = await runEpisode(env, new OracleAgent(env), { seed });
      expect(oracle, oracle.instanceId).toMatchObject({ reward: 1, success: true, terminated: true });
      const noop = await runEpisode(env, new NoopAgent(), { seed });
      expect(noop.instanceId).toBe(oracle.instanceId);
      // A local sandbox's workdir is a fresh temporary path; everything else must be identical.
      const norm = (e: typeof oracle) => e.prompt.split(workdirOf(e)).join('<workdir>');
      expect(norm(noop)).toBe(norm(oracle));
      expect(noop.reward).toBe(0);
    }
  });
});
