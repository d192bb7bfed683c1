import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../src/errors.js';
import { CloneNotFoundError, findClone, readIssueRows } from '../../../../src/tasks/issue-localize/rows.js';
import { makeHistoryRepo, rowsFile } from '../../../support/history-repo.js';

const row = (over: Record<string, unknown> = {}) => ({
  instance_id: 'owner__name-1',
  repo: 'owner/name',
  base_commit: 'a'.repeat(40),
  problem_statement: 'It breaks.',
  patch: 'diff --git a/x.py b/x.py\n',
  ...over,
});

const tmp = () => mkdtemp(join(tmpdir(), 'hg-rows-'));

async function rejection(p: Promise<unknown>): Promise<ValidationError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ValidationError);
  return e as ValidationError;
}

describe('readIssueRows', () => {
  it('reads rows, decodes JSON-encoded test lists, accepts arrays and keeps other fields', async () => {
    const file = await rowsFile(
      [row({ FAIL_TO_PASS: '["t.py::a"]', PASS_TO_PASS: '[]', version: '3.0' }), row({ instance_id: 'owner__name-2', FAIL_TO_PASS: ['t.py::b'] })],
      join(await tmp(), 'rows.jsonl'),
    );
    const rows = await readIssueRows(file);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ FAIL_TO_PASS: ['t.py::a'], PASS_TO_PASS: [], version: '3.0' });
    expect(rows[1]!.FAIL_TO_PASS).toEqual(['t.py::b']);
    expect(rows[1]!.PASS_TO_PASS).toBeUndefined();
  });

  it('skips blank lines and names the file, the 1-based line and the field of a bad row', async () => {
    const dir = await tmp();
    const file = join(dir, 'rows.jsonl');
    await writeFile(file, `${JSON.stringify(row())}\n\n${JSON.stringify(row({ instance_id: 'b', problem_statement: '  ' }))}\n`);
    const e = await rejection(readIssueRows(file));
    expect(e.message).toContain(`${file} line 3`);
    expect(e.issues.map((i) => i.path)).toEqual(['problem_statement']);

    await writeFile(file, `${JSON.stringify(row({ base_commit: 'main' }))}\n`);
    expect((await rejection(readIssueRows(file))).message).toMatch(/line 1\).*base_commit: expected a commit id/);
    await writeFile(file, `${JSON.stringify(row({ repo: 'just-a-name' }))}\n`);
    expect((await rejection(readIssueRows(file))).message).toMatch(/line 1\).*repo: expected "owner\/name"/);
    await writeFile(file, `${JSON.stringify(row({ repo: 'owner/..' }))}\n`);
    expect((await rejection(readIssueRows(file))).issues[0]!.path).toBe('repo');
    await writeFile(file, `${JSON.stringify(row({ FAIL_TO_PASS: 'not json' }))}\n`);
    expect((await rejection(readIssueRows(file))).issues[0]!.path).toBe('FAIL_TO_PASS');
    const { patch: _, ...noPatch } = row();
    await writeFile(file, `${JSON.stringify(row())}\n${JSON.stringify(noPatch)}\n`);
    expect((await rejection(readIssueRows(file))).message).toMatch(/line 2\).*patch/);
    await writeFile(file, `${JSON.stringify(row())}\n{not json\n`);
    expect((await rejection(readIssueRows(file))).message).toMatch(/line 2\).*not JSON/);
    await writeFile(file, '[1, 2]\n');
    expect((await rejection(readIssueRows(file))).message).toContain('line 1');
  });

  it('rejects a duplicate instance_id, naming both lines', async () => {
    const file = await rowsFile([row(), row({ instance_id: 'other' }), row()], join(await tmp(), 'rows.jsonl'));
    const e = await rejection(readIssueRows(file));
    expect(e.message).toContain('line 3');
    expect(e.issues[0]).toMatchObject({ path: 'instance_id' });
    expect(e.issues[0]!.message).toContain('first on line 1');
  });
});

describe('findClone', () => {
  it('finds DIR/owner__name first, then DIR/name, and names both paths when neither is a clone', async () => {
    const dir = await tmp();
    const both = await makeHistoryRepo(join(dir, 'example__calc'));
    await makeHistoryRepo(join(dir, 'calc'));
    expect(await findClone(dir, 'example/calc')).toBe(both.dir);
    const only = await tmp();
    const plain = await makeHistoryRepo(join(only, 'calc'));
    expect(await findClone(only, 'example/calc')).toBe(plain.dir);

    // A plain folder inside a work tree is not a clone of its own.
    await mkdir(join(plain.dir, 'other'), { recursive: true });
    const e = await findClone(plain.dir, 'someone/other').then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(CloneNotFoundError);
    const err = e as CloneNotFoundError;
    expect(err.tried).toEqual([join(plain.dir, 'someone__other'), join(plain.dir, 'other')]);
    expect(err.message).toContain(join(plain.dir, 'someone__other'));
    expect(err.message).toContain(join(plain.dir, 'other'));
  });

  it('accepts a bare clone and rejects a name that is not owner/name', async () => {
    const dir = await tmp();
    const src = await makeHistoryRepo(join(dir, 'src'));
    const { execa } = await import('execa');
    await execa('git', ['clone', '-q', '--bare', src.dir, join(dir, 'repos', 'example__calc')]);
    expect(await findClone(join(dir, 'repos'), 'example/calc')).toBe(join(dir, 'repos', 'example__calc'));
    await expect(findClone(dir, '../x')).rejects.toBeInstanceOf(ValidationError);
  });
});
