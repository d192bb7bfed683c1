import { describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent } from '../../src/agents/simple-agents.js';
import { register } from '../../src/env/registry.js';
import { isFailed, rollout, type EpisodeRecord } from '../../src/rollout/rollout.js';
import { depSearchTask, type DepSearchInstance } from '../../src/tasks/dep-search/index.js';
import { debianPythonModule } from '../support/debian-repos.js';
import { dockerReady } from './helpers.js';

// Real code nobody here wrote: every instance the default generator makes (its cap is 50 per repo).
// HYBRID_GYM_DEP_SEARCH_N lowers the cap for a quicker local run.
const N = Number(process.env.HYBRID_GYM_DEP_SEARCH_N ?? 50);
const PACKAGES = [
  { deb: 'python3-requests', module: 'requests' },
  { deb: 'python3-click', module: 'click' },
  { deb: 'python3-idna', module: 'idna' },
] as const;

const failures = (episodes: EpisodeRecord[], want: number): string[] =>
  episodes.flatMap((e) => {
    if (isFailed(e)) return [`${e.instanceId}: ${e.error.code} ${e.error.message}`];
    if (e.reward !== want || e.info.infraError) return [`${e.instanceId}: reward ${e.reward} ${JSON.stringify(e.info.verify?.details ?? e.info.infraError)}`];
    return [];
  });

describe.runIf(dockerReady())('dep-search on real packages in Docker', () => {
  register(depSearchTask);

  for (const pkg of PACKAGES) {
    it(`${pkg.module}: the oracle scores 1 and the no-op agent 0 on every instance`, async () => {
      const repo = debianPythonModule(pkg.deb, pkg.module);
      const instances: DepSearchInstance[] = await depSearchTask.generate!({ repo, n: N });
      expect(instances.length).toBeGreaterThanOrEqual(Math.min(N, 10));
      const started = Date.now();
      const oracle = await rollout({ task: depSearchTask, instances, agent: (env) => new OracleAgent(env), sandbox: 'docker', concurrency: 2 });
      const noop = await rollout({ task: depSearchTask, instances, agent: () => new NoopAgent(), sandbox: 'docker', concurrency: 2 });
      process.stderr.write(
        `[dep-search] ${pkg.module}: ${instances.length} instances, oracle ${JSON.stringify(oracle.summary)}, noop ${JSON.stringify(noop.summary)}, ${Date.now() - started} ms\n`,
      );
      expect(failures(oracle.episodes, 1)).toEqual([]);
      expect(failures(noop.episodes, 0)).toEqual([]);
      expect(oracle.summary).toMatchObject({ episodes: instances.length, meanReward: 1, successRate: 1, errors: 0 });
      expect(noop.summary).toMatchObject({ episodes: instances.length, meanReward: 0, successRate: 0, errors: 0 });
    }, 60_000 + N * 12_000);
  }
});
