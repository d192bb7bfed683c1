import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { CommitNotFoundError, filesAtCommit, resolveCommit } from '../../../../src/tasks/issue-localize/git-tree.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../../../src/workspace/files.js';
import { makeHistoryRepo, type HistoryRepo } from '../../../support/history-repo.js';

let repo: HistoryRepo;
beforeAll(async () => {
  repo = await makeHistoryRepo();
});

/** The commit's tree as a checkout holds it (git archive, so no .git of any kind). */
async function checkout(commit: string): Promise<WorkspaceFiles> {
  const out = await mkdtemp(join(tmpdir(), 'hg-archive-'));
  await execa('sh', ['-c', `git -C "${repo.dir}" archive ${commit} | tar -x -C "${out}"`]);
  return loadRepoFiles(out);
}

const text = (files: WorkspaceFiles) => [...files.values()].map((b) => b.toString('utf8')).join('\n');

describe('filesAtCommit', () => {
  it('is the tree at the base commit, in loadRepoFiles order, with nothing of later commits', async () => {
    const files = await filesAtCommit(repo.dir, repo.baseCommit);
    const expected = await checkout(repo.baseCommit);
    expect([...files.keys()]).toEqual([...expected.keys()]);
    for (const [path, content] of expected) expect(files.get(path)!.equals(content), path).toBe(true);
    expect([...files.keys()]).toEqual(['README.md', 'calc/__init__.py', 'calc/core.py', 'calc/util.py', 'tests/test_core.py']);
    expect(text(files)).not.toContain(repo.markers.fix);
    expect(text(files)).not.toContain(repo.markers.later);
    // The working tree is at the later commit: the workspace still is the base.
    expect(text(await loadRepoFiles(repo.dir))).toContain(repo.markers.later);
  });

  it('skips symlinks, submodules, .pyc files and .egg-info folders', async () => {
    const { stdout } = await execa('git', ['-C', repo.dir, 'ls-tree', '-r', '--full-tree', '--name-only', repo.baseCommit]);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['calc/alias.py', 'vendor/lib', 'calc/__pycache__/core.cpython-311.pyc', 'calc.egg-info/PKG-INFO']));
    const files = await filesAtCommit(repo.dir, repo.baseCommit);
    for (const p of ['calc/alias.py', 'vendor/lib', 'calc/__pycache__/core.cpython-311.pyc', 'calc.egg-info/PKG-INFO']) expect(files.has(p), p).toBe(false);
  });

  it('reads other commits and names (tag, short id) by their tree', async () => {
    const fix = await filesAtCommit(repo.dir, 'v1.1');
    expect(fix.get('calc/core.py')!.toString()).toContain(repo.markers.fix);
    expect(text(fix)).not.toContain(repo.markers.later);
    expect(await resolveCommit(repo.dir, 'v1.1')).toBe(repo.fixCommit);
    expect(await resolveCommit(repo.dir, repo.baseCommit.slice(0, 10))).toBe(repo.baseCommit);
    const short = await filesAtCommit(repo.dir, repo.baseCommit.slice(0, 10));
    expect([...short.keys()]).toEqual([...(await filesAtCommit(repo.dir, repo.baseCommit)).keys()]);
  });

  it('reads just the paths asked for, those the tree holds', async () => {
    const some = await filesAtCommit(repo.dir, repo.baseCommit, ['calc/core.py', 'calc/alias.py', 'calc/extra.py', 'a/calc/core.py']);
    expect([...some.keys()]).toEqual(['calc/core.py']);
    expect(some.get('calc/core.py')!.equals((await filesAtCommit(repo.dir, repo.baseCommit)).get('calc/core.py')!)).toBe(true);
    expect((await filesAtCommit(repo.dir, repo.baseCommit, [])).size).toBe(0);
  });

  it('gives each call a map of its own', async () => {
    const a = await filesAtCommit(repo.dir, repo.baseCommit);
    a.delete('calc/core.py');
    const b = await filesAtCommit(repo.dir, repo.baseCommit);
    expect(b.has('calc/core.py')).toBe(true);
  });

  it('reads large files whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-big-'));
    await execa('git', ['init', '-q', dir]);
    const big = 'x = 1\n'.repeat(400_000);
    await mkdir(join(dir, 'pkg'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'pkg', 'big.py'), big);
    await writeFile(join(dir, 'pkg', 'small.py'), 'y = 2\n');
    await execa('git', ['-C', dir, 'add', '.']);
    await execa('git', ['-C', dir, '-c', 'user.name=a', '-c', 'user.email=a@b', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'x']);
    const files = await filesAtCommit(dir, 'HEAD');
    expect(files.get('pkg/big.py')!.toString()).toBe(big);
    expect(files.get('pkg/small.py')!.toString()).toBe('y = 2\n');
  });

  it('names the clone and the commit when the clone lacks it or is no repository', async () => {
    const missing = 'f'.repeat(40);
    const e = await filesAtCommit(repo.dir, missing).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(CommitNotFoundError);
    expect((e as Error).message).toBe(`The clone ${repo.dir} has no commit ${missing} (fetch it, or clone with full history)`);
    const notRepo = await mkdtemp(join(tmpdir(), 'hg-norepo-'));
    const e2 = await filesAtCommit(notRepo, missing).then(() => undefined, (err: unknown) => err);
    expect(e2).toBeInstanceOf(CommitNotFoundError);
    expect((e2 as Error).message).toContain(notRepo);
    expect((e2 as Error).message).toContain(missing);
    await expect(filesAtCommit(repo.dir, '--all')).rejects.toBeInstanceOf(CommitNotFoundError);
  });
});
