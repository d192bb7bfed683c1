import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realPackageWorkspace, runAgentsThroughCli } from './cli-agents.js';
import { dockerReady } from './helpers.js';

// Whole real packages with their own test suites (Debian ships them inside the package), as a user
// would run them: generate with the CLI, then the oracle and the no-op agent through `run` in Docker.
const PACKAGES = [
  { name: 'toolz', deb: 'python3-toolz', modules: ['toolz', 'tlz'], atLeast: 15 },
  { name: 'simplejson', deb: 'python3-simplejson', modules: ['simplejson'], atLeast: 10 },
];

describe.runIf(dockerReady())('func-gen on real packages, through the command line (docker)', () => {
  for (const pkg of PACKAGES) {
    it(`${pkg.name}: every instance scores 1.0 for the oracle and 0.0 for the no-op agent, with no errors`, async () => {
      const { work, repo, cli, instancesFile } = realPackageWorkspace(pkg, 'hg-fg-');
      const started = Date.now();
      await cli('generate', 'func-gen', '--repo', repo, '--out', instancesFile);
      const generateMs = Date.now() - started;
      const instances = readFileSync(instancesFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(instances.length).toBeGreaterThanOrEqual(pkg.atLeast);
      const [mapFile] = readdirSync(join(work, 'cache', 'test-maps'));
      const map = JSON.parse(readFileSync(join(work, 'cache', 'test-maps', mapFile!), 'utf8'));

      const runs = await runAgentsThroughCli(cli, instancesFile, work);
      expect(runs.oracle!.summary).toMatchObject({ episodes: instances.length, meanReward: 1, successRate: 1, errors: 0 });
      expect(runs.noop!.summary).toMatchObject({ episodes: instances.length, meanReward: 0, successRate: 0, errors: 0 });
      // The no-op agent's zero comes from its tests failing (or not importing: a masked function
      // that the package calls at import), never from a violation or a tampered run.
      for (const e of runs.noop!.episodes) {
        expect(e.info.verify.details.violations).toEqual([]);
        expect(e.info.verify.details.run.tampered).toBeUndefined();
        expect(e.info.verify.details.tests.some((t: { outcome: string }) => t.outcome === 'passed')).toBe(false);
      }
      const verifyMs = runs.oracle!.episodes.map((e) => e.info.verifyMs as number).sort((a, b) => a - b);
      process.stderr.write(
        `[func-gen] ${JSON.stringify({
          package: pkg.name,
          instances: instances.length,
          testsPerInstance: +(instances.reduce((n, i) => n + i.tests.length, 0) / instances.length).toFixed(2),
          mapTests: map.tests.length,
          testMapBuildMs: map.buildMs,
          generateMs,
          oracleVerifyMsMedian: verifyMs[Math.floor(verifyMs.length / 2)],
          oracleVerifyMsMax: verifyMs[verifyMs.length - 1],
        })}\n`,
      );
    }, 900_000);
  }
});
