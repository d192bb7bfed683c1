import { mkdir, mkdtemp, rename, rm, utimes, writeFile, unlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoFiles } from '../../../src/workspace/repo-cache.js';

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'hg-repo-cache-'));
  await writeFile(join(repo, 'a.py'), 'A = 1\n');
  await writeFile(join(repo, 'NOTES.txt'), 'the answer\n');
});
afterEach(() => rm(repo, { recursive: true, force: true }));

describe('the per-process repository cache', () => {
  it('serves the same files while nothing changed', async () => {
    const first = await repoFiles(repo);
    expect(await repoFiles(repo)).toBe(first);
  });

  it('reads again when a file is deleted, added, or rewritten with the same size and times set back', async () => {
    await repoFiles(repo);
    // The red team's case: a file holding an answer removed between two generations at the same path.
    await unlink(join(repo, 'NOTES.txt'));
    expect([...(await repoFiles(repo)).keys()]).toEqual(['a.py']);
    await writeFile(join(repo, 'b.py'), 'B = 2\n');
    expect([...(await repoFiles(repo)).keys()]).toEqual(['a.py', 'b.py']);
    const before = await stat(join(repo, 'a.py'));
    await writeFile(join(repo, 'a.py'), 'A = 9\n');
    await utimes(join(repo, 'a.py'), before.atime, before.mtime);
    expect((await repoFiles(repo)).get('a.py')?.toString()).toBe('A = 9\n');
  });

  it('calls at the same time share one copy, before and after a change (one read, not one each)', async () => {
    const first = await repoFiles(repo);
    const [a, b] = await Promise.all([repoFiles(repo), repoFiles(repo)]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    await writeFile(join(repo, 'c.py'), 'C = 3\n');
    const [c, d] = await Promise.all([repoFiles(repo), repoFiles(repo)]);
    expect(c).toBe(d);
    expect(c.has('c.py')).toBe(true);
  });

  it('reads again on changes deep down: a file added in a subfolder, a folder renamed, an edit with times set back, the repository replaced at its path', async () => {
    // Checked without listing folders while none changed: each of these must still be seen.
    await mkdir(join(repo, 'pkg', 'sub'), { recursive: true });
    await writeFile(join(repo, 'pkg', 'sub', 'm.py'), 'M = 1\n');
    expect((await repoFiles(repo)).has('pkg/sub/m.py')).toBe(true);
    await writeFile(join(repo, 'pkg', 'sub', 'n.py'), 'N = 1\n');
    expect((await repoFiles(repo)).has('pkg/sub/n.py')).toBe(true);
    await rename(join(repo, 'pkg', 'sub'), join(repo, 'pkg', 'moved'));
    expect([...(await repoFiles(repo)).keys()].filter((k) => k.startsWith('pkg/'))).toEqual(['pkg/moved/m.py', 'pkg/moved/n.py']);
    const before = await stat(join(repo, 'pkg', 'moved', 'm.py'));
    await writeFile(join(repo, 'pkg', 'moved', 'm.py'), 'M = 7\n');
    await utimes(join(repo, 'pkg', 'moved', 'm.py'), before.atime, before.mtime);
    expect((await repoFiles(repo)).get('pkg/moved/m.py')?.toString()).toBe('M = 7\n');
    const other = await mkdtemp(join(tmpdir(), 'hg-repo-cache-other-'));
    await writeFile(join(other, 'a.py'), 'A = 1\n');
    await rm(repo, { recursive: true });
    await rename(other, repo);
    expect([...(await repoFiles(repo)).keys()]).toEqual(['a.py']);
  });
});
