import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAgent, OracleAgent } from '../../src/agents/simple-agents.js';
import { make } from '../../src/env/registry.js';
import type { Env } from '../../src/env/types.js';
import { verifyFiles } from '../../src/env/verify-files.js';
import { runEpisode } from '../../src/rollout/run-episode.js';
import type { VerifyResult } from '../../src/tasks/define-task.js';
import { issueLocalizeTask, type RowIssueInstance } from '../../src/tasks/issue-localize/index.js';
import { isTestFile } from '../../src/tasks/test-files.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';
import { makeHistoryRepo, MARKERS, rowsFile, type HistoryRepo } from '../support/history-repo.js';
import { explain, requireBuild, runCli } from '../support/run-cli.js';
import { dockerReady } from './helpers.js';

// Issue rows as a user brings them (SWE-bench form, a full clone with the fix, its tag and later
// work), through the command line and real Docker episodes: the agent must find nothing of the fix.

/** Runs a shell command in the workspace; `out` is its output, `code` its exit code. */
type Shell = (command: string) => Promise<{ out: string; code: number }>;

// Commands name the markers split in two, so that a command's own text (wherever the shell keeps it) never matches.
const split = (m: string): string => `'${m.slice(0, 4)}''${m.slice(4)}'`;
const MARKER_ARGS = Object.values(MARKERS).map((m) => `-e ${split(m)}`).join(' ');
const CONTROL = 'Small calculator functions'; // in the base's calc/core.py: proves each search reads what it should

const hostShell = (dir: string): Shell => async (command) => {
  const r = await execa('bash', ['-c', command], { cwd: dir, reject: false, all: true });
  return { out: r.all ?? '', code: r.exitCode ?? -1 };
};

const episodeShell = (env: Env, workdir: string): Shell => async (command) => {
  const { observation } = await env.step({ tool: 'bash', input: { command: `cd ${workdir} && { ${command} ; }` } });
  const out = observation.text.replace(/\n?\[The command completed with exit code -?\d+\.\]$/, '');
  return { out, code: observation.exitCode ?? -1 };
};

/** What the git repository of a workspace holds beyond its one commit, by the commands an agent would try. */
async function gitTraces(sh: Shell) {
  const run = async (c: string) => (await sh(c)).out.trim();
  return {
    commits: await run('git log --all --oneline | wc -l'),
    log: await run("git log --all --format='%H %s%n%b'"),
    head: await run('git rev-parse HEAD'),
    reflog: await run('git reflog --all'),
    reflogCommits: await run('git reflog --all --format=%H | sort -u'),
    tags: await run('git tag -l'),
    remotes: await run('git remote -v'),
    stash: await run('git stash list'),
    packedRefs: await run('test -e .git/packed-refs && echo present || echo absent'),
    fsck: await run('git fsck --full --unreachable --lost-found 2>&1; ls -A .git/lost-found/commit .git/lost-found/other 2>/dev/null'),
    objects: await run('git cat-file --batch-all-objects --batch-check | wc -l'),
    markersInObjects: await run(`git cat-file --batch-all-objects --batch | grep -caF ${MARKER_ARGS}`),
    controlInObjects: await run(`git cat-file --batch-all-objects --batch | grep -caF '${CONTROL}'`),
  };
}

function expectNoGitTraces(t: Awaited<ReturnType<typeof gitTraces>>, history: HistoryRepo): void {
  expect(t.commits).toBe('1');
  for (const sha of [history.baseCommit, history.fixCommit, history.laterCommit]) {
    expect(`${t.log}\n${t.reflog}`).not.toContain(sha.slice(0, 7));
  }
  // The reflogs name the workspace commit only, if any (a repository written on the host has none).
  expect(['', t.head]).toContain(t.reflogCommits);
  expect({ tags: t.tags, remotes: t.remotes, stash: t.stash, packedRefs: t.packedRefs }).toEqual({ tags: '', remotes: '', stash: '', packedRefs: 'absent' });
  expect(t.fsck).not.toMatch(/dangling|unreachable|missing/);
  // Every object was read (the base's text is found in them), and none holds a marker.
  expect(Number(t.objects)).toBeGreaterThan(3);
  expect(Number(t.controlInObjects)).toBeGreaterThan(0);
  expect(t.markersInObjects).toBe('0');
  for (const m of Object.values(MARKERS)) expect(Object.values(t).join('\n')).not.toContain(m);
}

/** The instance's starting files with `edit` applied to each .py file (its text, its path). */
async function editedWorkspace(instance: RowIssueInstance, edit: (text: string, file: string) => string): Promise<WorkspaceFiles> {
  const files = new Map(await issueLocalizeTask.workspace(instance));
  for (const [file, content] of files) if (file.endsWith('.py')) files.set(file, Buffer.from(edit(content.toString('utf8'), file)));
  return files;
}

/** The gold functions a verdict found marked, and the other places it found comments in. */
const hitAndOffTarget = (r: VerifyResult) => {
  const d = r.details as { functions: { hit: string[] }; offTarget: string[] };
  return { hit: d.functions.hit, offTarget: d.offTarget };
};

/** A `#` comment line above every line of `text` that `pick` chooses, indented like it. */
const commentAbove = (text: string, pick: (line: string) => boolean, note = 'the bug may be here'): string =>
  text.split('\n').map((l) => (pick(l) ? `${/^\s*/.exec(l)![0]}# ${note}\n${l}` : l)).join('\n');

describe.runIf(dockerReady())('issue-localize from issue rows, through the command line and Docker episodes', () => {
  let work: string;
  let history: HistoryRepo;
  let instancesFile: string;
  let instance: RowIssueInstance;
  let env: Env;

  beforeAll(async () => {
    requireBuild();
    work = await mkdtemp(join(tmpdir(), 'hg-il-rows-'));
    const reposDir = join(work, 'repos');
    history = await makeHistoryRepo(join(reposDir, 'example__calc'));
    // The row's patch also changes the tests, so that leaving test files out is put to the proof.
    const row = { ...history.row, patch: `${history.row.patch}${history.row.test_patch}` };
    const issues = await rowsFile([row], join(work, 'rows.jsonl'));
    instancesFile = join(work, 'instances.jsonl');
    const r = await runCli(['generate', 'issue-localize', '--issues', issues, '--repos-dir', reposDir, '--out', instancesFile]);
    expect(r.code, explain(r)).toBe(0);
    const lines = (await readFile(instancesFile, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    instance = JSON.parse(lines[0]!);
    env = await make('hybrid-gym/issue-localize-v0', { instances: instancesFile, maxSteps: 100, tools: { bashIdleSeconds: 120, bashTimeoutSeconds: 300 } });
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  it('generate --issues --repos-dir writes one instance: the fixed function of calc/core.py, nothing in tests', () => {
    expect(instance).toMatchObject({ task: 'issue-localize', source: 'issue', instanceId: 'example__calc-1', baseCommit: history.baseCommit, repo: { path: history.dir, name: 'example/calc' } });
    expect(instance.locations).toEqual([{ file: 'calc/core.py', qualname: 'divide', line: 18, endLine: 19 }]);
    expect(instance.locations.filter((l) => isTestFile(l.file))).toEqual([]);
  });

  it('after reset, the sandbox holds one commit, no history, tags, refs or objects of the fix, and no marker anywhere on its file system', async () => {
    const { info } = await env.reset({ options: { instanceId: instance.id } });
    const sh = episodeShell(env, info.workdir);
    expectNoGitTraces(await gitTraces(sh), history);
    // Every top-level folder but /proc and /sys; -D skip leaves device files alone.
    const grep = await sh(`grep -roaF -D skip ${MARKER_ARGS} -e '${CONTROL}' $(ls -d /* | grep -vx -e /proc -e /sys) 2>/dev/null | sort -u`);
    expect(grep.out.split('\n')).toContain(`${info.workdir}/calc/core.py:${CONTROL}`);
    for (const m of Object.values(MARKERS)) expect(grep.out).not.toContain(m);
    await env.step({ tool: 'finish', input: { message: 'probed' } });
  }, 300_000);

  it('the host clone is out of reach in the sandbox: its path does not exist, so git log and git fetch against it fail', async () => {
    const { info } = await env.reset({ options: { instanceId: instance.id } });
    const sh = episodeShell(env, info.workdir);
    expect((await sh(`test -e ${history.dir}`)).code).not.toBe(0);
    expect((await sh(`git -C ${history.dir} log --all --oneline`)).code).not.toBe(0);
    const fetch = await sh(`git fetch ${history.dir} 'refs/*:refs/stolen/*' 2>&1`);
    expect(fetch.code).not.toBe(0);
    expect((await sh('git log --all --oneline | wc -l')).out.trim()).toBe('1');
    await env.step({ tool: 'finish', input: { message: 'probed' } });
  }, 120_000);

  it('the prompt, the problem statement and the instance line hold no marker', async () => {
    const { observation } = await env.reset({ options: { instanceId: instance.id } });
    await env.step({ tool: 'finish', input: { message: 'read' } });
    expect(observation.text).toContain(instance.problemStatement);
    for (const text of [observation.text, instance.problemStatement, await readFile(instancesFile, 'utf8')]) {
      for (const m of Object.values(MARKERS)) expect(text).not.toContain(m);
    }
  }, 120_000);

  it('prepare writes a host folder with the same single commit and no trace of the fix', async () => {
    const dir = join(work, 'prepared');
    const r = await runCli(['prepare', instancesFile, '--id', instance.id, '--dir', dir]);
    expect(r.code, explain(r)).toBe(0);
    for (const m of Object.values(MARKERS)) expect(r.stdout).not.toContain(m);
    const sh = hostShell(dir);
    expectNoGitTraces(await gitTraces(sh), history);
    const grep = await sh(`grep -roaF ${MARKER_ARGS} -e '${CONTROL}' . | sort -u`);
    expect(grep.out.trim()).toBe(`./calc/core.py:${CONTROL}`);
  }, 120_000);

  it('the oracle scores 1.0 and the no-op agent 0.0 in real episodes', async () => {
    const oracle = await runEpisode(env, new OracleAgent(env), { options: { instanceId: instance.id } });
    expect(oracle, JSON.stringify(oracle.info.verify?.details)).toMatchObject({ reward: 1, success: true, terminated: true });
    const noop = await runEpisode(env, new NoopAgent(), { options: { instanceId: instance.id } });
    expect(noop).toMatchObject({ reward: 0, success: false, terminated: true });
    expect(noop.info.infraError).toBeUndefined();
  }, 300_000);

  it('spraying comments does not pay: every line of every .py file, or every function of calc/core.py, scores 0; a comment that also fixes the code scores 0', async () => {
    const score = async (files: WorkspaceFiles) => verifyFiles(issueLocalizeTask, instance, files);
    const isDef = (l: string) => /^\s*(def|class) /.test(l);
    // The right answer through the same path first, so that the zeros below are about the spraying.
    const right = await editedWorkspace(instance, (t, f) => (f === 'calc/core.py' ? commentAbove(t, (l) => l === '    return a / b', 'b == 0 is not handled') : t));
    expect(await score(right)).toMatchObject({ reward: 1, success: true });

    // Every line of every .py file: divide is marked too, and the zero comes from the comments elsewhere.
    const everyLine = await score(await editedWorkspace(instance, (t) => commentAbove(t, (l) => l.trim() !== '')));
    expect(everyLine, JSON.stringify(everyLine.details)).toMatchObject({ reward: 0, success: false, details: { violations: [] } });
    expect(hitAndOffTarget(everyLine).hit).toEqual(['calc/core.py::divide']);
    expect(hitAndOffTarget(everyLine).offTarget.length).toBeGreaterThan(instance.maxOffTarget);

    const core = (await issueLocalizeTask.workspace(instance)).get('calc/core.py')!.toString('utf8');
    expect(core.split('\n').filter(isDef).length).toBeGreaterThan(5);
    const everyFunction = await score(await editedWorkspace(instance, (t, f) => (f === 'calc/core.py' ? commentAbove(t, isDef) : t)));
    expect(everyFunction, JSON.stringify(everyFunction.details)).toMatchObject({ reward: 0, success: false });
    expect(hitAndOffTarget(everyFunction).hit).toEqual(['calc/core.py::divide']);
    expect(hitAndOffTarget(everyFunction).offTarget.length).toBeGreaterThan(instance.maxOffTarget);

    const fixed = await score(
      await editedWorkspace(instance, (t, f) =>
        f === 'calc/core.py' ? t.replace('    return a / b\n', '    # b == 0 is not handled\n    if b == 0:\n        raise ValueError("b is 0")\n    return a / b\n') : t,
      ),
    );
    expect(fixed).toMatchObject({ reward: 0, success: false });
    expect((fixed.details as { violations: Array<{ kind: string; file: string }> }).violations).toEqual([expect.objectContaining({ kind: 'code-changed', file: 'calc/core.py' })]);
  }, 300_000);
});
