import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageContentsFromManifest } from '../../../src/env/image-check.js';
import { ImageManifestSchema, indexManifest, manifestPath, parseManifestOutput, readManifest } from '../../../src/image/manifest.js';
import { answerHash, normalizeAnswerText } from '../../../src/tasks/image-contents.js';

const DOC = 'Scan the string s for a JSON string.';
const OUTPUT = [
  JSON.stringify({ python: '3.11.2' }),
  JSON.stringify({
    path: '/usr/lib/python3.11/json/decoder.py',
    size: 12,
    sha256: 'a'.repeat(64),
    defs: [['py_scanstring', 69, answerHash(DOC), answerHash('return 1')], ['JSONDecoder', 254, null, null]],
  }),
  JSON.stringify({ path: '/usr/lib/python2/old.py', size: 3, sha256: 'b'.repeat(64), error: 'SyntaxError' }),
  '',
].join('\n');
const meta = { imageId: 'sha256:' + 'c'.repeat(64), image: 'hybrid-gym/sandbox:0.1.0-1', durationMs: 5 };

const tmp = await mkdtemp(join(tmpdir(), 'hg-manifest-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('image manifest', () => {
  it("parses the script's JSON lines and validates them", () => {
    const m = parseManifestOutput(OUTPUT, meta);
    expect(m.python).toBe('3.11.2');
    expect(m.files).toHaveLength(2);
    expect(ImageManifestSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('rejects a line that does not fit the schema', () => {
    const bad = OUTPUT.replace('"size":12', '"size":-1');
    expect(() => parseManifestOutput(bad, meta)).toThrow();
    const badHash = OUTPUT.replace(answerHash(DOC), 'NOT-HEX');
    expect(() => parseManifestOutput(badHash, meta)).toThrow();
  });

  it('answers docstring and body questions with normalised texts, and says where', () => {
    const contents = imageContentsFromManifest(parseManifestOutput(OUTPUT, meta));
    expect(contents.name).toBe('hybrid-gym/sandbox:0.1.0-1');
    expect(contents.hasDocstring(normalizeAnswerText(`  Scan the string s\n    for a JSON string.  `))).toBe(true);
    expect(contents.hasDocstring(normalizeAnswerText('Scan the string t for a JSON string.'))).toBe(false);
    expect(contents.hasBody('return 1')).toBe(true);
    expect(contents.hasBody('return 2')).toBe(false);
    expect(contents.docstringLocation?.(DOC)).toBe('/usr/lib/python3.11/json/decoder.py:py_scanstring');
    expect(indexManifest(parseManifestOutput(OUTPUT, meta)).docstring(answerHash('nothing'))).toBeUndefined();
  });

  it('knows the image copy of a repository module defining a qualname, in any version, whatever folder holds the package', () => {
    const contents = imageContentsFromManifest(parseManifestOutput(OUTPUT, meta));
    expect(contents.definitionIn?.('json/decoder.py', 'JSONDecoder')).toBe('/usr/lib/python3.11/json/decoder.py');
    expect(contents.definitionIn?.('src/json/decoder.py', 'py_scanstring')).toBe('/usr/lib/python3.11/json/decoder.py');
    expect(contents.definitionIn?.('json/decoder.py', 'JSONEncoder')).toBeUndefined(); // not defined there
    expect(contents.definitionIn?.('myjson/decoder.py', 'JSONDecoder')).toBeUndefined(); // another package
    expect(contents.definitionIn?.('python/json/decoder.py', 'JSONDecoder')).toBe('/usr/lib/python3.11/json/decoder.py');
    expect(contents.definitionIn?.('decoder.py', 'JSONDecoder')).toBeUndefined(); // a bare name matches unrelated modules of every package
  });

  it('is cached under the image id; a corrupt or outdated cache file reads as missing (and is rebuilt)', async () => {
    const file = manifestPath(meta.imageId, tmp);
    expect(file).toBe(join(tmp, 'images', `${'c'.repeat(64)}.json`));
    await writeFile(join(tmp, 'good.json'), JSON.stringify(parseManifestOutput(OUTPUT, meta)));
    expect((await readManifest(join(tmp, 'good.json')))?.imageId).toBe(meta.imageId);
    await writeFile(join(tmp, 'truncated.json'), JSON.stringify(parseManifestOutput(OUTPUT, meta)).slice(0, 100));
    expect(await readManifest(join(tmp, 'truncated.json'))).toBeUndefined();
    await writeFile(join(tmp, 'old.json'), JSON.stringify({ ...parseManifestOutput(OUTPUT, meta), version: 0 }));
    expect(await readManifest(join(tmp, 'old.json'))).toBeUndefined();
    expect(await readManifest(join(tmp, 'missing.json'))).toBeUndefined();
  });
});
