import { beforeAll, describe, expect, it } from 'vitest';
import { depSearchTask, requiredComment, type DepSearchInstance } from '../../../../src/tasks/dep-search/index.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../../../src/workspace/files.js';
import { applyInserts, editLines, insertAt, instanceFor, SHOP, WORKDIR } from './helpers.js';

// These files need no code check: a run that is asked for one fails the test.
const ctx = {
  workdir: WORKDIR,
  run: () => Promise.reject(new Error('the dep-search verifier ran a code check on files that need none')),
};
const M = 'shop/models.py';
const C = requiredComment('make_cart');

describe('dep-search verifier', () => {
  let original: WorkspaceFiles;
  let inst: DepSearchInstance; // make_cart: Item (decorated, anchor 10), Cart (17), Cart.add (21), price_of (46)
  let solved: WorkspaceFiles;
  const verify = (files: WorkspaceFiles, i = inst) => Promise.resolve(depSearchTask.verify(i, files, ctx));

  beforeAll(async () => {
    original = await loadRepoFiles(SHOP);
    inst = await instanceFor('make_cart');
    solved = applyInserts(original, await depSearchTask.oracle(inst, ctx));
  });

  it('the oracle writes exactly the comments, indented like each definition', async () => {
    const lines = solved.get(M)!.toString('utf8').split('\n');
    expect(lines[9]).toBe(C);
    expect(lines[10]).toBe('@register');
    expect(lines[17]).toBe(C);
    expect(lines[18]).toBe('class Cart:');
    expect(lines[22]).toBe(`    ${C}`);
    expect(lines[23]).toBe('    def add(self, item):');
    expect(lines.filter((l) => l.trim() === C)).toHaveLength(4);
  });

  it('all correct: reward 1', async () => {
    const r = await verify(solved);
    expect(r).toMatchObject({ reward: 1, success: true, details: { precision: 1, recall: 1, f1: 1, missed: [], extra: [], violations: [] } });
    expect((r.details.found as unknown[]).length).toBe(4);
  });

  it('nothing done: reward 0, everything missed', async () => {
    const r = await verify(original);
    expect(r).toMatchObject({ reward: 0, success: false, details: { precision: 0, recall: 0, f1: 0 } });
    expect(r.details.missed).toHaveLength(4);
  });

  it('one missing: reward 0, or the F1 when shaped', async () => {
    const files = editLines(solved, M, (l) => l.splice(l.indexOf(C), 1)); // the one above Item
    const r = await verify(files);
    expect(r).toMatchObject({ reward: 0, success: false, details: { precision: 1, recall: 0.75, missed: [{ file: M, qualname: 'Item' }] } });
    const shaped = await verify(files, { ...inst, reward: 'f1' });
    expect(shaped.reward).toBeCloseTo((2 * 0.75) / 1.75);
    expect(shaped.success).toBe(false);
    expect((await verify(solved, { ...inst, reward: 'f1' })).reward).toBe(1);
  });

  it('one extra: a comment above a definition that is not a dependency', async () => {
    const line = solved.get(M)!.toString('utf8').split('\n').indexOf('def format_price(cents):') + 1;
    const r = await verify(insertAt(solved, M, line, C));
    expect(r).toMatchObject({ reward: 0, success: false, details: { recall: 1, precision: 0.8 } });
    expect(r.details.extra).toEqual([{ file: M, line, comment: C, reason: 'misplaced', above: `${M}::format_price` }]);
  });

  it('a duplicate counts against precision', async () => {
    const line = solved.get(M)!.toString('utf8').split('\n').indexOf('class Cart:') + 1;
    const r = await verify(insertAt(solved, M, line, C));
    expect(r.success).toBe(false);
    expect(r.details).toMatchObject({ precision: 0.8, recall: 1, extra: [{ reason: 'duplicate', above: `${M}::Cart` }] });
  });

  it('a comment two lines too high marks nothing', async () => {
    // price_of's comment moved above the two blank lines before it.
    const files = editLines(solved, M, (l) => {
      const at = l.lastIndexOf(C);
      l.splice(at, 1);
      l.splice(at - 2, 0, C);
    });
    const r = await verify(files);
    expect(r.success).toBe(false);
    expect(r.details).toMatchObject({ missed: [{ qualname: 'price_of' }], extra: [{ reason: 'misplaced' }] });
  });

  it('a comment between the decorator and the class marks nothing', async () => {
    // The oracle's actions run bottom-up: all but the last leave Item unmarked.
    const others = applyInserts(original, (await depSearchTask.oracle(inst, ctx)).slice(0, 3));
    const r = await verify(editLines(others, M, (l) => l.splice(l.indexOf('class Item:'), 0, C)));
    expect(r.details).toMatchObject({ missed: [{ qualname: 'Item' }], extra: [{ reason: 'misplaced', line: 12 }] });
    expect((r.details.extra as object[])[0]).not.toHaveProperty('above');
  });

  it('a code line deleted next to correct comments fails the instance', async () => {
    const files = editLines(solved, M, (l) => l.splice(l.indexOf('    cart = Cart()'), 1));
    const r = await verify(files);
    expect(r).toMatchObject({ reward: 0, success: false });
    expect(r.details.violations).toEqual([expect.objectContaining({ kind: 'code-changed', file: M })]);
    expect((await verify(files, { ...inst, reward: 'f1' })).reward).toBe(0);
  });

  it('a docstring added fails the instance; blank lines and other comments do not', async () => {
    const doc = editLines(solved, M, (l) => l.splice(l.indexOf('def price_of(name):') + 1, 0, '    """The price."""'));
    expect((await verify(doc)).details.violations).toEqual([expect.objectContaining({ kind: 'code-changed', file: M })]);
    const cosmetic = editLines(solved, M, (l) => l.splice(l.indexOf('def price_of(name):') + 1, 0, '    # cents', ''));
    expect((await verify(cosmetic)).success).toBe(true);
  });

  it('the same sentence with another name marks nothing', async () => {
    const files = editLines(solved, M, (l) => {
      l[l.indexOf(C)] = requiredComment('summary');
    });
    const r = await verify(files);
    expect(r.details).toMatchObject({ missed: [{ qualname: 'Item' }], extra: [{ reason: 'wrong-name', line: 10 }] });
  });

  it('tolerates case, surrounding spaces and a trailing period', async () => {
    const files = editLines(solved, M, (l) => {
      l[l.indexOf(C)] = '#   This Function/Class is called by the make_cart function.  ';
      l[l.indexOf(C)] = '# THIS FUNCTION/CLASS IS CALLED BY THE make_cart FUNCTION!';
    });
    expect((await verify(files)).success).toBe(true);
  });

  it('finds definitions that moved (lines added above them)', async () => {
    const files = insertAt(solved, M, 1, '# A header comment.', '', '', '# More.');
    const r = await verify(files);
    expect(r).toMatchObject({ reward: 1, success: true });
  });

  it('a trailing comment on a code line is misplaced', async () => {
    const files = editLines(solved, M, (l) => {
      const at = l.indexOf('    return len(name) * 100');
      l[at] = `${l[at]}  ${C}`;
    });
    expect((await verify(files)).details).toMatchObject({ extra: [{ reason: 'misplaced' }] });
  });

  it('comments in another file are found, and other file changes are violations', async () => {
    const checkout = await instanceFor('Cart.checkout');
    const done = applyInserts(original, await depSearchTask.oracle(checkout, ctx));
    expect(done.get('shop/errors.py')!.toString()).toContain(`${requiredComment('checkout')}\nclass OutOfStock`);
    expect((await verify(done, checkout)).success).toBe(true);

    const added = new Map(done).set('notes.py', Buffer.from('x = 1\n'));
    const readme = new Map(done).set('README.md', Buffer.from('changed\n'));
    const deleted = new Map(done);
    deleted.delete('shop/cli.py');
    expect((await verify(added, checkout)).details.violations).toEqual([{ kind: 'added-file', file: 'notes.py', line: null }]);
    expect((await verify(readme, checkout)).details.violations).toEqual([{ kind: 'non-python-changed', file: 'README.md', line: null }]);
    expect((await verify(deleted, checkout)).details.violations).toEqual([{ kind: 'deleted-file', file: 'shop/cli.py', line: null }]);
    expect((await verify(deleted, checkout)).reward).toBe(0);
  });
});
