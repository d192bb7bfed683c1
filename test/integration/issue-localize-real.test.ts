import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SyntheticIssueInstanceSchema } from '../../src/tasks/issue-localize/schema.js';
import { expectNoLeak } from './issue-localize-leaks.js';
import { realPackageWorkspace, runAgentsThroughCli } from './cli-agents.js';
import { dockerReady } from './helpers.js';

// Whole real packages with their own test suites, as a user would run them: generate synthetic
// bugs with the CLI, then the oracle and the no-op agent through `run` in Docker.
const PACKAGES = [
  { name: 'toolz', deb: 'python3-toolz', modules: ['toolz', 'tlz'], n: 21, atLeast: 14 },
  { name: 'simplejson', deb: 'python3-simplejson', modules: ['simplejson'], n: 14, atLeast: 8 },
];

describe.runIf(dockerReady())('issue-localize synthetic bugs on real packages, through the command line (docker)', () => {
  for (const pkg of PACKAGES) {
    it(`${pkg.name}: every instance scores 1.0 for the oracle and 0.0 for the no-op agent, with no errors and no leak`, async () => {
      const { work, repo, cli, instancesFile } = realPackageWorkspace(pkg, 'hg-il-');
      const started = Date.now();
      const generated = await cli('generate', 'issue-localize', '--repo', repo, '--n', String(pkg.n), '--out', instancesFile);
      const generateMs = Date.now() - started;
      const instances = readFileSync(instancesFile, 'utf8').trim().split('\n').map((l) => SyntheticIssueInstanceSchema.parse(JSON.parse(l)));
      expect(instances.length).toBeGreaterThanOrEqual(pkg.atLeast);
      const kinds = Object.fromEntries([...new Set(instances.map((i) => i.mutation.kind))].map((k) => [k, instances.filter((i) => i.mutation.kind === k).length]));
      expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(5);
      for (const i of instances) await expectNoLeak(i);

      const runs = await runAgentsThroughCli(cli, instancesFile, work);
      expect(runs.oracle!.summary).toMatchObject({ episodes: instances.length, meanReward: 1, successRate: 1, errors: 0 });
      expect(runs.noop!.summary).toMatchObject({ episodes: instances.length, meanReward: 0, successRate: 0, errors: 0 });
      for (const e of runs.noop!.episodes) expect(e.info.verify.details.violations).toEqual([]);
      const dropped = generated.stderr.split('\n').filter((l) => l.startsWith('hybrid-gym: ')).map((l) => l.slice(12));
      process.stderr.write(
        `[issue-localize] ${JSON.stringify({ package: pkg.name, instances: instances.length, kinds, testsPerInstance: +(instances.reduce((n, i) => n + i.tests.length, 0) / instances.length).toFixed(2), generateMs, dropped })}\n`,
      );
    }, 900_000);
  }
});
