import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFuncLocalize } from '../../../src/tasks/func-localize/generate.js';
import { imageContentsOf, type DroppedTargets } from '../../../src/tasks/image-contents.js';
import { parsePythonSource } from '../../../src/analysis/index.js';

const SHOP = fileURLToPath(new URL('../../fixtures/func-localize/shop', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'hg-image-check-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function docstringsOf(repo: string, file: string): Promise<string[]> {
  const text = await readFile(join(repo, file), 'utf8');
  return parsePythonSource(text, file).definitions.flatMap((d) => (d.docstring ? [d.docstring.value] : []));
}

describe('func-localize drops targets whose docstring the image holds', () => {
  it('drops them, reports how many and why, and keeps the others', async () => {
    const all = await generateFuncLocalize({ repo: SHOP, n: 100, perFile: 100 });
    expect(all.length).toBeGreaterThan(2);
    const held = all.slice(0, 2).map((i) => i.targets[0]!);
    // The image's copies are indented differently: the check is whitespace-insensitive.
    const docs = await Promise.all(held.map(async (t) => (await docstringsOf(SHOP, t.file)).find((d) => t.docstring.text.includes(d.trim().split('\n')[0]!))!));
    const image = imageContentsOf('test/image:1', { docstrings: docs.map((d) => `\n\t${d.replace(/\n\s*/g, '\n          ')}  `) });
    const dropped: DroppedTargets[] = [];
    const kept = await generateFuncLocalize({ repo: SHOP, n: 100, perFile: 100, imageContents: image, onDropped: (d) => dropped.push(d) });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ task: 'func-localize', reason: 'docstring in image test/image:1', count: 2 });
    const keptQualnames = kept.map((i) => `${i.targets[0]!.file}:${i.targets[0]!.qualname}`);
    for (const t of held) expect(keptQualnames).not.toContain(`${t.file}:${t.qualname}`);
    expect(kept.length).toBe(all.length - 2);
  });

  it('loads the contents lazily, and not at all when there is nothing to check', async () => {
    let loads = 0;
    const loadImageContents = async () => {
      loads++;
      return imageContentsOf('lazy', {});
    };
    await generateFuncLocalize({ repo: SHOP, n: 1, loadImageContents });
    expect(loads).toBe(1);
    const empty = join(tmp, 'empty');
    await cp(SHOP, empty, { recursive: true, filter: (src) => !src.endsWith('.py') });
    await writeFile(join(empty, 'plain.py'), 'X = 1\n');
    expect(await generateFuncLocalize({ repo: empty, loadImageContents })).toEqual([]);
    expect(loads).toBe(1);
  });

  it('finds a copy of the docstring elsewhere in the repository even when it is indented differently', async () => {
    const repo = join(tmp, 'copy');
    await cp(SHOP, repo, { recursive: true });
    const all = await generateFuncLocalize({ repo, n: 100, perFile: 100 });
    const target = all[0]!.targets[0]!;
    const value = (await docstringsOf(repo, target.file)).find((d) => target.docstring.text.includes(d.trim().split('\n')[0]!))!;
    // A copy in another file, reflowed: one line per word, deeper indentation.
    // (In another folder: the task keeps a repository's files once read.)
    const copied = join(tmp, 'copy-with-notes');
    await cp(repo, copied, { recursive: true });
    await writeFile(join(copied, 'notes_copy.py'), `NOTES = """\n${value.split(/\s+/).filter(Boolean).map((w) => `            ${w}`).join('\n')}\n"""\n`);
    const again = await generateFuncLocalize({ repo: copied, n: 100, perFile: 100 });
    expect(again.map((i) => `${i.targets[0]!.file}:${i.targets[0]!.qualname}`)).not.toContain(`${target.file}:${target.qualname}`);
    expect(all.map((i) => `${i.targets[0]!.file}:${i.targets[0]!.qualname}`)).toContain(`${target.file}:${target.qualname}`);
  });
});
