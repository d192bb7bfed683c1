import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent } from '../../src/agents/simple-agents.js';
import { SandboxCodeRunner } from '../../src/env/code-runner.js';
import { rollout } from '../../src/rollout/rollout.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { runPytest } from '../../src/testrun/run-pytest.js';
import { generateSyntheticIssues, issueLocalizeTask, MUTATION_KINDS, type SyntheticIssueInstance } from '../../src/tasks/issue-localize/index.js';
import { repoFiles } from '../../src/workspace/repo-cache.js';
import { expectNoLeak } from './issue-localize-leaks.js';
import { dockerReady } from './helpers.js';

const REPO = fileURLToPath(new URL('../fixtures/issue-localize/inventory', import.meta.url));

describe.runIf(dockerReady())('issue-localize synthetic bugs on a fixture repository (docker)', () => {
  let provider: DockerProvider;
  let runner: SandboxCodeRunner;
  let instances: SyntheticIssueInstance[];
  const dropped: Array<{ reason: string; examples: string[] }> = [];
  const cacheDir = mkdtempSync(join(tmpdir(), 'hg-il-'));

  beforeAll(async () => {
    provider = await DockerProvider.start();
    runner = new SandboxCodeRunner(provider);
    instances = await generateSyntheticIssues({ repo: REPO, runner, cacheDir, n: 10, perFile: 10, onDropped: (d) => dropped.push(d) });
  }, 600_000);
  afterAll(async () => {
    await provider?.close();
  });

  it('makes instances of several kinds, one per function, each with the tests it breaks', () => {
    expect(instances.length).toBeGreaterThanOrEqual(7);
    const kinds = new Set(instances.map((i) => i.mutation.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(5);
    for (const k of kinds) expect(MUTATION_KINDS).toContain(k);
    const fns = instances.map((i) => `${i.mutation.file}:${i.mutation.qualname}`);
    expect(new Set(fns).size).toBe(fns.length);
    for (const i of instances) {
      expect(i.locations).toEqual([{ file: i.mutation.file, qualname: i.mutation.qualname, line: i.mutation.line, endLine: i.mutation.endLine + (i.mutation.mutated === '' ? 1 : 0) }]);
      expect(i.tests.length).toBeGreaterThan(0);
      expect(i.tests.every((t) => t.startsWith('tests/'))).toBe(true);
    }
  });

  it('every instance: its tests fail on the workspace the agent gets and pass on the original', async () => {
    const original = await repoFiles(REPO);
    for (const i of instances) {
      const buggy = await issueLocalizeTask.workspace(i);
      expect(buggy.get(i.mutation.file)!.equals(original.get(i.mutation.file)!), i.id).toBe(false);
      const onBug = await runPytest((check) => runner.run(buggy, check), { tests: i.tests });
      expect(onBug.tests.filter((t) => t.outcome === 'passed').map((t) => t.nodeid), i.id).toEqual([]);
      const onOriginal = await runPytest((check) => runner.run(original, check), { tests: i.tests });
      expect(onOriginal.tests.map((t) => t.outcome), i.id).toEqual(i.tests.map(() => 'passed'));
    }
  }, 600_000);

  it('mutants no test catches are reported and never emitted', () => {
    // The fixture's stock_report has a weak test on purpose: some of its mutants get through it.
    const uncaught = dropped.filter((d) => d.reason === 'no test catches the bug');
    expect(uncaught.length).toBeGreaterThan(0);
    for (const d of uncaught) for (const e of d.examples) expect(instances.some((i) => e.startsWith(`${i.mutation.file}:${i.mutation.qualname} (${i.mutation.kind} at line ${i.mutation.line})`))).toBe(false);
  });

  it('no issue text shows the mutated line or the function’s body', async () => {
    for (const i of instances) await expectNoLeak(i);
  });

  it('generates the same bytes again from the same seed', async () => {
    const again = await generateSyntheticIssues({ repo: REPO, runner, cacheDir, n: 10, perFile: 10 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(instances));
  }, 600_000);

  it('through episodes: the oracle scores 1.0 and the no-op agent 0.0', async () => {
    const oracle = await rollout({ task: issueLocalizeTask, instances, agent: (env) => new OracleAgent(env), sandbox: 'docker', concurrency: 2 });
    expect(oracle.summary).toMatchObject({ episodes: instances.length, meanReward: 1, successRate: 1, errors: 0 });
    const noop = await rollout({ task: issueLocalizeTask, instances, agent: () => new NoopAgent(), sandbox: 'docker', concurrency: 2 });
    expect(noop.summary).toMatchObject({ episodes: instances.length, meanReward: 0, errors: 0 });
  }, 600_000);
});
