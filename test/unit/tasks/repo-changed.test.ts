import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateDepSearch } from '../../../src/tasks/dep-search/generate.js';
import { generateFuncLocalize } from '../../../src/tasks/func-localize/generate.js';

const SHOP = fileURLToPath(new URL('../../fixtures/func-localize/shop', import.meta.url));
const DEP_SHOP = fileURLToPath(new URL('../../fixtures/dep-search/shop', import.meta.url));

/** Runs before each indexing: what another process does to the repository meanwhile. */
let beforeIndexing: (() => Promise<void>) | undefined;

vi.mock('../../../src/analysis/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/analysis/index.js')>();
  return {
    ...real,
    indexRepo: async (...args: Parameters<typeof real.indexRepo>) => {
      await beforeIndexing?.();
      return real.indexRepo(...args);
    },
  };
});

let tmp: string;
/** A copy of func-localize's shop fixture. */
let repo: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hg-fl-changed-'));
  repo = join(tmp, 'shop');
  await cp(SHOP, repo, { recursive: true });
  beforeIndexing = undefined;
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Another process rewrites a docstring of pkg/cart.py: byte offsets of the first read would not hold in the new bytes. */
async function rewriteCart(): Promise<void> {
  const path = join(repo, 'pkg', 'cart.py');
  const text = await readFile(path, 'utf8');
  await writeFile(path, `# a line more\n${text.replace('"""', '"""Changed. ')}`);
}

describe('func-localize generation while the repository changes', () => {
  for (const details of [false, true]) {
    it(`a file changed between the first read and its indexing changes nothing: the instances are made from the first read's bytes (details: ${details})`, async () => {
      const before = await generateFuncLocalize({ repo, perFile: 10, details, cache: false });
      const original = await readFile(join(repo, 'pkg', 'cart.py'), 'utf8');
      beforeIndexing = rewriteCart;
      const during = await generateFuncLocalize({ repo, perFile: 10, details, cache: false });
      await writeFile(join(repo, 'pkg', 'cart.py'), original);
      expect(during).toEqual(before);
      expect(during.some((i) => i.targets.some((t) => t.file === 'pkg/cart.py'))).toBe(true);
    });
  }
});

describe('func-localize generation while files come and go', () => {
  it('a file deleted (and another added) before indexing changes nothing, nor what the cache keeps for that state', async () => {
    const cache = join(tmp, 'cache');
    const clean = await generateFuncLocalize({ repo, perFile: 10, cache: false });
    const cart = join(repo, 'pkg', 'cart.py');
    const original = await readFile(cart, 'utf8');
    let once = false;
    beforeIndexing = async () => {
      if (once) return;
      once = true;
      await rm(cart);
      await writeFile(join(repo, 'pkg', 'added.py'), 'def added():\n    """Only on disk, after the read."""\n    return 1\n');
    };
    const during = await generateFuncLocalize({ repo, perFile: 10, cache });
    expect(during).toEqual(clean);
    // The repository back as it was read: its cached candidates are those of the clean run.
    await writeFile(cart, original);
    await rm(join(repo, 'pkg', 'added.py'));
    beforeIndexing = undefined;
    expect(await generateFuncLocalize({ repo, perFile: 10, cache })).toEqual(clean);
    expect(clean.some((i) => i.targets.some((t) => t.file === 'pkg/cart.py'))).toBe(true);
  });
});

describe('dep-search generation while the repository changes', () => {
  it('a module deleted before indexing changes nothing: its dependencies are still found where the bytes read had them', async () => {
    const repo = join(tmp, 'dep-shop');
    await cp(DEP_SHOP, repo, { recursive: true });
    const before = await generateDepSearch({ repo, cache: false });
    beforeIndexing = () => rm(join(repo, 'shop', 'models.py'));
    const during = await generateDepSearch({ repo, cache: false });
    expect(during).toEqual(before);
    expect(during.some((i) => i.dependencies.some((d) => d.file === 'shop/models.py'))).toBe(true);
  });

  it('a file changed before it is indexed changes nothing: instances and their line numbers come from the bytes read', async () => {
    const repo = join(tmp, 'dep-shop');
    await cp(DEP_SHOP, repo, { recursive: true });
    const before = await generateDepSearch({ repo, cache: false });
    const models = join(repo, 'shop', 'models.py');
    const original = await readFile(models, 'utf8');
    // Two lines more at the top: every dependency's line would move if the index read the disk again.
    beforeIndexing = () => writeFile(models, `# one\n# two\n${original}`);
    const during = await generateDepSearch({ repo, cache: false });
    expect(during).toEqual(before);
    expect(during.some((i) => i.dependencies.some((d) => d.file === 'shop/models.py'))).toBe(true);
  });
});

describe('func-localize and symlinks inside the repository', () => {
  it('a symlinked .py file is left out as the workspace leaves it out: no target in it, no false REPO_CHANGED', async () => {
    // Outside the repository: the agent's workspace never holds it, so neither may the instances.
    await writeFile(join(tmp, 'outside.py'), 'def far_away():\n    """Lives outside the repository, reached through a symlink."""\n    return 1\n');
    await symlink(join(tmp, 'outside.py'), join(repo, 'pkg', 'linked.py'));
    for (const details of [false, true]) {
      const out = await generateFuncLocalize({ repo, perFile: 10, details, cache: false });
      expect(out.length).toBeGreaterThan(0);
      const files = out.flatMap((i) => i.targets.map((t) => t.file));
      expect(files).not.toContain('pkg/linked.py');
      expect(files).toContain('pkg/cart.py');
    }
  });
});
