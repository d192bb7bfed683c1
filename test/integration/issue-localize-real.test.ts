import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SyntheticIssueInstanceSchema } from '../../src/tasks/issue-localize/schema.js';
import { debianPythonModule } from '../support/debian-repos.js';
import { expectNoLeak } from './issue-localize-leaks.js';
import { dockerReady } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

// Whole real packages with their own test suites, as a user would run them: generate synthetic
// bugs with the CLI, then the oracle and the no-op agent through `run` in Docker.
const PACKAGES = [
  { name: 'toolz', deb: 'python3-toolz', modules: ['toolz', 'tlz'], n: 21, atLeast: 14 },
  { name: 'simplejson', deb: 'python3-simplejson', modules: ['simplejson'], n: 14, atLeast: 8 },
];

describe.runIf(dockerReady())('issue-localize synthetic bugs on real packages, through the command line (docker)', () => {
  for (const pkg of PACKAGES) {
    it(`${pkg.name}: every instance scores 1.0 for the oracle and 0.0 for the no-op agent, with no errors and no leak`, async () => {
      const work = mkdtempSync(join(tmpdir(), `hg-il-${pkg.name}-`));
      const repo = join(work, pkg.name);
      mkdirSync(repo);
      for (const m of pkg.modules) cpSync(debianPythonModule(pkg.deb, m), join(repo, m), { recursive: true });
      const env = { ...process.env, HYBRID_GYM_CACHE: join(work, 'cache') };
      const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
      const instancesFile = join(work, 'instances.jsonl');
      const started = Date.now();
      const generated = await cli('generate', 'issue-localize', '--repo', repo, '--n', String(pkg.n), '--out', instancesFile);
      const generateMs = Date.now() - started;
      const instances = readFileSync(instancesFile, 'utf8').trim().split('\n').map((l) => SyntheticIssueInstanceSchema.parse(JSON.parse(l)));
      expect(instances.length).toBeGreaterThanOrEqual(pkg.atLeast);
      const kinds = Object.fromEntries([...new Set(instances.map((i) => i.mutation.kind))].map((k) => [k, instances.filter((i) => i.mutation.kind === k).length]));
      expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(5);
      for (const i of instances) await expectNoLeak(i);

      const runs: Record<string, { summary: Record<string, unknown>; episodes: Array<Record<string, any>> }> = {};
      for (const agent of ['oracle', 'noop']) {
        const out = join(work, `${agent}.jsonl`);
        const { stdout } = await cli('run', instancesFile, '--agent', agent, '--concurrency', '2', '--out', out);
        const lines = stdout.trim().split('\n');
        runs[agent] = { summary: JSON.parse(lines[lines.length - 1]!), episodes: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
      }
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
