import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OracleAgent } from '../../../src/agents/simple-agents.js';
import { make } from '../../../src/env/registry.js';
import { runEpisode } from '../../../src/rollout/run-episode.js';
import type { TaskEnv } from '../../../src/env/task-env.js';
import type { Env } from '../../../src/env/types.js';
import { episodeImageContents } from '../../../src/env/image-check.js';
import { DEFAULT_IMAGE } from '../../../src/image/default-image.js';
import { NoIssueInstancesError } from '../../../src/tasks/issue-localize/from-rows.js';
import { generateFromRows, issueLocalizeTask, SyntheticIssueInstanceSchema, type IssueLocalizeInstance, type SyntheticIssueInstance } from '../../../src/tasks/issue-localize/index.js';
import { dockerReady } from '../helpers.js';

// Red team of issue-localize inside the sandbox: what an agent can learn of the answer there, and
// what it can make the episode do. A hole that still works is `it.fails(...)` with a comment saying
// what it is and how to close it; attacks that are stopped are `it(...)`. The verifier-only attacks
// are in test/unit/tasks/issue-localize/attacks.test.ts.

const REPO = fileURLToPath(new URL('../../fixtures/issue-localize/inventory', import.meta.url));

/** A hand-made synthetic instance on the fixture repository (one changed line). */
function synthetic(id: string, file: string, qualname: string, line: number, original: string, mutated: string, tests: string[]): SyntheticIssueInstance {
  return SyntheticIssueInstanceSchema.parse({
    id, task: 'issue-localize', repo: { path: REPO, name: 'inventory' }, seed: 0, source: 'synthetic',
    problemStatement: `${tests[0]} fails.`, locations: [{ file, qualname, line, endLine: line }],
    mutation: { kind: 'flip-comparison', file, qualname, line, endLine: line, original, mutated }, tests,
  });
}

const A = synthetic('il-attack-take', 'inventory/stock.py', 'take', 17, '    if amount > have:', '    if amount >= have:', ['tests/test_stock.py::test_take_removes']);
const B = synthetic('il-attack-discounted', 'inventory/prices.py', 'discounted', 8, '    if percent < 0 or percent > 100:', '    if percent < 0 and percent > 100:', ['tests/test_prices.py::test_discounted']);

/** The command's output without the tool's exit-code line. */
async function bash(env: Env, command: string, timeout = 60): Promise<string> {
  const r = await env.step({ tool: 'bash', input: { command, timeout } });
  return r.observation.text.replace(/\n?\[The command completed with exit code -?\d+\.\]\s*$/, '');
}

async function finish(env: Env): Promise<number> {
  const r = await env.step({ tool: 'finish', input: { message: 'done' } });
  return r.reward;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(dockerReady())('adversarial: issue-localize episodes give nothing of the answer away', () => {
  let env: Env;
  let inner: TaskEnv<IssueLocalizeInstance>;

  beforeAll(async () => {
    env = await make(issueLocalizeTask, { instances: [A, B] });
    inner = env.unwrapped as TaskEnv<IssueLocalizeInstance>;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('a fresh workspace: no original line anywhere in the container, one commit, no caches, one time stamp', async () => {
    await env.reset({ options: { instanceId: A.id } });
    // The original line, split so that the command's own text never matches.
    const found = await bash(env, `grep -rlaF -e "if amount "'> have:' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo END`, 120);
    expect(found.trim()).toBe('END');
    // Control: the same search finds the mutated line in the workspace.
    const control = await bash(env, `grep -rlaF -e "if amount "'>= have:' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo END`, 120);
    expect(control.trim()).toBe('/workspace/inventory/stock.py\nEND');
    const git = await bash(env, 'cd /workspace && git log --all --oneline | wc -l; git cat-file --batch-all-objects --batch-check | wc -l; git fsck --unreachable 2>&1 | grep -c . ; git stash list | wc -l');
    expect(git.trim().split('\n').slice(0, 1)).toEqual(['1']);
    expect(git.trim().split('\n')[2]).toBe('0');
    const caches = await bash(env, 'find / -xdev \\( -name __pycache__ -path "*workspace*" -o -name "*.pyc" -path "*inventory*" -o -name .pytest_cache \\) 2>/dev/null; echo END');
    expect(caches.trim()).toBe('END');
    const stamps = await bash(env, 'cd /workspace && find . -path ./.git -prune -o -type f -printf "%T@\\n" | sort -u');
    expect(stamps.trim().split('\n')).toEqual(['0.0000000000']);
    const environ = await bash(env, 'env; cat /proc/1/environ | tr "\\0" "\\n"; cat /proc/1/cmdline | tr "\\0" " "');
    for (const secret of ['take', 'stock.py', 'il-attack', 'flip-comparison']) expect(environ).not.toContain(secret);
    await finish(env);
  }, 300_000);

  it('running the failing test shows the traceback into the buggy function (the intended route), and the score is the verifier’s', async () => {
    await env.reset({ options: { instanceId: A.id } });
    const out = await bash(env, 'cd /workspace && python3 -m pytest -q -x tests/test_stock.py 2>&1 | tail -30', 120);
    expect(out).toMatch(/stock\.py/);
    await bash(env, `cd /workspace && sed -i '17s/$/  # >= refuses the last unit/' inventory/stock.py`);
    expect(await finish(env)).toBe(1);
  }, 300_000);

  // WAS A HOLE (closed: a prepared sandbox given another instance gets its workspace written whole; regression):
  // a reset for an instance other than the one prepared ahead updated the prepared sandbox in
  // place (installWorkspace's incremental path): only the files that differ are written and `git
  // add` stores new blobs for them alone. SAME_TIMES resets mtimes, but a file's birth time (statx
  // btime, shown by `stat -c %w`; overlayfs passes it through) cannot be set, so the blobs written
  // last are exactly those of the changed files: the prepared instance's bug file (restored) and
  // THIS instance's bug file. The agent maps them to paths with `git ls-tree -r HEAD`: the gold
  // file is one of two (the only one when both bugs are in the same file). The same holds for every
  // task whose workspaces differ per instance. Fix: on an incremental install rebuild the object
  // store whole (rm -rf .git/objects .git/index, then git add/commit, so every blob is born at
  // once), or install fresh (FRESH + GIT_INIT, new files for all) whenever the instance changes.
  // (A second trace of the same path: .git/index records each file's ctime, to the nanosecond, at
  // `git add` before SAME_TIMES; `git ls-files --debug` showed the two rewritten files last.)
  it('after a reset to an instance other than the one prepared, no git object is born later for the bug file', async () => {
    await env.reset({ options: { instanceId: A.id } });
    inner.prepareNext(A.id);
    expect(await inner.nextPrepared()).toBe(true);
    await sleep(1500);
    await finish(env);
    await env.reset({ options: { instanceId: B.id } });
    // Each blob's birth: its loose object's, or (packed) its pack's; and each working file's own.
    const objects = await bash(env, 'cd /workspace && git ls-tree -r HEAD | while read -r mode type oid path; do f=.git/objects/${oid:0:2}/${oid:2}; [ -e "$f" ] || f=$(ls .git/objects/pack/*.pack | head -1); printf "%s\\t%s\\n" "$(stat -c %w "$f")" "$path"; done');
    const files = await bash(env, 'cd /workspace && git ls-files | while read -r path; do printf "%s\\t%s\\n" "$(stat -c %w "$path")" "$path"; done');
    const listing = `${objects.trim()}\n${files.trim()}`;
    const rows = listing.trim().split('\n').map((l) => {
      const [born, path] = l.split('\t');
      return { born: Date.parse(born!.replace(/(\.\d{3})\d*/, '$1').replace(' ', 'T').replace(/ ([+-]\d{2})(\d{2})$/, '$1:$2')), path: path! };
    });
    expect(rows.every((r) => Number.isFinite(r.born))).toBe(true);
    const oldest = Math.min(...rows.map((r) => r.born));
    const newest = rows.filter((r) => r.born > oldest + 1000).map((r) => r.path);
    await finish(env);
    expect(newest).not.toContain(B.mutation.file);
  }, 300_000);

  // WAS A HOLE (closed: source-form check; regression): a lone CR in a comment is a line break for CPython and part of the comment for the
  // verifier (see the unit attacks): here the agent FIXES the bug through a "comment" and still
  // scores 1. Fix: as in the unit test (reject source-form changes such as new lone CRs).
  it('a lone CR in a comment that smuggles code changing what the tests see scores 0', async () => {
    await env.reset({ options: { instanceId: A.id } });
    await bash(env, `cd /workspace && python3 - <<'PY'
p = 'inventory/stock.py'
s = open(p, newline='').read()
s = s.replace('    have = levels.get(item, 0)\\n', '    have = levels.get(item, 0)  # the comparison below is wrong\\r    if amount == have: levels[item] = 0; return 0\\n', 1)
open(p, 'w', newline='').write(s)
PY`);
    const tests = await bash(env, 'cd /workspace && python3 -m pytest -q -p no:cacheprovider tests/test_stock.py 2>&1 | tail -1', 120);
    expect(tests).toMatch(/passed/);
    expect(tests).not.toMatch(/failed/); // the smuggled statement made the failing test pass
    expect(await finish(env)).toBe(0);
  }, 300_000);

  it('what the agent does to the workspace is its own: deleted, the gold file replaced by a symlink, a hard link added, a file too large (0), its shell killed (the comment stands): a verdict, never an infrastructure error', async () => {
    const cases: Array<[string, number]> = [
      ['rm -rf /workspace', 0],
      ['cd /workspace && cp inventory/stock.py /tmp/s.py && sed -i "17s/$/  # here/" /tmp/s.py && rm inventory/stock.py && ln -s /tmp/s.py inventory/stock.py', 0],
      // a hard link to a file outside fails since the workdir is a tmpfs (EXDEV); one inside is a new file
      ['cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && { ln /etc/passwd inventory/host.py || ln inventory/stock.py inventory/host.py; }', 0],
      ['cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && head -c 40000 /dev/zero | tr "\\0" "#" | sed "s/^/\\n/" >> inventory/stock.py', 0],
      ['cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && kill -9 $$', 1],
    ];
    for (const [attack, reward] of cases) {
      await env.reset({ options: { instanceId: A.id } });
      await bash(env, attack);
      const r = await env.step({ tool: 'finish', input: { message: 'done' } });
      expect({ attack, reward: r.reward, truncated: r.truncated, infra: (r.info as { infraError?: unknown }).infraError }).toMatchObject({ attack, reward, truncated: false, infra: undefined });
    }
  }, 600_000);
});

describe.runIf(dockerReady())('adversarial: files the final read does not see', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make(issueLocalizeTask, { instances: [A] });
  });
  afterAll(async () => {
    await env?.close();
  });

  // WAS A HOLE (closed: the final read gives a symlink, FIFO or device as a file saying what it is; regression):
  // the final read kept regular files and hard links only, so a new symlink, FIFO or
  // socket in the workspace is invisible: rule 1 ("no new files") is broken with reward 1. No gain
  // for the reward today, but a symlinked `conftest.py` or `sitecustomize.py` would run code for
  // any check that ever runs the suite on the final files. Fix: count any non-regular entry of the
  // archive that the start did not have as an added file (a violation).
  it('a FIFO or a symlink added beside the comment is a new file: the comment scores 0', async () => {
    for (const attack of ['mkfifo inventory/pipe.py', 'ln -s /etc/hostname conftest.py']) {
      await env.reset({ options: { instanceId: A.id } });
      await bash(env, `cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && ${attack}`);
      expect({ attack, reward: await finish(env) }).toEqual({ attack, reward: 0 });
    }
  }, 300_000);
});

describe.runIf(dockerReady())('adversarial: issue rows whose fixed code the image holds', () => {
  // WAS A HOLE (closed: rows take the image's contents and drop a row whose fixed function body it holds; regression):
  // generateFromRows never asked what the episode image holds, yet
  // DESIGN.md says a generator drops every target whose hidden answer the image holds. The default
  // image has pytest 7.2.1 and its dependencies (pluggy, attrs, packaging, iniconfig, ...) in
  // /usr/lib/python3/dist-packages: for a SWE-bench row of pytest-dev/pytest (or those packages)
  // whose fix is older than that version, the image holds the FIXED file, and `diff` against it
  // points at the gold lines. Rebuilt here from the image's own _pytest/stepwise.py: the base
  // lacks the xdist guard of pytest #10641, the fix adds it back. Fix: give from-rows the image's
  // contents (generateInputs 'imageContents') and drop a row when the image holds the patched
  // version of a gold file (or of a gold function's body), as the synthetic generator does.
  it('a row whose fixed file is in the image is dropped (a diff against the image would find the gold lines)', async () => {
    const path = '/usr/lib/python3/dist-packages/_pytest/stepwise.py';
    const fixed = (await execa('docker', ['run', '--rm', '--network', 'none', DEFAULT_IMAGE, 'cat', path])).stdout + '\n';
    const guard = '        if hasattr(self.config, "workerinput"):\n            # Do not update cache if this process is a xdist worker to prevent\n            # race conditions (#10641).\n            return\n';
    expect(fixed).toContain(guard);
    const base = fixed.replace(guard, '');
    const reposDir = await mkdtemp(join(tmpdir(), 'hg-il-rows-'));
    const clone = join(reposDir, 'pytest-dev__pytest');
    await mkdir(join(clone, 'src/_pytest'), { recursive: true });
    const git = (...args: string[]) => execa('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    await git('init', '-q');
    await writeFile(join(clone, 'src/_pytest/stepwise.py'), base);
    await git('add', '-A');
    await git('commit', '-qm', 'base');
    const baseCommit = (await git('rev-parse', 'HEAD')).stdout.trim();
    await writeFile(join(clone, 'src/_pytest/stepwise.py'), fixed);
    const patch = (await git('diff')).stdout + '\n';
    await git('commit', '-qam', 'fix');
    const issues = join(reposDir, 'rows.jsonl');
    await writeFile(issues, JSON.stringify({ instance_id: 'pytest-dev__pytest-10641', repo: 'pytest-dev/pytest', base_commit: baseCommit, patch, problem_statement: 'With xdist, --stepwise workers overwrite the stepwise cache of the controller (race).' }) + '\n');
    // Without the image check the row is kept: a diff against the image then finds the gold lines.
    const instances = await generateFromRows({ issues, reposDir });
    expect(instances).toHaveLength(1);
    const drops: string[] = [];
    await expect(generateFromRows({ issues, reposDir, loadImageContents: () => episodeImageContents({ sandbox: 'docker' }), onDropped: (d) => drops.push(d.reason) })).rejects.toThrow(NoIssueInstancesError);
    expect(drops).toEqual([`its fixed code is in image ${DEFAULT_IMAGE}`]);
    const rowEnv = await make(issueLocalizeTask, { instances });
    try {
      await rowEnv.reset({ options: { instanceId: instances[0]!.id } });
      // The agent: diff the workspace against the image's copy, and comment where lines are missing.
      const diff = await bash(rowEnv, `cd /workspace && diff ${path} src/_pytest/stepwise.py | head -1`);
      const m = /^\d+(?:,\d+)?d(\d+)$/.exec(diff.trim());
      expect(m, diff).not.toBeNull();
      const after = Number(m![1]);
      await bash(rowEnv, `cd /workspace && sed -i '${after}a\\        # the xdist worker guard is missing here' src/_pytest/stepwise.py`);
      expect(await finish(rowEnv)).toBe(1); // what the check prevents
    } finally {
      await rowEnv.close();
    }
  }, 600_000);
});

/** A clone with a base commit of `files` and a fix commit changing them by `fix`; its rows file. */
async function rowRepo(name: string, files: Record<string, Buffer>, fix: (path: string, content: Buffer) => Buffer, problem: string) {
  const reposDir = await mkdtemp(join(tmpdir(), 'hg-il-rows-'));
  const clone = join(reposDir, `acme__${name}`);
  const git = (...args: string[]) => execa('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  await mkdir(clone, { recursive: true });
  await git('init', '-q');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(clone, path, '..'), { recursive: true });
    await writeFile(join(clone, path), content);
  }
  await git('add', '-A');
  await git('commit', '-qm', 'base');
  const baseCommit = (await git('rev-parse', 'HEAD')).stdout.trim();
  for (const [path, content] of Object.entries(files)) await writeFile(join(clone, path), fix(path, content));
  const patch = (await git('diff', '--text')).stdout + '\n';
  await git('commit', '-qam', 'fix');
  const issues = join(reposDir, 'rows.jsonl');
  await writeFile(issues, JSON.stringify({ instance_id: `acme__${name}-1`, repo: `acme/${name}`, base_commit: baseCommit, patch, problem_statement: problem }) + '\n');
  return { issues, reposDir };
}

describe.runIf(dockerReady())('adversarial: repositories that make instances the oracle cannot solve', () => {
  // WAS A HOLE (closed: such rows are dropped with a reason; regression): a row whose gold file is Latin-1 (a PEP 263 declaration, non-ASCII
  // bytes: valid Python, common in older code) is emitted, but the oracle's str_replace_editor
  // insert refuses the file ("appears to be binary ... not valid UTF-8"), so the oracle scores 0
  // and so does any agent that only uses the editor. Fix: have from-rows drop (with a reason) rows
  // whose gold files are not plain UTF-8 (plainSource, as the synthetic pool does), or let the
  // oracle insert its lines through bash/Python on the bytes, in the file's own encoding.
  it('a Latin-1 gold file (coding declaration, non-ASCII text): the oracle still scores 1', async () => {
    const src = Buffer.from('# -*- coding: latin-1 -*-\n"""Caf\xe9 prices."""\n\n\ndef price(x):\n    """Price in \xa3."""\n    y = x + 1\n    return y\n', 'latin1');
    const { issues, reposDir } = await rowRepo('latin', { 'pkg/core.py': src }, (_p, c) => Buffer.from(c.toString('latin1').replace('x + 1', 'x - 1'), 'latin1'), 'price() adds one instead of subtracting it.');
    let instances;
    try {
      instances = await generateFromRows({ issues, reposDir });
    } catch (e) {
      if (e instanceof NoIssueInstancesError) return; // dropped with a reason: no broken instance
      throw e;
    }
    expect(instances[0]!.locations).toEqual([{ file: 'pkg/core.py', qualname: 'price', line: 7, endLine: 7 }]);
    const rowEnv = await make(issueLocalizeTask, { instances });
    try {
      const ep = await runEpisode(rowEnv, new OracleAgent(rowEnv), { options: { instanceId: instances[0]!.id } });
      expect(ep.reward, JSON.stringify(ep).slice(0, 3000)).toBe(1);
    } finally {
      await rowEnv.close();
    }
  }, 300_000);
});

describe.runIf(dockerReady())('adversarial round 2: special files the final read still does not see', () => {
  let env: Env;
  beforeAll(async () => {
    env = await make(issueLocalizeTask, { instances: [A] });
  });
  afterAll(async () => {
    await env?.close();
  });

  // WAS A HOLE (closed: hard links resolve to special entries' markers; regression) (new code, b74168a; unit repro in test/unit/tasks/issue-localize/attacks.test.ts): Docker's
  // archive gives the later names of a hard-linked inode as 'link' entries to the first name, and
  // readArchive resolves a 'link' only to a REGULAR file it kept. GNU ln hard-links a symlink (or a
  // FIFO) itself, so with the first name inside an ignored directory (`.git/` sorts before
  // `conftest.py`, `__pycache__/` before `pipe.py`) both names vanish: a symlinked conftest.py or a
  // FIFO beside the comment, and reward 1 — the hole b74168a closed, one `ln` away. Fix: keep a marker
  // for every special entry by name (hidden ones too) and resolve 'link' entries to it; a 'link' to
  // an unknown target reads as a marker of its own, never as nothing.
  it('a symlinked conftest.py or a FIFO hard-linked to a first name in .git/ or __pycache__/ is a new file: the comment scores 0', async () => {
    const attacks = [
      'ln -s /etc/hostname .git/x && ln .git/x conftest.py',
      'mkdir -p inventory/__pycache__ && mkfifo inventory/__pycache__/p && ln inventory/__pycache__/p inventory/pipe.py',
    ];
    const out = [];
    for (const attack of attacks) {
      await env.reset({ options: { instanceId: A.id } });
      const listing = await bash(env, `cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && ${attack} && ls -l conftest.py inventory/pipe.py 2>/dev/null | cut -c1`);
      expect(listing.trim().length).toBeGreaterThan(0); // the symlink (l) or FIFO (p) is there
      out.push({ attack, reward: await finish(env) });
    }
    expect(out).toEqual(attacks.map((attack) => ({ attack, reward: 0 })));
  }, 300_000);

  it('a symlink to a directory, a hard link to a regular file in .git/, and a symlink left in __pycache__ are judged as files (0, 0, and 1 for the hidden one)', async () => {
    const cases: Array<[string, number]> = [
      ['ln -s inventory pkg2', 0],
      ['ln .git/HEAD inventory/head.py', 0],
      ['mkdir -p inventory/__pycache__ && ln -s /etc/hostname inventory/__pycache__/link', 1],
    ];
    const out = [];
    for (const [attack] of cases) {
      await env.reset({ options: { instanceId: A.id } });
      await bash(env, `cd /workspace && sed -i "17s/$/  # here/" inventory/stock.py && ${attack}`);
      out.push({ attack, reward: await finish(env) });
    }
    expect(out).toEqual(cases.map(([attack, reward]) => ({ attack, reward })));
  }, 300_000);
});
