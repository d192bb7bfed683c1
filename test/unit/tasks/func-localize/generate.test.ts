import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateFuncLocalize } from '../../../../src/tasks/func-localize/generate.js';
import { funcLocalizeWorkspace, literalBody } from '../../../../src/tasks/func-localize/workspace.js';
import { toJsonl } from '../../../../src/tasks/instances-io.js';
import { hasSyntaxErrors } from '../../../../src/analysis/index.js';

const SHOP = fileURLToPath(new URL('../../../fixtures/func-localize/shop', import.meta.url));

describe('func-localize generator', () => {
  it('takes every documented function, method and class outside tests, seeded and reproducible', async () => {
    const a = await generateFuncLocalize({ repo: SHOP, seed: 3, perFile: 10 });
    const b = await generateFuncLocalize({ repo: SHOP, seed: 3, perFile: 10 });
    expect(toJsonl(a)).toBe(toJsonl(b));
    const names = a.map((i) => i.targets[0]!.qualname).sort();
    expect(names).toEqual(['Cart', 'Cart.add', 'Cart.total', 'EmptyCartError', 'apply', 'apply', 'checkout', 'describe', 'percent_off']);
    expect(a.every((i) => !i.targets[0]!.file.startsWith('tests/'))).toBe(true);
    const other = await generateFuncLocalize({ repo: SHOP, seed: 4, perFile: 10 });
    expect(other.map((i) => i.id)).not.toEqual(a.map((i) => i.id));
    expect(other.map((i) => i.targets[0]!.qualname).sort()).toEqual(names);
  });

  it('includes test files on request and honours the per-file and per-repo caps', async () => {
    const withTests = await generateFuncLocalize({ repo: SHOP, includeTests: true, perFile: 10 });
    expect(withTests.some((i) => i.targets[0]!.file === 'tests/test_cart.py')).toBe(true);
    const capped = await generateFuncLocalize({ repo: SHOP, perFile: 1 });
    expect(new Set(capped.map((i) => i.targets[0]!.file)).size).toBe(capped.length);
    expect(await generateFuncLocalize({ repo: SHOP, n: 2, perFile: 10 })).toHaveLength(2);
  });

  it('records the docstring literal exactly, prefixes and quotes included', async () => {
    const all = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
    const total = all.find((i) => i.targets[0]!.qualname === 'Cart.total')!.targets[0]!;
    expect(total.docstring).toEqual({ line: 15, endLine: 15, text: "r'''Compute the total price of all items in the cart, rounded up.'''" });
    expect(total).toMatchObject({ file: 'pkg/cart.py', kind: 'method', line: 14, endLine: 16 });
  });

  it('masks a workspace that still parses, with a pass where the docstring was the whole body', async () => {
    const all = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
    const err = all.find((i) => i.targets[0]!.qualname === 'EmptyCartError')!;
    const files = await funcLocalizeWorkspace(err);
    const cart = files.get('pkg/cart.py')!.toString();
    expect(cart).toContain('class EmptyCartError(Exception):\n    pass\n');
    for (const i of all) {
      const ws = await funcLocalizeWorkspace(i);
      const t = i.targets[0]!;
      expect(hasSyntaxErrors(ws.get(t.file)!.toString())).toBe(false);
      for (const content of ws.values()) expect(content.toString()).not.toContain(literalBody(t.docstring.text).trim());
    }
  });

  it('hides the name in the description when asked, and adds structural details', async () => {
    const [inst] = (await generateFuncLocalize({ repo: SHOP, perFile: 10, showName: false, details: true })).filter(
      (i) => i.targets[0]!.qualname === 'checkout',
    );
    expect(inst!.showName).toBe(false);
    expect(inst!.description).toContain('Check out a cart');
    // `cart.total()` is a call on a parameter of unknown type: not resolved, so not listed.
    expect(inst!.targets[0]!.details).toEqual({ parameters: ['cart'], returnsValue: true, calls: ['EmptyCartError'], decorators: [] });
    const [cls] = (await generateFuncLocalize({ repo: SHOP, perFile: 10, showName: false })).filter((i) => i.targets[0]!.qualname === 'EmptyCartError');
    expect(cls!.description).not.toMatch(/EmptyCartError/);
  });

  it('keeps hidden names out of instance ids, and ids change with the options', async () => {
    const hidden = await generateFuncLocalize({ repo: SHOP, perFile: 10, showName: false });
    for (const i of hidden) expect(i.id).not.toContain(i.targets[0]!.name);
    const plain = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
    const detailed = await generateFuncLocalize({ repo: SHOP, perFile: 10, details: true });
    expect(detailed.map((i) => i.id)).not.toEqual(plain.map((i) => i.id));
  });

  it('never puts more targets of one file in an instance than perFile allows', async () => {
    for (const i of await generateFuncLocalize({ repo: SHOP, perFile: 1, targets: 3 })) {
      expect(new Set(i.targets.map((t) => t.file)).size).toBe(i.targets.length);
    }
  });

  it('makes multi-target instances from different files where possible', async () => {
    const multi = await generateFuncLocalize({ repo: SHOP, targets: 2, perFile: 10 });
    expect(multi.length).toBeGreaterThan(0);
    for (const i of multi) {
      expect(i.targets).toHaveLength(2);
      expect(i.description).toContain('Target 2:');
    }
    expect(multi.some((i) => i.targets[0]!.file !== i.targets[1]!.file)).toBe(true);
  });
});

describe('func-localize repository path', () => {
  it('follows a symlink that names the repository (symlinks inside it are still skipped)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hg-fl-link-'));
    try {
      await symlink(SHOP, join(tmp, 'shop'));
      const linked = await generateFuncLocalize({ repo: join(tmp, 'shop'), perFile: 10, cache: false });
      const direct = await generateFuncLocalize({ repo: SHOP, perFile: 10, cache: false });
      expect(linked.map((i) => i.targets)).toEqual(direct.map((i) => i.targets));
      expect(linked.length).toBeGreaterThan(0);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('func-localize seeded order', () => {
  it('makes fewer instances as a prefix of more: the order depends on the seed and the repository, not on n', async () => {
    const few = await generateFuncLocalize({ repo: SHOP, seed: 5, n: 2, perFile: 10, cache: false });
    const more = await generateFuncLocalize({ repo: SHOP, seed: 5, n: 6, perFile: 10, cache: false });
    expect(few).toHaveLength(2);
    expect(toJsonl(more.slice(0, 2))).toBe(toJsonl(few));
  });
});

describe('func-localize generation with the analysis cache', () => {
  it('a docstring planted elsewhere after a cached run still drops the target (the cache is keyed by content)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hg-fl-cache-'));
    try {
      const repo = join(tmp, 'shop');
      const cache = join(tmp, 'cache');
      await cp(SHOP, repo, { recursive: true });
      const key = (i: { targets: Array<{ file: string; qualname: string }> }): string => `${i.targets[0]!.file}:${i.targets[0]!.qualname}`;
      const first = await generateFuncLocalize({ repo, n: 100, perFile: 100, cache });
      const target = first.find((i) => i.targets[0]!.qualname === 'percent_off')!;
      const said: string[] = [];
      const warm = await generateFuncLocalize({ repo, n: 100, perFile: 100, cache, onProgress: (l) => said.push(l) });
      expect(toJsonl(warm)).toBe(toJsonl(first));
      // No index at all the second time: the candidates of this exact state come from the cache.
      expect(said[0]).toBe('func-localize: candidates of 3 files from the cache');
      expect(said.some((l) => l.startsWith('indexing'))).toBe(false);
      // The same folder, one file added: a copy of the answer, reflowed.
      const body = literalBody(target.targets[0]!.docstring.text);
      await writeFile(join(repo, 'pkg', 'notes.py'), `NOTES = """\n${body.split(/\s+/).filter(Boolean).join('\n    ')}\n"""\n`);
      const plantedSaid: string[] = [];
      const planted = await generateFuncLocalize({ repo, n: 100, perFile: 100, cache, onProgress: (l) => plantedSaid.push(l) });
      expect(plantedSaid[0]).toMatch(/^indexing: /);
      expect(planted.map(key)).not.toContain(key(target));
      expect(planted.length).toBe(first.length - 1);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('says what it is doing: files indexed, then instances made', async () => {
    const lines: string[] = [];
    const made = await generateFuncLocalize({ repo: SHOP, n: 3, perFile: 10, cache: false, onProgress: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^indexing: 0 of \d+ files$/);
    expect(lines).toContainEqual(expect.stringMatching(/^indexing: (\d+) of \1 files$/));
    // Three instances need only some files: the seeded order reached 2 of the 3 with candidates.
    expect(lines.at(-1)).toBe(`func-localize: ${made.length} instances from 3 candidates (2 of 3 files read)`);
  });

  it('says when the cap per file, not the repository, made fewer instances than asked', async () => {
    const lines: string[] = [];
    const capped = await generateFuncLocalize({ repo: SHOP, n: 50, perFile: 1, cache: false, onProgress: (l) => lines.push(l) });
    expect(capped.length).toBeLessThan(50);
    expect(lines.at(-1)).toMatch(new RegExp(`^func-localize: ${capped.length} instances .*; fewer than the 50 asked: \\d+ candidates passed over by perFile 1 \\(raise it for more\\)$`));
    const all: string[] = [];
    const uncapped = await generateFuncLocalize({ repo: SHOP, n: 50, perFile: 50, cache: false, onProgress: (l) => all.push(l) });
    expect(uncapped.length).toBeGreaterThan(capped.length);
    expect(all.at(-1)).not.toMatch(/perFile/);
  });
});

describe('func-localize episodes after the repository changed at the same path', () => {
  it('a workspace never holds a file that generation no longer saw (a deleted copy of an answer)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hg-fl-samepath-'));
    try {
      const repo = join(tmp, 'shop');
      await cp(SHOP, repo, { recursive: true });
      await writeFile(join(repo, 'NOTES.txt'), 'old notes\n');
      const [old] = await generateFuncLocalize({ repo, n: 1, cache: false });
      expect((await funcLocalizeWorkspace(old!)).has('NOTES.txt')).toBe(true);
      await rm(join(repo, 'NOTES.txt'));
      const [fresh] = await generateFuncLocalize({ repo, n: 1, cache: false });
      expect((await funcLocalizeWorkspace(fresh!)).has('NOTES.txt')).toBe(false);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
