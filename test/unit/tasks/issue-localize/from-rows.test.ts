import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { beforeAll, describe, expect, it } from 'vitest';
import { NoInstancesError, ValidationError } from '../../../../src/errors.js';
import { imageContentsOf, type DroppedTargets } from '../../../../src/tasks/image-contents.js';
import { generateFromRows, NoIssueInstancesError } from '../../../../src/tasks/issue-localize/from-rows.js';
import { filesAtCommit } from '../../../../src/tasks/issue-localize/git-tree.js';
import { RowIssueInstanceSchema } from '../../../../src/tasks/issue-localize/schema.js';
import { CORE_BASE, makeHistoryRepo, rowsFile, type HistoryRepo } from '../../../support/history-repo.js';

let reposDir: string;
let repo: HistoryRepo;
beforeAll(async () => {
  reposDir = await mkdtemp(join(tmpdir(), 'hg-repos-'));
  repo = await makeHistoryRepo(join(reposDir, 'example__calc'));
});

const rowsAt = async (rows: unknown[]) => rowsFile(rows, join(await mkdtemp(join(tmpdir(), 'hg-rows-')), 'rows.jsonl'));
const moduleLevel = () => ({
  ...repo.row,
  instance_id: 'example__calc-2',
  patch: createTwoFilesPatch('a/calc/core.py', 'b/calc/core.py', CORE_BASE, CORE_BASE.replace('PRECISION = 10', 'PRECISION = 12')),
});

describe('generateFromRows', () => {
  it('makes an instance per row: the base tree, the gold locations, a stable id', async () => {
    const issues = await rowsAt([repo.row]);
    const [instance, ...rest] = await generateFromRows({ issues, reposDir });
    expect(rest).toEqual([]);
    expect(instance).toEqual({
      id: expect.stringMatching(/^issue-localize-example__calc-1-[0-9a-f]{8}$/),
      task: 'issue-localize',
      source: 'issue',
      repo: { path: repo.dir, name: 'example/calc' },
      seed: 0,
      instanceId: 'example__calc-1',
      baseCommit: repo.baseCommit,
      problemStatement: 'divide(1, 0) raises ZeroDivisionError; it should raise ValueError with a clear message.',
      locations: [{ file: 'calc/core.py', qualname: 'divide', line: 18, endLine: 19 }],
      reward: 'binary',
      maxOffTarget: 2,
    });
    expect(RowIssueInstanceSchema.parse(JSON.parse(JSON.stringify(instance)))).toEqual(instance);
    // The workspace the episode gets holds nothing of the fix or later work.
    const files = await filesAtCommit(instance!.repo.path, instance!.baseCommit);
    const all = [...files.values()].map((b) => b.toString()).join('\n');
    expect(all).not.toContain(repo.markers.fix);
    expect(all).not.toContain(repo.markers.later);

    const again = await generateFromRows({ issues, reposDir });
    expect(JSON.stringify(again)).toBe(JSON.stringify([instance]));
    const f1 = await generateFromRows({ issues, reposDir, reward: 'f1', maxOffTarget: 0 });
    expect(f1[0]).toMatchObject({ reward: 'f1', maxOffTarget: 0 });
    expect(f1[0]!.id).not.toBe(instance!.id);
  });

  it('resolves a short base_commit to the full id', async () => {
    const issues = await rowsAt([{ ...repo.row, base_commit: repo.baseCommit.slice(0, 12) }]);
    expect((await generateFromRows({ issues, reposDir }))[0]!.baseCommit).toBe(repo.baseCommit);
  });

  it('drops rows without a clone, a commit or Python locations, with the reason, and keeps the rest', async () => {
    const rows = [
      { ...repo.row, instance_id: 'nobody__none-1', repo: 'nobody/none' },
      repo.row,
      { ...repo.row, instance_id: 'example__calc-9', base_commit: 'e'.repeat(40) },
      { ...repo.row, instance_id: 'example__calc-3', patch: repo.row.test_patch },
      moduleLevel(),
      { ...repo.row, instance_id: 'example__calc-4', patch: '--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,2 +1,2 @@\n-x\n' },
    ];
    const dropped: DroppedTargets[] = [];
    const progress: string[] = [];
    const out = await generateFromRows({ issues: await rowsAt(rows), reposDir, onDropped: (d) => dropped.push(d), onProgress: (l) => progress.push(l) });
    expect(out.map((i) => i.instanceId)).toEqual(['example__calc-1', 'example__calc-2']);
    expect(out[1]!.locations).toEqual([{ file: 'calc/core.py', line: 3, endLine: 3 }]);
    expect(dropped).toEqual([
      {
        task: 'issue-localize',
        reason: 'no clone of its repository in reposDir',
        count: 1,
        examples: [`nobody__none-1 (tried ${join(reposDir, 'nobody__none')}, ${join(reposDir, 'none')})`],
      },
      { task: 'issue-localize', reason: 'its base_commit is not in the clone', count: 1, examples: [expect.stringContaining('example__calc-9')] },
      {
        task: 'issue-localize',
        reason: 'its patch changes no Python file outside tests that the base tree holds',
        count: 1,
        examples: ['example__calc-3 (tests/test_core.py: test file)'],
      },
      { task: 'issue-localize', reason: 'its patch is not a unified diff', count: 1, examples: ['example__calc-4 (not a unified diff: Hunk at line 3 contained invalid line)'] },
    ]);
    expect(progress.at(-1)).toContain('2 instances from 6 of 6 rows');
  });

  it('takes a seeded sample of n usable rows, in file order', async () => {
    const rows = [repo.row, moduleLevel(), ...[3, 4, 5, 6].map((k) => ({ ...moduleLevel(), instance_id: `example__calc-${k}` }))];
    const issues = await rowsAt(rows);
    const order = (ids: string[]) => ids.map((id) => rows.findIndex((r) => r.instance_id === id));
    const picks = new Set<string>();
    for (const seed of [0, 1, 2, 3, 4]) {
      const a = (await generateFromRows({ issues, reposDir, n: 3, seed })).map((i) => i.instanceId);
      const b = (await generateFromRows({ issues, reposDir, n: 3, seed })).map((i) => i.instanceId);
      expect(a).toEqual(b);
      expect(a).toHaveLength(3);
      expect(order(a)).toEqual([...order(a)].sort((x, y) => x - y));
      picks.add(a.join());
    }
    expect(picks.size).toBeGreaterThan(1);
    expect(await generateFromRows({ issues, reposDir, n: 10 })).toHaveLength(6);
  });

  it('throws NoInstancesError when no row is left, and checks its options', async () => {
    const issues = await rowsAt([{ ...repo.row, repo: 'nobody/none' }]);
    const e = await generateFromRows({ issues, reposDir }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(NoInstancesError);
    expect(e).toBeInstanceOf(NoIssueInstancesError);
    expect((e as Error).message).toBe(`issue-localize found no instances in ${issues}: none of its 1 row gave one (no clone of its repository in reposDir: 1)`);
    await expect(generateFromRows({ issues, reposDir, reward: 'fraction' as 'f1' })).rejects.toBeInstanceOf(ValidationError);
    await expect(generateFromRows({ issues, reposDir, maxOffTarget: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(generateFromRows({ issues, reposDir, repo: 'x' } as never)).rejects.toThrow(/repo/);
    await expect(generateFromRows({ issues: join(reposDir, 'nope.jsonl'), reposDir })).rejects.toThrow(/issues: expected a file, received .*nope\.jsonl \(it does not exist\)/);
    await expect(generateFromRows({ issues, reposDir: join(reposDir, 'nope') })).rejects.toThrow(/reposDir: expected a folder/);
  });
});

describe('generateFromRows and the episode image', () => {
  it('drops a row whose fixed code the image holds (a later release installed there), and says so', async () => {
    const issues = await rowsAt([repo.row]);
    const fixedBody = `if b == 0:\n    raise ValueError("${repo.markers.fix}: cannot divide by zero")\nreturn a / b`;
    const drops: DroppedTargets[] = [];
    const withFix = imageContentsOf('img-with-fix', { bodies: [fixedBody] });
    await expect(generateFromRows({ issues, reposDir, imageContents: withFix, onDropped: (d) => drops.push(d) })).rejects.toThrow(NoIssueInstancesError);
    expect(drops).toEqual([expect.objectContaining({ reason: 'its fixed code is in image img-with-fix', examples: ['example__calc-1 (calc/core.py:divide)'] })]);
    // The base's own body in the image shows nothing of the fix: the row stays.
    const withBase = imageContentsOf('img-with-base', { bodies: ['return a / b'] });
    expect(await generateFromRows({ issues, reposDir, imageContents: withBase })).toHaveLength(1);
  });
});
