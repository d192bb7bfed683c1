import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateDepSearch } from '../../../../src/tasks/dep-search/generate.js';
import { SHOP } from './helpers.js';

/** Runs before each indexing: what another process does to the repository meanwhile. */
let beforeIndexing: (() => Promise<void>) | undefined;

vi.mock('../../../../src/analysis/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../src/analysis/index.js')>();
  return {
    ...real,
    indexRepo: async (...args: Parameters<typeof real.indexRepo>) => {
      await beforeIndexing?.();
      return real.indexRepo(...args);
    },
  };
});

let tmp: string;
let repo: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hg-ds-changed-'));
  repo = join(tmp, 'shop');
  await cp(SHOP, repo, { recursive: true });
  beforeIndexing = undefined;
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('dep-search generation while the repository changes', () => {
  it('a file changed before it is indexed changes nothing: instances and their line numbers come from the bytes read', async () => {
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
