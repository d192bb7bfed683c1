import { describe, expect, it } from 'vitest';
import { issueLocalizeOracle } from '../../../../src/tasks/issue-localize/oracle.js';
import type { IssueLocalizeInstance } from '../../../../src/tasks/issue-localize/schema.js';
import { STOCK, takeBugInstance } from './fixture-instance.js';
import { verifyIssueLocalize } from '../../../../src/tasks/issue-localize/verify.js';
import { issueWorkspace } from '../../../../src/tasks/issue-localize/workspace.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';


const instance = (extra: Record<string, unknown> = {}): IssueLocalizeInstance => takeBugInstance('il-test', extra);

/** The starting files with lines inserted into one file (each `[after line, text]`, bottom-up). */
async function withLines(inst: IssueLocalizeInstance, edits: Record<string, Array<[number, string]>>): Promise<WorkspaceFiles> {
  const files = new Map(await issueWorkspace(inst));
  for (const [file, list] of Object.entries(edits)) {
    const lines = files.get(file)!.toString('utf8').split('\n');
    for (const [after, text] of [...list].sort((a, b) => b[0] - a[0])) lines.splice(after, 0, text);
    files.set(file, Buffer.from(lines.join('\n')));
  }
  return files;
}

const defLines = async (inst: IssueLocalizeInstance, file: string): Promise<number[]> =>
  (await issueWorkspace(inst)).get(file)!.toString('utf8').split('\n').flatMap((l, i) => (/^def /.test(l) ? [i] : []));

describe('issue-localize verifier', () => {
  it('the workspace holds the bug, and the oracle scores 1', async () => {
    const inst = instance();
    const start = await issueWorkspace(inst);
    expect(start.get(STOCK)!.toString()).toContain('    if amount >= have:');
    const actions = await issueLocalizeOracle(inst, { workdir: '/workspace' });
    expect(actions).toHaveLength(1);
    const a = actions[0]!.input as { insert_line: number; new_str: string };
    const r = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[a.insert_line, a.new_str]] }));
    expect(r).toMatchObject({ reward: 1, success: true });
    expect(r.details).toMatchObject({ files: { precision: 1, recall: 1 }, functions: { precision: 1, recall: 1, f1: 1 }, lines: { precision: 1, recall: 1 } });
  });

  it('doing nothing scores 0', async () => {
    const inst = instance();
    expect((await verifyIssueLocalize(inst, await issueWorkspace(inst))).reward).toBe(0);
  });

  it('a comment at the end of the buggy line, or above the def, finds the function', async () => {
    const inst = instance();
    const files = new Map(await issueWorkspace(inst));
    files.set(STOCK, Buffer.from(files.get(STOCK)!.toString().replace('    if amount >= have:', '    if amount >= have:  # wrong: >= refuses taking the last unit')));
    expect((await verifyIssueLocalize(inst, files)).success).toBe(true);
    const above = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[13, '# take() is wrong']] }));
    expect(above.success).toBe(true);
    expect(above.details).toMatchObject({ lines: { recall: 0 }, functions: { recall: 1 } });
  });

  it('a comment indented into the function after its last line is the function’s; one at the next def’s indentation is the next def’s', async () => {
    const inst = instance();
    // Line 20 is `take`'s last line (`return levels[item]`); 21 and 22 are blank, 23 is `def low_items`.
    const inside = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[21, '    # the comparison above refuses the last unit']] }));
    expect(inside.success).toBe(true);
    const outside = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[21, '# the comparison above refuses the last unit']] }));
    expect(outside.success).toBe(false);
    expect((outside.details as { offTarget: string[] }).offTarget).toEqual([`${STOCK}::low_items`]);
  });

  it('commenting every function of the gold file (more than five) scores 0', async () => {
    const inst = instance();
    const defs = await defLines(inst, STOCK);
    expect(defs.length).toBeGreaterThan(5);
    const r = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: defs.map((d) => [d, '# maybe here']) }));
    expect(r).toMatchObject({ reward: 0, success: false });
    expect((r.details as { offTarget: string[] }).offTarget).toHaveLength(defs.length - 1);
  });

  it('commenting every file scores 0', async () => {
    const inst = instance();
    const start = await issueWorkspace(inst);
    const edits = Object.fromEntries([...start.keys()].filter((f) => f.endsWith('.py')).map((f) => [f, [[0, '# maybe here']] as Array<[number, string]>]));
    edits[STOCK] = [[16, '    # here'], [0, '# maybe here']];
    expect((await verifyIssueLocalize(inst, await withLines(inst, edits))).reward).toBe(0);
  });

  it('allows at most maxOffTarget other places', async () => {
    const inst = instance();
    const defs = (await defLines(inst, STOCK)).filter((d) => d !== 13);
    const two = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[16, '    # here'], ...defs.slice(0, 2).map((d): [number, string] => [d, '# also'])] }));
    expect(two.success).toBe(true);
    const three = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[16, '    # here'], ...defs.slice(0, 3).map((d): [number, string] => [d, '# also'])] }));
    expect(three.success).toBe(false);
    // Many comments inside the gold function are one place.
    const many = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[15, '    # a'], [16, '    # b'], [17, '        # c'], [18, '    # d']] }));
    expect(many.success).toBe(true);
  });

  it('f1 shapes the reward over places', async () => {
    const inst = instance({ reward: 'f1' });
    const r = await verifyIssueLocalize(inst, await withLines(inst, { [STOCK]: [[16, '    # here'], [5, '# and here']] }));
    expect(r.reward).toBeCloseTo(2 / 3, 5);
    expect(r.success).toBe(true);
  });

  it.each([
    ['a code change beside the comment', (s: string) => s.replace('    if amount >= have:', '    # here\n    if amount > have:'), 'code-changed'],
    ['a docstring edit', (s: string) => s.replace('refusing to go below zero.', 'refusing to go below zero. # bug here'), 'code-changed'],
    ['a comment written inside a string', (s: string) => s.replace('f"only {have}', 'f"# bug\\nonly {have}'), 'code-changed'],
    ['a removed comment-free line of code', (s: string) => s.replace('    levels[item] = have - amount\n', '    # levels[item] = have - amount\n'), 'code-changed'],
  ])('%s scores 0', async (_what, edit, kind) => {
    const inst = instance();
    const files = new Map(await issueWorkspace(inst));
    files.set(STOCK, Buffer.from(edit(files.get(STOCK)!.toString())));
    const r = await verifyIssueLocalize(inst, files);
    expect(r.reward).toBe(0);
    expect((r.details as { violations: Array<{ kind: string }> }).violations.map((v) => v.kind)).toContain(kind);
  });

  it('new, deleted and non-Python files and a removed comment score 0; one comment elsewhere is allowed', async () => {
    const inst = instance();
    const base = await withLines(inst, { [STOCK]: [[16, '    # here']] });
    const added = new Map(base).set('NOTES.md', Buffer.from('the bug is in take'));
    const deleted = new Map(base);
    deleted.delete('inventory/prices.py');
    const init = new Map(base).set('inventory/__init__.py', Buffer.from('"""A small stock-keeping package: the issue-localize tests\' fixture."""\n# x\n'));
    for (const files of [added, deleted]) expect((await verifyIssueLocalize(inst, files)).reward).toBe(0);
    expect((await verifyIssueLocalize(inst, init)).success).toBe(true); // one off-target place is allowed
    const prices = base.get('inventory/prices.py')!.toString();
    const uncommented = new Map(base).set('inventory/prices.py', Buffer.from(prices.replace(/^# Amounts.*\n/m, '')));
    const r = await verifyIssueLocalize(inst, uncommented);
    expect(r.reward).toBe(0);
    expect((r.details as { violations: Array<{ kind: string }> }).violations).toEqual([expect.objectContaining({ kind: 'comment-removed', file: 'inventory/prices.py', originalLine: 3 })]);
  });
});
