import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { episodeImageContents } from '../../src/env/image-check.js';
import { make } from '../../src/env/registry.js';
import { NoInstancesError } from '../../src/errors.js';
import { DEFAULT_IMAGE } from '../../src/image/default-image.js';
import { imageManifest, manifestPath } from '../../src/image/manifest.js';
import { generateFuncLocalize } from '../../src/tasks/func-localize/generate.js';
import { normalizeAnswerText, type DroppedTargets } from '../../src/tasks/image-contents.js';
import { dockerReady } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SCANSTRING = `Scan the string s for a JSON string. End is the index of the
    character in s after the quote that started the JSON string.
    Unescapes all valid JSON string escape sequences and raises ValueError
    on attempt to decode an invalid string. If strict is False then literal
    control characters are allowed in the string.

    Returns a tuple of the decoded string and the index of the character in s
    after the end quote.`;

const docker = new Docker();
let tmp = '';
let jsonCopy = '';

/** The json package copied out of the default image itself: the standard library users point us at. */
async function copyFromImage(path: string, into: string): Promise<void> {
  const container = await docker.createContainer({ Image: DEFAULT_IMAGE, Cmd: ['true'], Labels: { 'hybrid-gym.test': 'image-manifest' } });
  try {
    const archive = await container.getArchive({ path });
    const tar = execFile('tar', ['-x', '-C', into]);
    archive.pipe(tar.stdin!);
    await new Promise<void>((resolve, reject) => tar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exit ${code}`)))));
  } finally {
    await container.remove({ force: true });
  }
}

describe.runIf(dockerReady())('the manifest of the default image, and generators that drop what it holds', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hg-image-manifest-'));
    await copyFromImage('/usr/lib/python3.11/json', tmp);
    jsonCopy = join(tmp, 'json');
  }, 120_000);
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("holds json.decoder's py_scanstring docstring, and is cached by image id", { timeout: 300_000 }, async () => {
    const cacheDir = join(tmp, 'cache');
    const manifest = await imageManifest(DEFAULT_IMAGE, { cacheDir });
    expect(manifest.imageId).toBe((await docker.getImage(DEFAULT_IMAGE).inspect()).Id);
    expect(manifest.python).toMatch(/^3\.11\./);
    const decoder = manifest.files.find((f) => f.path === '/usr/lib/python3.11/json/decoder.py');
    expect(decoder?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decoder?.defs?.map((d) => d[0])).toContain('py_scanstring');
    // pytest and its dependencies are in it too; the workspace folder and /proc are not.
    expect(manifest.files.some((f) => /\/_pytest\//.test(f.path))).toBe(true);
    expect(manifest.files.some((f) => f.path.startsWith('/proc/') || f.path.startsWith('/workspace/'))).toBe(false);
    const contents = await episodeImageContents({ sandbox: 'docker', cacheDir });
    expect(contents.docstringLocation?.(normalizeAnswerText(SCANSTRING))).toBe('/usr/lib/python3.11/json/decoder.py:py_scanstring');
    expect(contents.hasDocstring(normalizeAnswerText(`${SCANSTRING} (edited)`))).toBe(false);
    const again = await imageManifest(DEFAULT_IMAGE, { cacheDir, onProgress: () => expect.fail('rebuilt a cached manifest') });
    expect(again.createdAt).toBe(manifest.createdAt);
    expect(manifestPath(manifest.imageId, cacheDir)).toContain(manifest.imageId.replace('sha256:', ''));
  });

  it('drops every json target, since the image holds them all, and says so', { timeout: 300_000 }, async () => {
    // Every candidate of the package (no cap per file), so that the image's copy of each is known to matter.
    const without = await generateFuncLocalize({ repo: jsonCopy, n: 50, perFile: 100 });
    expect(without.map((i) => i.targets[0]!.qualname)).toContain('py_scanstring');
    const dropped: DroppedTargets[] = [];
    const imageContents = await episodeImageContents({ sandbox: 'docker' });
    const made = await generateFuncLocalize({ repo: jsonCopy, n: 50, perFile: 100, imageContents, onDropped: (d) => dropped.push(d) });
    expect(made).toEqual([]);
    expect(dropped).toEqual([expect.objectContaining({ reason: `docstring in image ${DEFAULT_IMAGE}` })]);
    expect(dropped[0]!.count).toBeGreaterThanOrEqual(without.length);

    const error = await make('hybrid-gym/func-localize-v0', { repo: jsonCopy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoInstancesError);
    expect((error as Error).message).toMatch(new RegExp(`targets with their docstring in image ${DEFAULT_IMAGE.replace(/[.:/]/g, '\\$&')}: \\d+`));

    const cli = await promisify(execFile)(process.execPath, [CLI, 'generate', 'func-localize', '--repo', jsonCopy]).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect((cli as { code?: number }).code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(new RegExp(`dropped \\d+ targets: docstring in image ${DEFAULT_IMAGE.replace(/[.:/]/g, '\\$&')}`));
    // Turned off, the same command makes them (the answers then sit in the image).
    const off = await promisify(execFile)(process.execPath, [CLI, 'generate', 'func-localize', '--repo', jsonCopy, '--no-image-check', '--set', 'perFile=100']);
    expect(off.stdout).toContain('py_scanstring');
  });
});
