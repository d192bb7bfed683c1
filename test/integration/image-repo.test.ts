import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { episodeImageContents } from '../../src/env/image-check.js';
import { DEFAULT_IMAGE } from '../../src/image/default-image.js';
import { imageManifest } from '../../src/image/manifest.js';
import { buildImage, imageRecipe, recipeTag, RECIPE_LABEL, recipeHash } from '../../src/image/repo-image.js';
import { normalizeAnswerText } from '../../src/tasks/image-contents.js';
import { dockerReady } from './helpers.js';

const docker = new Docker();
const APT = ['python3-toolz'];
const TOOLZ_DOC = 'Partition all elements of sequence into tuples of length at most n';

describe.runIf(dockerReady())('an image per repository (one build: the default image plus python3-toolz)', () => {
  it('builds by content tag, holds the package offline, records its manifest, and is reused', { timeout: 20 * 60_000 }, async () => {
    const recipe = imageRecipe({ apt: APT });
    const lines: string[] = [];
    const built = await buildImage({ apt: APT, onProgress: (l) => lines.push(l) });
    expect(built.tag).toBe(recipeTag(recipe));
    expect(built.tag.startsWith(`${DEFAULT_IMAGE}-`)).toBe(true);
    expect(built.manifest?.files).toBeGreaterThan(500);
    const info = await docker.getImage(built.tag).inspect();
    expect(info.Config.Labels?.[RECIPE_LABEL]).toBe(recipeHash(recipe));
    expect(info.Config.WorkingDir).toBe('/workspace');

    // The package is importable with no network at all.
    expect((await run(built.tag, 'import toolz, pytest; print(toolz.__file__)')).trim()).toBe('/usr/lib/python3/dist-packages/toolz/__init__.py');

    // Its manifest holds toolz (so generating from toolz for this image would drop those targets); the default image's does not.
    const mine = await episodeImageContents({ sandbox: 'docker', image: built.tag });
    const partition = (await imageManifest(built.tag)).files.find((f) => f.path.endsWith('/toolz/itertoolz.py'));
    expect(partition?.defs?.some((d) => d[0] === 'partition_all')).toBe(true);
    const theDefault = await episodeImageContents({ sandbox: 'docker' });
    const doc = await run(built.tag, 'import toolz, json; print(json.dumps(toolz.partition_all.__doc__))');
    const normalized = normalizeAnswerText(JSON.parse(doc) as string);
    expect(normalized).toContain(TOOLZ_DOC);
    expect(mine.docstringLocation?.(normalized)).toMatch(/toolz\/itertoolz\.py:partition_all$/);
    expect(theDefault.hasDocstring(normalized)).toBe(false);

    // Same recipe (in another order), same image: nothing is built.
    const again = await buildImage({ apt: [...APT, ...APT] });
    expect(again).toMatchObject({ tag: built.tag, method: 'cached' });
  });
});


/** Python in a fresh, network-less container of the image; its stdout. */
async function run(tag: string, code: string): Promise<string> {
  const { stdout } = await promisify(execFile)('docker', ['run', '--rm', '--network', 'none', '--label', 'hybrid-gym.test=image-repo', tag, 'python3', '-c', code]);
  return stdout;
}
