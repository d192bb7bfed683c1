import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { importChanges } from '../../../src/image/debootstrap-build.js';
import { DEFAULT_IMAGE } from '../../../src/image/default-image.js';
import { derivedDockerfile, imageRecipe, recipeHash, recipeTag, requirePipIndex, RECIPE_LABEL } from '../../../src/image/repo-image.js';

describe('images per repository: the recipe and its content tag', () => {
  it('tags by content: same set in any order, same tag; another set, another tag', () => {
    const a = recipeTag(imageRecipe({ apt: ['python3-toolz', 'python3-six', 'python3-six'] }));
    const b = recipeTag(imageRecipe({ apt: ['python3-six', ' python3-toolz'] }));
    expect(a).toBe(b);
    expect(a).toMatch(new RegExp(`^${DEFAULT_IMAGE.replace(/[.:/]/g, '\\$&')}-[0-9a-f]{12}$`));
    expect(recipeTag(imageRecipe({ apt: ['python3-six'] }))).not.toBe(a);
    expect(recipeTag(imageRecipe({ apt: ['python3-six', 'python3-toolz'], pip: ['attrs==23.1'] }))).not.toBe(a);
    // The base version is part of the hash: a new default image gives new tags.
    const other = imageRecipe({ apt: ['python3-six', 'python3-toolz'], base: 'hybrid-gym/sandbox:0.1.0-2' });
    expect(recipeHash(other)).not.toBe(recipeHash(imageRecipe({ apt: ['python3-six', 'python3-toolz'] })));
    expect(recipeTag(other).startsWith('hybrid-gym/sandbox:0.1.0-2-')).toBe(true);
  });

  it('is the default image when nothing is added', () => {
    expect(recipeTag(imageRecipe({}))).toBe(DEFAULT_IMAGE);
  });

  it('refuses names that are not packages or requirements (no shell, no pip options)', () => {
    for (const recipe of [{ apt: ['python3-six; rm -rf /'] }, { apt: ['Bad'] }, { pip: ['--index-url=http://x'] }, { pip: ['./local/path'] }, { pip: ['a && b'] }]) {
      expect(() => imageRecipe(recipe)).toThrow(ValidationError);
    }
    expect(imageRecipe({ apt: ['python3-six=1.16.0-4', 'libc6:amd64'], pip: ['attrs[tests]>=23.1,<24', 'toolz'] }).pip).toEqual(['attrs[tests]>=23.1,<24', 'toolz']);
  });

  it('derives a Dockerfile FROM the default image, labelled with the recipe', () => {
    const recipe = imageRecipe({ apt: ['python3-toolz'], pip: ['attrs'] });
    const text = derivedDockerfile(recipe);
    expect(text.split('\n')[0]).toBe(`FROM ${DEFAULT_IMAGE}`);
    expect(text).toMatch(/apt-get install -y --no-install-recommends python3-toolz/);
    expect(text).toMatch(/pip install .*'attrs'/);
    expect(text).toContain(`LABEL ${RECIPE_LABEL}="${recipeHash(recipe)}"`);
  });

  it('labels the offline image with its recipe too', () => {
    expect(importChanges({ [RECIPE_LABEL]: 'abc123' })).toContain(`LABEL ${RECIPE_LABEL}="abc123"`);
    expect(importChanges().some((c) => c.startsWith('LABEL'))).toBe(false);
  });

  it('says in one line to use --apt when no package index answers', async () => {
    const error = await requirePipIndex('http://127.0.0.1:9/simple/', 2_000).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/--pip needs a package index.*--apt python3-/);
    expect((error as Error).message).not.toContain('\n');
  });
});
